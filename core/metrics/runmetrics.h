#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"
#include "metrics/codebookusage.h"
#include "metrics/logitfidelity.h"
#include "metrics/neighbourrecall.h"
#include "metrics/reconstructionmetrics.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <span>
#include <vector>

namespace vq {

// Which metrics to compute after a fit, and how. Reconstruction errors are always computed (cheap,
// one pass); recall and logit fidelity cost GEMMs over the whole table (seconds on 128256 x 2048).
// Logit fidelity is meaningful for a table that is also the output head (tied embeddings); the
// caller switches it off otherwise.
struct MetricsOptions {
    bool neighbourRecall = true;
    NeighbourRecallOptions recall;
    // E's side of the recall, kept by the caller across fits of the same table (not owned; its k and
    // queries win over recall.k / recall.queries). nullptr: computed in the call.
    const NeighbourReference* recallReference = nullptr;
    bool logitFidelity = true;
    LogitFidelityOptions logits;
};

// What goes into toJson: scalars and percentiles always; the long vectors only on request.
struct MetricsJsonOptions {
    bool perToken = false; // tokenMse, tokenRelError, tokenCosine (rows floats each)
    bool perQuery = false; // recall and logit fidelity per query, neighbour lists
    bool codeCounts = false; // the 2^bits counts of every codebook usage entry
};

struct RunMetrics {
    ReconstructionMetrics reconstruction;
    std::optional<NeighbourRecall> neighbourRecall;
    std::optional<LogitFidelity> logitFidelity;
    // Codes are not visible here: the caller computes computeCodebookUsage() from the stored arrays
    // (one entry per code array) and stores it for toJson.
    std::vector<CodebookUsage> codebookUsage;
    // Wall-clock seconds per metric ("reconstruction", "neighbourRecall", "logitFidelity").
    nlohmann::json seconds = nlohmann::json::object();

    // Non-finite numbers (an infinite relative error, an SNR of +inf) are written as the strings
    // "inf", "-inf", "nan", since JSON has no such numbers.
    nlohmann::json toJson(const MetricsJsonOptions& options = {}) const;
};

// All metrics of one run (see MetricsOptions) on E = ref and Ê = recon (same shape), with optional
// per-token weights (empty = uniform; see computeReconstructionMetrics). k of recall and top-k of logit
// fidelity are lowered to what a small table has (rows - 1, rows); recall is skipped for a table of
// one row. Each metric reports
// progress under its own stage name; throws vq::Cancelled, Error(InvalidArgument).
RunMetrics computeRunMetrics(const Matrix& ref, const Matrix& recon, std::span<const float> weights,
    const MetricsOptions& options, RunControl& control);

nlohmann::json toJson(const ReconstructionMetrics& m, bool perToken = false);
nlohmann::json toJson(const NeighbourRecall& r, bool perQuery = false);
nlohmann::json toJson(const LogitFidelity& f, bool perQuery = false);
nlohmann::json toJson(const CodebookUsage& u, bool counts = false);
nlohmann::json toJson(const TokenPercentiles& p);
// A number as JSON: itself when finite, else "inf", "-inf" or "nan".
nlohmann::json jsonNumber(double v);

} // namespace vq
