#include "run/session.h"

#include "common/error.h"
#include "export/artifactgroup.h"
#include "export/hdf5attributes.h"
#include "io/atomicfile.h"
#include "vq/version.h"

#include <cmath>
#include <limits>
#include <optional>

namespace vq {

namespace {

using Json = nlohmann::json;
namespace attr = hdf5attr;

// ---- RunMetrics <-> JSON ----

[[noreturn]] void malformed(const std::string& what)
{
    throw Error(ErrorKind::Malformed, "", "full metrics: " + what);
}

const Json& member(const Json& j, const char* key)
{
    if (!j.is_object())
        malformed(std::string("expected an object holding '") + key + "'");
    const auto it = j.find(key);
    if (it == j.end())
        malformed(std::string("missing key '") + key + "'");
    return *it;
}

template <typename T> T get(const Json& j, const char* key)
{
    try {
        return member(j, key).get<T>();
    } catch (const Json::exception&) {
        malformed(std::string("key '") + key + "' has the wrong type");
    }
}

// A number written by jsonNumber: itself, or "inf", "-inf", "nan" (null, as nlohmann writes NaN, too).
double toNumber(const Json& v, const char* key)
{
    if (v.is_number())
        return v.get<double>();
    if (v.is_null())
        return std::numeric_limits<double>::quiet_NaN();
    if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        if (s == "inf")
            return std::numeric_limits<double>::infinity();
        if (s == "-inf")
            return -std::numeric_limits<double>::infinity();
        if (s == "nan")
            return std::numeric_limits<double>::quiet_NaN();
    }
    malformed(std::string("key '") + key + "' is not a number");
}

double number(const Json& j, const char* key)
{
    return toNumber(member(j, key), key);
}

template <typename T> std::vector<T> numbers(const Json& j, const char* key)
{
    const Json& a = member(j, key);
    if (!a.is_array())
        malformed(std::string("key '") + key + "' is not a list");
    std::vector<T> out;
    out.reserve(a.size());
    for (const Json& v : a)
        out.push_back(static_cast<T>(toNumber(v, key)));
    return out;
}

TokenPercentiles percentilesFromJson(const Json& j)
{
    return { number(j, "p50"), number(j, "p90"), number(j, "p99"), number(j, "p99.9"), number(j, "max") };
}

ReconstructionMetrics reconstructionFromJson(const Json& j)
{
    ReconstructionMetrics m;
    m.rows = get<int64_t>(j, "rows");
    m.dim = get<int64_t>(j, "dim");
    m.relMse = number(j, "relMse");
    m.snrDb = number(j, "snrDb");
    m.weighted = get<bool>(j, "weighted");
    m.weightedRelMse = number(j, "weightedRelMse");
    m.weightedSnrDb = number(j, "weightedSnrDb");
    m.mse = number(j, "mse");
    m.sumSquaredError = number(j, "sumSquaredError");
    m.sumSquaredRef = number(j, "sumSquaredRef");
    const Json& maxAbs = member(j, "maxAbsError");
    m.maxAbsError = number(maxAbs, "value");
    m.maxAbsErrorRow = get<int64_t>(maxAbs, "row");
    m.maxAbsErrorCol = get<int64_t>(maxAbs, "col");
    m.zeroRows = get<int64_t>(j, "zeroRows");
    m.zeroRowsMissed = get<int64_t>(j, "zeroRowsMissed");
    m.tokenMsePercentiles = percentilesFromJson(member(j, "tokenMse"));
    m.tokenRelErrorPercentiles = percentilesFromJson(member(j, "tokenRelError"));
    m.tokenCosineDistancePercentiles = percentilesFromJson(member(j, "tokenCosineDistance"));
    const Json& perToken = member(j, "perToken");
    m.tokenMse = numbers<float>(perToken, "mse");
    m.tokenRelError = numbers<float>(perToken, "relError");
    m.tokenCosine = numbers<float>(perToken, "cosine");
    const auto rows = static_cast<size_t>(m.rows);
    if (m.tokenMse.size() != rows || m.tokenRelError.size() != rows || m.tokenCosine.size() != rows)
        malformed("per-token vectors do not have " + std::to_string(m.rows) + " entries");
    return m;
}

NeighbourRecall recallFromJson(const Json& j)
{
    NeighbourRecall r;
    r.k = get<int>(j, "k");
    r.mean = number(j, "mean");
    r.min = number(j, "min");
    r.queryRows = numbers<int64_t>(j, "queryRows");
    r.perQuery = numbers<double>(j, "perQuery");
    r.refNeighbours = numbers<int64_t>(j, "refNeighbours");
    r.reconNeighbours = numbers<int64_t>(j, "reconNeighbours");
    return r;
}

LogitFidelity logitsFromJson(const Json& j)
{
    LogitFidelity f;
    f.queries = get<int64_t>(j, "queries");
    f.sampledRows = get<std::string>(j, "queryKind") != "hidden states";
    const std::string scaling = get<std::string>(j, "scaling");
    if (scaling == nameOf(QueryScaling::None))
        f.scaling = QueryScaling::None;
    else if (scaling == nameOf(QueryScaling::UnitNorm))
        f.scaling = QueryScaling::UnitNorm;
    else
        malformed("unknown logit scaling '" + scaling + "'");
    f.logitScale = number(j, "logitScale");
    f.topK = get<int>(j, "topK");
    f.meanKl = number(j, "meanKlNats");
    f.maxKl = number(j, "maxKlNats");
    f.top1Agreement = number(j, "top1Agreement");
    f.topKOverlap = number(j, "topKOverlap");
    f.meanRefEntropy = number(j, "meanRefEntropyNats");
    f.queryRows = numbers<int64_t>(j, "queryRows");
    f.perQueryKl = numbers<double>(j, "perQueryKl");
    f.refTop1 = numbers<int64_t>(j, "refTop1");
    f.reconTop1 = numbers<int64_t>(j, "reconTop1");
    f.perQueryTopKOverlap = numbers<double>(j, "perQueryTopKOverlap");
    return f;
}

CodeUsage codeUsageFromJson(const Json& j)
{
    CodeUsage u;
    u.stage = get<int>(j, "stage");
    u.group = j.contains("group") ? get<int>(j, "group") : -1;
    u.counts = numbers<int64_t>(j, "counts");
    u.total = get<int64_t>(j, "total");
    u.entropyBits = number(j, "entropyBits");
    u.perplexity = number(j, "perplexity");
    u.entropyRatio = number(j, "entropyRatio");
    u.deadCodes = numbers<int32_t>(j, "deadCodes");
    return u;
}

CodebookUsage codebookUsageFromJson(const Json& j)
{
    CodebookUsage u;
    u.layout.rows = get<int64_t>(j, "rows");
    u.layout.groups = get<int>(j, "groups");
    u.layout.stages = get<int>(j, "stages");
    u.layout.bits = get<int>(j, "bits");
    u.layout.sharedAcrossGroups = get<bool>(j, "sharedAcrossGroups");
    u.layout.rowStride = get<int64_t>(j, "rowStride");
    u.layout.groupStride = get<int64_t>(j, "groupStride");
    u.layout.stageStride = get<int64_t>(j, "stageStride");
    for (const Json& c : member(j, "pooled"))
        u.pooled.push_back(codeUsageFromJson(c));
    for (const Json& c : member(j, "perGroup"))
        u.perGroup.push_back(codeUsageFromJson(c));
    if (u.perGroup.size() != static_cast<size_t>(u.layout.stages) * static_cast<size_t>(u.layout.groups))
        malformed("codebook usage lists " + std::to_string(u.perGroup.size()) + " codebooks for "
            + std::to_string(u.layout.stages) + " stages x " + std::to_string(u.layout.groups) + " groups");
    return u;
}

// ---- the file ----

std::string runWhere(size_t index, const RunRecord* record = nullptr)
{
    std::string where = "run " + std::to_string(index + 1);
    if (record && !record->name.empty())
        where += " '" + record->name + "'";
    else if (record)
        where += " (" + record->id + ")";
    return where;
}

std::string dump(const Json& j, const std::string& path, const std::string& what)
{
    try {
        return j.dump();
    } catch (const Json::exception& e) {
        throw Error(ErrorKind::InvalidArgument, path, what + " is not valid UTF-8: " + e.what());
    }
}

Json parse(const std::string& text, const std::string& path, const std::string& what)
{
    try {
        return Json::parse(text);
    } catch (const Json::exception& e) {
        throw Error(ErrorKind::Malformed, path, what + " is not valid JSON: " + e.what());
    }
}

Hdf5Group createGroup(hid_t parent, const std::string& name, const std::string& path)
{
    return Hdf5Group(hdf5Check(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
        ErrorKind::WriteFailed, path, "cannot create group " + name));
}

bool hasLink(hid_t parent, const std::string& name)
{
    return H5Lexists(parent, name.c_str(), H5P_DEFAULT) > 0;
}

Hdf5Group openGroup(hid_t parent, const std::string& name, const std::string& path, const std::string& what)
{
    if (!hasLink(parent, name))
        throw Error(ErrorKind::Malformed, path, what + " is missing");
    return Hdf5Group(
        hdf5Check(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), ErrorKind::Malformed, path, "cannot open " + what));
}

