#pragma once

#include "common/runcontrol.h"
#include "io/embeddingtable.h"
#include "quant/quantspec.h"
#include "run/runrecord.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vq {

// How one run is executed besides its spec: token weights and which metrics.
struct RunOptions {
    std::string name; // RunRecord::name

    // Token weights f_t for the fit and the weighted metrics: a counts file (see loadTokenWeights), or a
    // Zipf prior with exponent zipf (see zipfTokenWeights), or uniform when neither is set. Both set:
    // InvalidArgument.
    std::string weightsFile;
    std::optional<double> zipf;

    bool neighbourRecall = true;
    int recallK = 10;
    int64_t recallQueries = 1000;
    // nullopt: on only when the table is known to be the tied output head (EmbeddingTable::tiedHead).
    std::optional<bool> logitFidelity;
    int64_t logitQueries = 256;
    // Final hidden states (Q x dim, any readable tensor file; its first tensor) used as logit queries;
    // giving it switches logit fidelity on unless logitFidelity is explicitly false.
    std::string hiddenStatesFile;

    bool keepTable = true; // RunRecord::table holds the arrays; false drops them (sweeps)
    bool keepFullMetrics = true; // RunRecord::fullMetrics holds per-token vectors; false drops them
};

// The token weights options ask for (empty for uniform) and their description for provenance.
struct ResolvedWeights {
    std::vector<float> weights;
    std::string description; // "uniform", "zipf s=1.1", "counts <file>"
};
ResolvedWeights resolveTokenWeights(const RunOptions& options, int64_t rows);
// Sets the weights options back from their description in provenance ("zipf s=1.1", "counts <file>");
// any other text ("uniform") leaves options unchanged.
void applyTokenWeightsDescription(const std::string& description, RunOptions& options);

// Provenance of a run of options on table under control (seed, threads), dated now.
RunProvenance runProvenance(const EmbeddingTable& table, const RunOptions& options, const RunControl& control);

// A record with everything known before training: resolved spec, exact bit budget (the estimate),
// warnings (method advice, NaN/Inf in the table), provenance and id; status Queued. Throws
// Error(InvalidArgument) naming the parameter when the spec is refused for this table, and for bad
// weights options. No training: this is the dry run.
RunRecord planRun(
    const EmbeddingTable& table, const QuantSpec& spec, const RunOptions& options, const RunControl& control);

// Validates, fits, decodes and computes the metrics (reconstruction always; neighbour recall, logit
// fidelity as options say; codebook usage of the method's code arrays). Progress: the method's fit
// stages, then "decode" and the metric stages. Returns a record with status Done. Throws
// Error(InvalidArgument) for a refused spec or options (before any training), vq::Cancelled when
// control is cancelled, and any Error of the method or the metrics.
RunRecord executeRun(
    const EmbeddingTable& table, const QuantSpec& spec, const RunOptions& options, RunControl& control);

// The metrics of a fitted (or loaded) quantized table against the table it came from: decode, the
// metrics options ask for, codebook usage of the method's code arrays. Appends to warnings what was
// skipped and why. weights: empty or one per row. Throws Error(InvalidArgument) when the shapes differ.
RunMetrics measureQuantized(const EmbeddingTable& table, const QuantizedTable& quantized,
    std::span<const float> weights, const RunOptions& options, std::vector<std::string>& warnings, RunControl& control);

} // namespace vq
