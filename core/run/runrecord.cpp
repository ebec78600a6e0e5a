#include "run/runrecord.h"

#include "common/error.h"

#include <xxhash.h>

#include <cstdio>

namespace vq {

namespace {

using Json = nlohmann::json;

[[noreturn]] void malformed(const std::string& what)
{
    throw Error(ErrorKind::Malformed, "", "run record: " + what);
}

const Json& member(const Json& j, const char* key)
{
    const auto it = j.find(key);
    if (it == j.end())
        malformed(std::string("missing key '") + key + "'");
    return *it;
}

template <typename T> T get(const Json& j, const char* key)
{
    const Json& v = member(j, key);
    try {
        return v.get<T>();
    } catch (const Json::exception&) {
        malformed(std::string("key '") + key + "' has the wrong type");
    }
}

template <typename T> T getOr(const Json& j, const char* key, T fallback)
{
    return j.contains(key) ? get<T>(j, key) : fallback;
}

Json provenanceJson(const RunProvenance& p)
{
    return {
        { "sourceFile", p.sourceFile },
        { "tensor", p.tensor },
        { "format", p.format },
        { "dtype", p.dtype },
        { "checksum", p.checksum },
        { "rows", p.rows },
        { "dim", p.dim },
        { "tokenWeights", p.tokenWeights },
        { "appVersion", p.appVersion },
        { "seed", p.seed },
        { "threads", p.threads },
        { "host", p.host },
        { "date", p.date },
    };
}

RunProvenance provenanceFromJson(const Json& j)
{
    if (!j.is_object())
        malformed("'provenance' is not an object");
    RunProvenance p;
    p.sourceFile = getOr<std::string>(j, "sourceFile", "");
    p.tensor = getOr<std::string>(j, "tensor", "");
    p.format = getOr<std::string>(j, "format", "");
    p.dtype = getOr<std::string>(j, "dtype", "");
    p.checksum = getOr<std::string>(j, "checksum", "");
    p.rows = get<int64_t>(j, "rows");
    p.dim = get<int64_t>(j, "dim");
    p.tokenWeights = getOr<std::string>(j, "tokenWeights", "uniform");
    p.appVersion = getOr<std::string>(j, "appVersion", "");
    p.seed = get<uint64_t>(j, "seed");
    p.threads = getOr<int>(j, "threads", 0);
    p.host = getOr<std::string>(j, "host", "");
    p.date = getOr<std::string>(j, "date", "");
    return p;
}

BitBudget budgetFromJson(const Json& j)
{
    if (!j.is_object())
        malformed("'bits' is not an object");
    BitBudget b;
    b.rows = get<int64_t>(j, "rows");
    b.dim = get<int64_t>(j, "dim");
    const Json& items = member(j, "items");
    if (!items.is_array())
        malformed("'bits.items' is not an array");
    for (const Json& item : items) {
        if (!item.is_object())
            malformed("an item of 'bits.items' is not an object");
        b.add(get<std::string>(item, "label"), get<std::string>(item, "role"), get<uint64_t>(item, "bits"));
    }
    return b;
}

} // namespace

const char* nameOf(RunStatus status)
{
    switch (status) {
    case RunStatus::Queued:
        return "queued";
    case RunStatus::Running:
        return "running";
    case RunStatus::Done:
        return "done";
    case RunStatus::Failed:
        return "failed";
    case RunStatus::Cancelled:
        return "cancelled";
    case RunStatus::Interrupted:
        return "interrupted";
    }
    return "unknown";
}

RunStatus runStatusFromName(const std::string& name)
{
    for (RunStatus s : { RunStatus::Queued, RunStatus::Running, RunStatus::Done, RunStatus::Failed,
             RunStatus::Cancelled, RunStatus::Interrupted })
        if (name == nameOf(s))
            return s;
    malformed("unknown status '" + name + "'");
}

std::string makeRunId(const QuantSpec& spec, const RunProvenance& p)
{
    // nlohmann::json keeps object keys sorted, so the dump is canonical.
    const std::string text = spec.toJson().dump() + "\n" + p.checksum + "\n" + std::to_string(p.rows) + "x"
        + std::to_string(p.dim) + "\n" + p.tokenWeights + "\n" + std::to_string(p.seed);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(XXH64(text.data(), text.size(), 0)));
    return spec.method + "-" + hex;
}

std::string RunRecord::dedupeKey() const
{
    return spec.toJson().dump() + "\n" + provenance.checksum + "\n" + std::to_string(provenance.rows) + "x"
        + std::to_string(provenance.dim) + "\n" + provenance.tokenWeights;
}

Json RunRecord::toJson() const
{
    Json j = {
        { "id", id },
        { "name", name },
        { "spec", spec.toJson() },
        { "status", nameOf(status) },
        { "bits", bits.toJson() },
        { "bitsPerParam", bits.bitsPerParam() },
        { "timings", { { "fitSeconds", timings.fitSeconds }, { "metricsSeconds", timings.metricsSeconds } } },
        { "provenance", provenanceJson(provenance) },
        { "warnings", warnings },
        { "info", info },
    };
    if (!error.empty())
        j["error"] = error;
    if (!metrics.is_null())
        j["metrics"] = metrics;
    return j;
}

RunRecord RunRecord::fromJson(const Json& j)
{
    if (!j.is_object())
        malformed("not a JSON object");
    RunRecord r;
    r.id = get<std::string>(j, "id");
    r.name = getOr<std::string>(j, "name", "");
    r.spec = QuantSpec::fromJson(member(j, "spec"));
    r.status = runStatusFromName(get<std::string>(j, "status"));
    r.error = getOr<std::string>(j, "error", "");
    if (j.contains("metrics"))
        r.metrics = j["metrics"];
    r.bits = budgetFromJson(member(j, "bits"));
    if (j.contains("timings")) {
        const Json& t = j["timings"];
        r.timings.fitSeconds = getOr<double>(t, "fitSeconds", 0.0);
        r.timings.metricsSeconds = getOr<double>(t, "metricsSeconds", 0.0);
    }
    r.provenance = provenanceFromJson(member(j, "provenance"));
    r.warnings = getOr<std::vector<std::string>>(j, "warnings", {});
    r.info = getOr<Json>(j, "info", Json::object());
    return r;
}

} // namespace vq