// Errors of the embedded artifact say which run they are about.
[[noreturn]] void rethrowForRun(const Error& e, const std::string& path, const std::string& where)
{
    throw Error(e.kind(), path, where + ": " + e.message());
}

void writeRun(hid_t runs, size_t index, const RunRecord& r, const std::string& path)
{
    const std::string where = runWhere(index, &r);
    Hdf5Group group = createGroup(runs, std::to_string(index), path);
    const Json record = r.toJson();
    attr::writeString(group.id(), "record", dump(record, path, where + " record"), path);
    attr::writeInt64(group.id(), "has_table", r.table ? 1 : 0, path);
    attr::writeInt64(group.id(), "has_full_metrics", r.fullMetrics ? 1 : 0, path);
    if (r.table) {
        for (const StoredArray& a : r.table->arrays) {
            try {
                a.check();
            } catch (const Error& e) {
                throw Error(ErrorKind::InvalidArgument, path, where + ": " + e.message());
            }
        }
        ArtifactContents contents;
        contents.table = *r.table;
        contents.metrics = r.metrics.is_object() ? r.metrics : Json::object();
        contents.provenance = record["provenance"];
        Hdf5Group artifact = createGroup(group.id(), "artifact", path);
        // Its "export" stage is not this save's progress; cancel is checked between runs.
        writeArtifactGroup(artifact.id(), contents, path, nullRunControl());
    }
    if (r.fullMetrics)
        writeMetricsGroup(
            group.id(), "full_metrics", fullMetricsJson(*r.fullMetrics), r.fullMetrics->reconstruction.rows, path);
}

