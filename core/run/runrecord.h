#pragma once

#include "metrics/runmetrics.h"
#include "quant/bitbudget.h"
#include "quant/quantizedtable.h"
#include "quant/quantspec.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vq {

enum class RunStatus {
    Queued,
    Running,
    Done,
    Failed, // RunRecord::error says why
    Cancelled,
    // Queued or running when the application stopped (read back from an autosave); its spec can run again.
    Interrupted,
};

// "queued", "running", "done", "failed", "cancelled", "interrupted".
const char* nameOf(RunStatus status);
// Inverse of nameOf; throws Error(Malformed) for other text.
RunStatus runStatusFromName(const std::string& name);

// Where a run's numbers come from: enough to reproduce it and to check later that a table is the same.
struct RunProvenance {
    std::string sourceFile;
    std::string tensor;
    std::string format;
    std::string dtype; // stored dtype of the source tensor
    std::string checksum; // TableSource::checksum of the table as quantized (after any row slice)
    int64_t rows = 0; // shape quantized
    int64_t dim = 0;
    std::string tokenWeights; // "uniform", "zipf s=1.1", "counts <file>"
    std::string appVersion; // vq::kVersion
    uint64_t seed = 0;
    int threads = 0; // as asked (0: OpenMP's default)
    std::string host;
    std::string date; // UTC, ISO 8601 ("2026-11-23T14:58:01Z")
};

struct RunTimings {
    double fitSeconds = 0; // wall clock of Quantizer::fit
    double metricsSeconds = 0; // decode + every metric
};

// One run: spec + result + metrics + timings + provenance. What the GUI lists, what `sweep` writes one
// JSON line of, and what exports carry.
struct RunRecord {
    // Stable for the same spec, table (checksum and shape), token weights and seed (see makeRunId), so
    // a repeated run gets the same id.
    std::string id;
    std::string name; // user label; empty: none
    QuantSpec spec; // resolved: every parameter present
    RunStatus status = RunStatus::Queued;
    std::string error; // why it failed
    // The stored arrays; null for a record read back from JSON (arrays live in artifacts, not in JSON).
    std::shared_ptr<const QuantizedTable> table;
    // RunMetrics::toJson() of the metrics (codebook usage included); null before metrics ran.
    nlohmann::json metrics;
    // The full metrics (per-token vectors for plots) of a run executed in this process; null otherwise.
    std::shared_ptr<const RunMetrics> fullMetrics;
    // For a run on a sample of the table's rows (a preview): row i of the run is row sampleRows[i] of
    // the table named by provenance.sourceFile/tensor. Null: the run covers every row. Not serialised.
    std::shared_ptr<const std::vector<int64_t>> sampleRows;
    BitBudget bits; // of the arrays stored (or the estimate, for a dry run)
    RunTimings timings;
    RunProvenance provenance;
    std::vector<std::string> warnings;
    nlohmann::json info = nlohmann::json::object(); // QuantizedTable::info (method diagnostics)

    // One JSON object (no arrays of the table; keys sorted, so a record always dumps the same way).
    // Non-finite metrics appear as "inf"/"nan" strings (see jsonNumber).
    nlohmann::json toJson() const;
    // Throws Error(Malformed) naming the missing or mistyped key.
    static RunRecord fromJson(const nlohmann::json& j);

    // What `sweep` merging dedupes on: the spec, the table (checksum and shape) and the token weights.
    std::string dedupeKey() const;
};

// "<method>-<16 hex>" from xxh64 of the canonical spec JSON, the table checksum and shape, the token
// weights and the seed.
std::string makeRunId(const QuantSpec& spec, const RunProvenance& provenance);

} // namespace vq
