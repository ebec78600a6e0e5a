#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace vq {

// A per-token array taken out of a metrics JSON so that it can be stored as a numeric dataset/tensor
// instead of as text.
struct MetricsArray {
    std::string pointer; // JSON pointer into the metrics object ("/reconstruction/perToken/relError")
    std::vector<double> values; // non-finite entries (written as "inf", "-inf", "nan" in JSON) as IEEE values
};

// Moves out of metrics every array, found under nested objects, whose `rows` entries are all numbers or
// the strings "inf", "-inf", "nan" (rows > 0). metrics is left with those members removed.
std::vector<MetricsArray> extractMetricsArrays(nlohmann::json& metrics, int64_t rows);

// Puts an extracted array back at its pointer (creating objects on the way); non-finite values become
// the strings again, so extract + restore gives back an equal JSON.
void restoreMetricsArray(nlohmann::json& metrics, const MetricsArray& array);

// "/" and "~" escaped as in a JSON pointer (RFC 6901).
std::string escapeJsonPointerToken(const std::string& key);

} // namespace vq