// The HDF5 lock is taken per run, not for the whole file: a table load (or another save) on another thread
// waits for one run at most. The handles stay open in between; HDF5 calls are still never concurrent.
void buildFile(const std::string& filePath, const std::string& path, const Session& s, RunControl& control)
{
    Hdf5File file;
    Hdf5Group root;
    Hdf5Group runs;
    {
        const Hdf5Lock lock;
        file = createHdf5File(filePath, path);
        root = Hdf5Group(
            hdf5Check(H5Gopen2(file.id(), "/", H5P_DEFAULT), ErrorKind::WriteFailed, path, "cannot open /"));
        attr::writeString(root.id(), "format", kSessionFormat, path);
        attr::writeInt64(root.id(), "version", kSessionVersion, path);
        attr::writeString(root.id(), "app_version", kVersion, path);
        attr::writeString(root.id(), "table", dump(s.table.toJson(), path, "table"), path);
        attr::writeInt64(root.id(), "run_count", static_cast<int64_t>(s.runs.size()), path);
        runs = createGroup(root.id(), "runs", path);
    }
    for (size_t i = 0; i < s.runs.size(); ++i) {
        control.throwIfCancelled();
        {
            const Hdf5Lock lock;
            writeRun(runs.id(), i, s.runs[i], path);
        }
        control.report("save session", static_cast<double>(i + 1) / static_cast<double>(s.runs.size()));
    }
    const Hdf5Lock lock;
    runs.reset();
    root.reset();
    hdf5Check(H5Fclose(file.release()), ErrorKind::WriteFailed, path, "cannot close " + filePath);
}

