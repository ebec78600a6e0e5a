#include "metrics/codebookusagejson.h"

#include "common/error.h"

namespace vq {

namespace {

const nlohmann::json& member(const nlohmann::json& j, const char* key, const char* where)
{
    if (!j.is_object() || !j.contains(key))
        throw Error(ErrorKind::Malformed, {}, std::string("codebook usage: missing key '") + key + "' in " + where);
    return j.at(key);
}

template <typename T> T typed(const nlohmann::json& j, const char* key, const char* where)
{
    const nlohmann::json& v = member(j, key, where);
    try {
        return v.get<T>();
    } catch (const nlohmann::json::exception&) {
        throw Error(ErrorKind::Malformed, {},
            std::string("codebook usage: key '") + key + "' in " + where + " has the wrong type (" + v.type_name()
                + ")");
    }
}

CodeUsage codeUsageFromJson(const nlohmann::json& j, const char* where)
{
    CodeUsage u;
    u.stage = typed<int>(j, "stage", where);
    u.group = j.contains("group") ? typed<int>(j, "group", where) : -1;
    u.total = typed<int64_t>(j, "total", where);
    u.entropyBits = typed<double>(j, "entropyBits", where);
    u.perplexity = typed<double>(j, "perplexity", where);
    u.entropyRatio = typed<double>(j, "entropyRatio", where);
    u.deadCodes = typed<std::vector<int32_t>>(j, "deadCodes", where);
    if (j.contains("counts"))
        u.counts = typed<std::vector<int64_t>>(j, "counts", where);
    return u;
}

} // namespace

CodebookUsage codebookUsageFromJson(const nlohmann::json& j)
{
    CodebookUsage u;
    u.layout.rows = typed<int64_t>(j, "rows", "codebookUsage");
    u.layout.groups = typed<int>(j, "groups", "codebookUsage");
    u.layout.stages = typed<int>(j, "stages", "codebookUsage");
    u.layout.bits = typed<int>(j, "bits", "codebookUsage");
    u.layout.sharedAcrossGroups = typed<bool>(j, "sharedAcrossGroups", "codebookUsage");
    if (u.layout.groups < 1 || u.layout.stages < 1 || u.layout.bits < 1 || u.layout.bits > 24)
        throw Error(ErrorKind::Malformed, {}, "codebook usage: groups, stages or bits out of range");
    const nlohmann::json& groups = member(j, "perGroup", "codebookUsage");
    const nlohmann::json& pooled = member(j, "pooled", "codebookUsage");
    if (!groups.is_array() || !pooled.is_array())
        throw Error(ErrorKind::Malformed, {}, "codebook usage: 'perGroup' and 'pooled' must be arrays");
    const auto expectedGroups = static_cast<size_t>(u.layout.groups) * static_cast<size_t>(u.layout.stages);
    if (groups.size() != expectedGroups || pooled.size() != static_cast<size_t>(u.layout.stages))
        throw Error(ErrorKind::Malformed, {},
            "codebook usage: " + std::to_string(groups.size()) + " perGroup and " + std::to_string(pooled.size())
                + " pooled entries for " + std::to_string(u.layout.stages) + " stages x "
                + std::to_string(u.layout.groups) + " groups");
    for (const nlohmann::json& g : groups)
        u.perGroup.push_back(codeUsageFromJson(g, "perGroup"));
    for (const nlohmann::json& p : pooled)
        u.pooled.push_back(codeUsageFromJson(p, "pooled"));
    const size_t codes = size_t(1) << u.layout.bits;
    const auto checkCounts = [&](const CodeUsage& c) {
        if (!c.counts.empty() && c.counts.size() != codes)
            throw Error(ErrorKind::Malformed, {},
                "codebook usage: " + std::to_string(c.counts.size()) + " counts for " + std::to_string(codes)
                    + " codes");
    };
    for (const CodeUsage& c : u.perGroup)
        checkCounts(c);
    for (const CodeUsage& c : u.pooled)
        checkCounts(c);
    return u;
}

std::vector<CodebookUsage> codebookUsagesFromMetricsJson(const nlohmann::json& metrics)
{
    std::vector<CodebookUsage> out;
    if (!metrics.is_object() || !metrics.contains("codebookUsage"))
        return out;
    const nlohmann::json& list = metrics.at("codebookUsage");
    if (!list.is_array())
        throw Error(ErrorKind::Malformed, {}, "codebook usage: 'codebookUsage' must be an array");
    for (const nlohmann::json& j : list)
        out.push_back(codebookUsageFromJson(j));
    return out;
}

bool hasCounts(const CodebookUsage& usage)
{
    const size_t codes = size_t(1) << usage.layout.bits;
    for (const CodeUsage& c : usage.perGroup)
        if (c.counts.size() != codes)
            return false;
    for (const CodeUsage& c : usage.pooled)
        if (c.counts.size() != codes)
            return false;
    return !usage.perGroup.empty();
}

} // namespace vq
