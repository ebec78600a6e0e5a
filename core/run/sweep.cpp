#include "run/sweep.h"

#include "common/error.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>

namespace vq {

namespace {

[[noreturn]] void badGrid(const std::string& what)
{
    throw Error(ErrorKind::InvalidArgument, "", "sweep grid: " + what);
}

int parseInt(std::string_view text, const std::string& whole)
{
    int v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        throw Error(ErrorKind::InvalidArgument, "", "shard '" + whole + "' is not of the form i/n (e.g. 0/4)");
    return v;
}

} // namespace

SweepGrid SweepGrid::fromJson(const nlohmann::json& j)
{
    if (!j.is_object())
        badGrid("not a JSON object");
    for (const auto& [key, value] : j.items())
        if (key != "method" && key != "params" && key != "grid")
            badGrid("unknown key '" + key + "' (expected method, params, grid)");
    SweepGrid g;
    if (!j.contains("method") || !j["method"].is_string() || j["method"].get<std::string>().empty())
        badGrid("'method' must be a method name");
    g.method = j["method"].get<std::string>();
    if (j.contains("params")) {
        if (!j["params"].is_object())
            badGrid("'params' must be an object");
        g.fixed = j["params"];
    }
    if (j.contains("grid")) {
        if (!j["grid"].is_object())
            badGrid("'grid' must be an object of value lists");
        for (const auto& [key, values] : j["grid"].items()) {
            if (!values.is_array() || values.empty())
                badGrid("'" + key + "' must list at least one value");
            if (g.fixed.contains(key))
                badGrid("'" + key + "' is both fixed and swept");
            g.axes.emplace_back(key, values.get<std::vector<nlohmann::json>>());
        }
    }
    return g;
}

std::vector<QuantSpec> SweepGrid::expand() const
{
    size_t total = 1;
    for (const auto& axis : axes)
        total *= axis.second.size();
    std::vector<QuantSpec> out;
    out.reserve(total);
    // Mixed-radix counter over the axes, last axis fastest.
    std::vector<size_t> digit(axes.size(), 0);
    for (size_t n = 0; n < total; ++n) {
        QuantSpec s { method, fixed };
        for (size_t a = 0; a < axes.size(); ++a)
            s.params[axes[a].first] = axes[a].second[digit[a]];
        out.push_back(std::move(s));
        for (size_t a = axes.size(); a-- > 0;) {
            if (++digit[a] < axes[a].second.size())
                break;
            digit[a] = 0;
        }
    }
    return out;
}

Shard Shard::parse(const std::string& text)
{
    const size_t slash = text.find('/');
    if (slash == std::string::npos)
        throw Error(ErrorKind::InvalidArgument, "", "shard '" + text + "' is not of the form i/n (e.g. 0/4)");
    Shard s;
    s.index = parseInt(std::string_view(text).substr(0, slash), text);
    s.count = parseInt(std::string_view(text).substr(slash + 1), text);
    if (s.count < 1 || s.index < 0 || s.index >= s.count)
        throw Error(
            ErrorKind::InvalidArgument, "", "shard '" + text + "': need 0 <= i < n (shards are numbered from 0)");
    return s;
}

std::vector<RunRecord> readRunLines(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(errno == ENOENT ? ErrorKind::NotFound : ErrorKind::Unreadable, path,
            errno == ENOENT ? "no such file" : std::strerror(errno));
    std::vector<RunRecord> out;
    std::string line;
    int64_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos)
            continue;
        try {
            out.push_back(RunRecord::fromJson(nlohmann::json::parse(line)));
        } catch (const nlohmann::json::exception& e) {
            throw Error(ErrorKind::Malformed, path, "line " + std::to_string(number) + ": " + e.what());
        } catch (const Error& e) {
            throw Error(ErrorKind::Malformed, path, "line " + std::to_string(number) + ": " + e.message());
        }
    }
    if (in.bad())
        throw Error(ErrorKind::Unreadable, path, "read error");
    return out;
}

std::vector<RunRecord> mergeRuns(const std::vector<std::vector<RunRecord>>& lists)
{
    std::vector<RunRecord> out;
    std::map<std::string, size_t> seen;
    for (const auto& list : lists) {
        for (const RunRecord& r : list) {
            const auto [it, inserted] = seen.emplace(r.dedupeKey(), out.size());
            if (inserted)
                out.push_back(r);
            else if (out[it->second].status != RunStatus::Done && r.status == RunStatus::Done)
                out[it->second] = r; // a finished run replaces an earlier failed or cancelled attempt
        }
    }
    return out;
}

} // namespace vq