RunRecord readRun(hid_t runs, size_t index, const std::string& path)
{
    const std::string name = std::to_string(index);
    std::string where = runWhere(index);
    const Hdf5Group group = openGroup(runs, name, path, where + " (group /runs/" + name + ")");
    RunRecord r;
    try {
        r = RunRecord::fromJson(
            parse(attr::readString(group.id(), "record", path, "/runs/" + name), path, where + " record"));
    } catch (const Error& e) {
        if (!e.path().empty())
            throw;
        rethrowForRun(e, path, where);
    }
    where = runWhere(index, &r);
    const bool hasTable = attr::readInt64(group.id(), "has_table", path, "/runs/" + name) != 0;
    const bool hasFull = attr::readInt64(group.id(), "has_full_metrics", path, "/runs/" + name) != 0;
    if (hasTable) {
        if (!hasLink(group.id(), "artifact"))
            throw Error(ErrorKind::Malformed, path,
                where + ": its quantized table (group /runs/" + name + "/artifact) is missing");
        ArtifactContents contents;
        try {
            const Hdf5Group artifact = openGroup(group.id(), "artifact", path, where + " artifact");
            contents = readArtifactGroup(artifact.id(), path);
        } catch (const Error& e) {
            rethrowForRun(e, path, where);
        }
        if (contents.table.spec.toJson() != r.spec.toJson() || contents.table.rows != r.provenance.rows
            || contents.table.dim != r.provenance.dim)
            throw Error(ErrorKind::Malformed, path,
                where + ": its quantized table does not match its record (spec or shape differ)");
        r.table = std::make_shared<const QuantizedTable>(std::move(contents.table));
    }
    if (hasFull) {
        if (!hasLink(group.id(), "full_metrics"))
            throw Error(ErrorKind::Malformed, path,
                where + ": its per-token metrics (group /runs/" + name + "/full_metrics) are missing");
        try {
            auto m
                = std::make_shared<RunMetrics>(runMetricsFromJson(readMetricsGroup(group.id(), "full_metrics", path)));
            if (m->reconstruction.rows != r.provenance.rows)
                throw Error(ErrorKind::Malformed, "",
                    "its per-token metrics have " + std::to_string(m->reconstruction.rows) + " rows, the run "
                        + std::to_string(r.provenance.rows));
            r.fullMetrics = std::move(m);
        } catch (const Error& e) {
            rethrowForRun(e, path, where);
        }
    }
    return r;
}

} // namespace

SessionTable SessionTable::of(const EmbeddingTable& table)
{
    SessionTable t;
    t.file = table.source.file;
    t.tensor = table.source.tensor;
    t.format = table.source.format;
    t.dtype = table.source.dtype;
    t.checksum = table.source.checksum;
    t.rows = table.rows();
    t.dim = table.dim();
    return t;
}

Json SessionTable::toJson() const
{
    return { { "file", file }, { "tensor", tensor }, { "format", format }, { "dtype", dtype }, { "checksum", checksum },
        { "rows", rows }, { "dim", dim } };
}

SessionTable SessionTable::fromJson(const Json& j)
{
    try {
        SessionTable t;
        t.file = get<std::string>(j, "file");
        t.tensor = get<std::string>(j, "tensor");
        t.format = get<std::string>(j, "format");
        t.dtype = get<std::string>(j, "dtype");
        t.checksum = get<std::string>(j, "checksum");
        t.rows = get<int64_t>(j, "rows");
        t.dim = get<int64_t>(j, "dim");
        return t;
    } catch (const Error& e) {
        throw Error(ErrorKind::Malformed, "", "session table: " + e.message().substr(e.message().find(": ") + 2));
    }
}

