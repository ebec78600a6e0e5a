#include "export/metricsarrays.h"

#include <cmath>
#include <limits>

namespace vq {

namespace {

bool asNumber(const nlohmann::json& v, double& out)
{
    if (v.is_number()) {
        out = v.get<double>();
        return true;
    }
    if (!v.is_string())
        return false;
    const std::string& s = v.get_ref<const std::string&>();
    if (s == "inf")
        out = std::numeric_limits<double>::infinity();
    else if (s == "-inf")
        out = -std::numeric_limits<double>::infinity();
    else if (s == "nan")
        out = std::numeric_limits<double>::quiet_NaN();
    else
        return false;
    return true;
}

void walk(nlohmann::json& object, const std::string& prefix, int64_t rows, std::vector<MetricsArray>& out)
{
    std::vector<std::string> moved;
    for (auto it = object.begin(); it != object.end(); ++it) {
        const std::string pointer = prefix + "/" + escapeJsonPointerToken(it.key());
        if (it->is_object()) {
            const bool hadMembers = !it->empty();
            walk(*it, pointer, rows, out);
            if (hadMembers && it->empty()) // only per-token arrays: restore recreates the object
                moved.push_back(it.key());
            continue;
        }
        if (!it->is_array() || it->size() != static_cast<size_t>(rows))
            continue;
        MetricsArray a { pointer, std::vector<double>(it->size()) };
        bool numeric = true;
        for (size_t i = 0; i < it->size() && numeric; ++i)
            numeric = asNumber((*it)[i], a.values[i]);
        if (numeric) {
            out.push_back(std::move(a));
            moved.push_back(it.key());
        }
    }
    for (const std::string& key : moved)
        object.erase(key);
}

} // namespace

std::string escapeJsonPointerToken(const std::string& key)
{
    std::string s;
    for (const char c : key) {
        if (c == '~')
            s += "~0";
        else if (c == '/')
            s += "~1";
        else
            s += c;
    }
    return s;
}

std::vector<MetricsArray> extractMetricsArrays(nlohmann::json& metrics, int64_t rows)
{
    std::vector<MetricsArray> out;
    if (rows > 0 && metrics.is_object())
        walk(metrics, "", rows, out);
    return out;
}

void restoreMetricsArray(nlohmann::json& metrics, const MetricsArray& array)
{
    nlohmann::json values = nlohmann::json::array();
    for (const double v : array.values) {
        if (std::isnan(v))
            values.push_back("nan");
        else if (std::isinf(v))
            values.push_back(v > 0 ? "inf" : "-inf");
        else
            values.push_back(v);
    }
    metrics[nlohmann::json::json_pointer(array.pointer)] = std::move(values);
}

} // namespace vq
