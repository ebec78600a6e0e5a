#include "run/sweep.h"

#include "common/error.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

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
    // Counted before anything is expanded, with the product capped so it cannot overflow.
    uint64_t total = 1;
    std::string shape;
    for (const auto& [key, values] : g.axes) {
        shape += (shape.empty() ? "" : " x ") + std::to_string(values.size());
        if (total > SweepGrid::kMaxCombinations / values.size() + 1)
            total = SweepGrid::kMaxCombinations + 1;
        else
            total *= values.size();
    }
    if (total > SweepGrid::kMaxCombinations)
        badGrid(std::to_string(g.axes.size()) + " keys of " + shape + " values give more than "
            + std::to_string(SweepGrid::kMaxCombinations) + " combinations; split the grid");
    return g;
}

void SweepGrid::validate(const ParamSchema& schema) const
{
    const QuantSpec base { method, fixed };
    try {
        (void)schema.resolve(base);
    } catch (const Error& e) {
        badGrid("'params': " + e.message());
    }
    for (const auto& [key, values] : axes) {
        if (!schema.find(key))
            (void)schema.resolve({ method, { { key, values.front() } } }); // throws naming the key
        for (size_t i = 0; i < values.size(); ++i) {
            QuantSpec one = base;
            one.params[key] = values[i];
            try {
                (void)schema.resolve(one);
            } catch (const Error& e) {
                badGrid("'" + key + "' value " + values[i].dump() + ": " + e.message());
            }
        }
    }
}

uint64_t SweepGrid::count() const
{
    uint64_t total = 1;
    for (const auto& axis : axes)
        total *= axis.second.size(); // fromJson bounds the product
    return total;
}

QuantSpec SweepGrid::at(uint64_t index) const
{
    if (index >= count())
        throw Error(ErrorKind::InvalidArgument, "",
            "sweep grid: combination " + std::to_string(index) + " of " + std::to_string(count()));
    QuantSpec s { method, fixed };
    // Mixed radix, last axis fastest.
    for (size_t a = axes.size(); a-- > 0;) {
        const auto& [key, values] = axes[a];
        s.params[key] = values[index % values.size()];
        index /= values.size();
    }
    return s;
}

std::vector<QuantSpec> SweepGrid::expand() const
{
    std::vector<QuantSpec> out;
    const uint64_t total = count();
    out.reserve(total);
    for (uint64_t i = 0; i < total; ++i)
        out.push_back(at(i));
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

namespace {

// Parses the lines of text, which starts at byte offset `base` of path: only lines ended by '\n' when
// `wholeOnly` (a file still being written), else the unended last line too. Lines are named by number in
// a whole file and by byte offset in a part of one.
void parseRunLines(const std::string& path, const std::string& text, uint64_t base, bool wholeOnly, RunLines& out)
{
    size_t start = 0;
    int64_t number = 0;
    while (start < text.size()) {
        const size_t newline = text.find('\n', start);
        if (newline == std::string::npos && wholeOnly)
            break;
        const size_t stop = newline == std::string::npos ? text.size() : newline;
        std::string line = text.substr(start, stop - start);
        const std::string where = base == 0 && !wholeOnly ? "line " + std::to_string(number + 1) + ": "
                                                          : "line at byte " + std::to_string(base + start) + ": ";
        start = newline == std::string::npos ? text.size() : newline + 1;
        out.end = base + start;
        ++number;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos)
            continue;
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(line);
        } catch (const nlohmann::json::parse_error& e) {
            // Input that ends inside a value is a line cut short, not a malformed one.
            if (e.byte > line.size()) {
                out.warnings.push_back(path + ": " + where + "torn line of " + std::to_string(line.size())
                    + " bytes skipped (its JSON stops before it is complete)");
                continue;
            }
            throw Error(ErrorKind::Malformed, path, where + e.what());
        }
        try {
            out.runs.push_back(RunRecord::fromJson(j));
        } catch (const nlohmann::json::exception& e) {
            throw Error(ErrorKind::Malformed, path, where + e.what());
        } catch (const Error& e) {
            throw Error(ErrorKind::Malformed, path, where + e.message());
        }
    }
}

std::string readFrom(const std::string& path, uint64_t offset)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(errno == ENOENT ? ErrorKind::NotFound : ErrorKind::Unreadable, path,
            errno == ENOENT ? "no such file" : std::strerror(errno));
    in.seekg(0, std::ios::end);
    const auto size = static_cast<uint64_t>(in.tellg());
    if (size < offset)
        throw Error(ErrorKind::Truncated, path,
            "now " + std::to_string(size) + " bytes, shorter than the " + std::to_string(offset) + " already read");
    in.seekg(static_cast<std::streamoff>(offset));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        throw Error(ErrorKind::Unreadable, path, "read error");
    return std::move(text).str();
}

} // namespace

RunLines readRunFile(const std::string& path)
{
    RunLines out;
    parseRunLines(path, readFrom(path, 0), 0, false, out);
    return out;
}

RunLines readNewRunLines(const std::string& path, uint64_t offset)
{
    RunLines out;
    out.end = offset;
    parseRunLines(path, readFrom(path, offset), offset, true, out);
    return out;
}

std::vector<RunRecord> readRunLines(const std::string& path, std::vector<std::string>* warnings)
{
    RunLines lines = readRunFile(path);
    if (warnings)
        warnings->insert(warnings->end(), lines.warnings.begin(), lines.warnings.end());
    return std::move(lines.runs);
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
