#pragma once

#include "metrics/codebookusage.h"

#include <nlohmann/json.hpp>

#include <vector>

namespace vq {

// The inverse of toJson(CodebookUsage, counts) (see runmetrics.h): layout (rows, groups, stages, bits,
// sharedAcrossGroups; default strides), perGroup and pooled entries with their entropy, perplexity and
// dead codes. CodeUsage::counts stay empty when the JSON was written without them (the default); the
// caller checks hasCounts(). Throws Error(Malformed) naming the missing or mistyped key.
CodebookUsage codebookUsageFromJson(const nlohmann::json& j);

// Every entry of metrics["codebookUsage"] (a RunMetrics::toJson() object); empty when the key is absent.
std::vector<CodebookUsage> codebookUsagesFromMetricsJson(const nlohmann::json& metrics);

// True when every perGroup and pooled entry holds its 2^bits counts.
bool hasCounts(const CodebookUsage& usage);

} // namespace vq