Json fullMetricsJson(const RunMetrics& metrics)
{
    Json j = metrics.toJson({ true, true, true });
    if (j.contains("codebookUsage")) {
        for (size_t i = 0; i < metrics.codebookUsage.size(); ++i) {
            const CodeLayout& layout = metrics.codebookUsage[i].layout;
            Json& u = j["codebookUsage"][i];
            u["rowStride"] = layout.rowStride;
            u["groupStride"] = layout.groupStride;
            u["stageStride"] = layout.stageStride;
        }
    }
    return j;
}

RunMetrics runMetricsFromJson(const Json& j)
{
    RunMetrics m;
    m.reconstruction = reconstructionFromJson(member(j, "reconstruction"));
    if (j.contains("neighbourRecall"))
        m.neighbourRecall = recallFromJson(j["neighbourRecall"]);
    if (j.contains("logitFidelity"))
        m.logitFidelity = logitsFromJson(j["logitFidelity"]);
    if (j.contains("codebookUsage")) {
        const Json& list = j["codebookUsage"];
        if (!list.is_array())
            malformed("'codebookUsage' is not a list");
        for (const Json& u : list)
            m.codebookUsage.push_back(codebookUsageFromJson(u));
    }
    if (j.contains("seconds"))
        m.seconds = j["seconds"];
    return m;
}

void writeSession(const std::string& path, const Session& session, RunControl& control)
{
    control.throwIfCancelled();
    control.report("save session", 0.0);
    // HDF5 writes the AtomicFile's temporary file by name; commit() syncs and renames it over path, and
    // any failure before that removes it and leaves path as it was.
    AtomicFile file(path);
    buildFile(file.temporaryPath(), path, session, control);
    control.throwIfCancelled();
    file.commit();
    control.report("save session", 1.0);
}

Session readSession(const std::string& path, RunControl& control)
{
    control.report("open session", 0.0);
    const Hdf5File file = openHdf5ForReading(path);
    // Held for the header, then per run (as when writing).
    std::optional<Hdf5Lock> lock(std::in_place);
    const Hdf5Group root(hdf5Check(H5Gopen2(file.id(), "/", H5P_DEFAULT), ErrorKind::Malformed, path, "cannot open /"));
    if (!attr::exists(root.id(), "format"))
        throw Error(ErrorKind::Unsupported, path, "not a vqscope session (no 'format' attribute)");
    const std::string format = attr::readString(root.id(), "format", path, "/");
    if (format != kSessionFormat)
        throw Error(ErrorKind::Unsupported, path, "not a vqscope session (format '" + format + "')");
    const int64_t version = attr::readInt64(root.id(), "version", path, "/");
    if (version != kSessionVersion)
        throw Error(ErrorKind::Unsupported, path,
            "session version " + std::to_string(version) + "; this build reads version "
                + std::to_string(kSessionVersion));

    Session s;
    try {
        s.table = SessionTable::fromJson(parse(attr::readString(root.id(), "table", path, "/"), path, "table"));
    } catch (const Error& e) {
        if (!e.path().empty())
            throw;
        throw Error(ErrorKind::Malformed, path, e.message());
    }
    const int64_t count = attr::readInt64(root.id(), "run_count", path, "/");
    if (count < 0)
        throw Error(ErrorKind::Malformed, path, "negative run count");
    const Hdf5Group runs = openGroup(root.id(), "runs", path, "group /runs");
    lock.reset();
    for (size_t i = 0; i < static_cast<size_t>(count); ++i) {
        control.throwIfCancelled();
        {
            const Hdf5Lock runLock;
            s.runs.push_back(readRun(runs.id(), i, path));
        }
        control.report("open session", static_cast<double>(i + 1) / static_cast<double>(count));
    }
    return s;
}

} // namespace vq
