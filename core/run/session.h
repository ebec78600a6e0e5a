#pragma once

#include "common/runcontrol.h"
#include "io/embeddingtable.h"
#include "metrics/runmetrics.h"
#include "run/runrecord.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace vq {

// The session file (".vqproj"): one HDF5 file holding the identity of the table the runs were made on
// and every run with the arrays needed to reopen it exactly. Schema: core/run/SESSION.md.
inline constexpr const char* kSessionFormat = "vqscope-session";
inline constexpr int kSessionVersion = 1;

// Which table a session's runs were made on: enough to load it again and to check it is the same data.
struct SessionTable {
    std::string file; // as opened (absolute path)
    std::string tensor;
    std::string format; // reader's formatName()
    std::string dtype; // stored dtype
    std::string checksum; // TableSource::checksum of the values as loaded
    int64_t rows = 0;
    int64_t dim = 0;

    static SessionTable of(const EmbeddingTable& table);
    nlohmann::json toJson() const;
    // Throws Error(Malformed) naming the missing or mistyped key.
    static SessionTable fromJson(const nlohmann::json& j);
};

struct Session {
    SessionTable table; // empty file: no table was loaded
    // In order. Each record keeps its table (QuantizedTable) and fullMetrics (per-token vectors, codebook
    // usage) when it has them; both come back from readSession exactly as written.
    std::vector<RunRecord> runs;
};

// Writes session atomically to path (temporary file beside it, then rename): a failure (missing or
// read-only folder, disk full, cancel) throws and leaves an existing file at path untouched. Progress
// stage "save session" over the runs; throws vq::Cancelled. Errors: WriteFailed naming path,
// InvalidArgument for a run whose arrays do not pass StoredArray::check(). Takes the HDF5 lock one run at a
// time (never across the whole file), so a table load on another thread waits for one run at most.
void writeSession(const std::string& path, const Session& session, RunControl& control = nullRunControl());

// Reads and validates a session file: format and version, the table identity, every run's record and
// the arrays its entry says it has (the embedded artifact of its quantized table, validated like
// readArtifact; its per-token metrics). Errors name path: NotFound, Empty, Truncated (cut short),
// Malformed (not HDF5, a missing run or run array, a record that is not a run record, arrays that do
// not match their record), Unsupported (another format or version). Progress stage "open session";
// throws vq::Cancelled. Takes the HDF5 lock one run at a time.
Session readSession(const std::string& path, RunControl& control = nullRunControl());

// Every field of metrics as JSON (RunMetrics::toJson with per-token, per-query vectors and code counts,
// plus the code layouts' strides), so that runMetricsFromJson gives back an equal RunMetrics: floats
// bit-identical (per-token floats pass through double exactly).
nlohmann::json fullMetricsJson(const RunMetrics& metrics);
// The inverse of fullMetricsJson. Throws Error(Malformed) naming the missing or mistyped member.
RunMetrics runMetricsFromJson(const nlohmann::json& j);

} // namespace vq
