#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace vq {

// What is done to a query h before its logits z_j = s(h) * <h, e_j> are formed.
enum class QueryScaling {
    None, // s = logitScale: the raw dot products (real final hidden states already have the right scale)
    UnitNorm, // s = logitScale / ||h||: cosine-like logits, times a temperature-like factor
};

const char* toString(QueryScaling scaling);

struct LogitFidelityOptions {
    // Queries: a seeded sample (RunControl::seed) of this many rows of E with non-zero norm, unless
    // hiddenStates is set (Q x dim, not owned, must outlive the call).
    int64_t queries = 256;
    const Matrix* hiddenStates = nullptr;
    // Default: UnitNorm for sampled rows (a row of E dotted with E gives logits as large as its squared
    // norm, which makes the softmax one-hot or flat depending on the table), None for hidden states.
    std::optional<QueryScaling> scaling;
    // Multiplier of the logits (1 / temperature). 0 = automatic: 1 for None; for UnitNorm
    // sqrt(dim) / rms row norm of E, so that a row unrelated to the query (cosine ~ N(0, 1/dim)) gets
    // a logit of about unit spread, while near neighbours and the query's own row stand out by
    // sqrt(dim) times their cosine.
    double logitScale = 0;
    int topK = 5; // for the top-k overlap
    // Logits of both tables are formed for a chunk of queries at a time: chunk * rows * 2 floats of
    // scratch at most this many (default 256 MB), at least one query.
    int64_t maxScratchFloats = int64_t(1) << 26;
};

// How much the output distribution of a tied embedding/LM head changes when E is replaced by Ê:
// p = softmax(z(h, E)), q = softmax(z(h, Ê)) over the full vocabulary, for each query h.
struct LogitFidelity {
    int64_t queries = 0;
    bool sampledRows = true; // false: hiddenStates were given
    QueryScaling scaling = QueryScaling::UnitNorm;
    double logitScale = 1; // the value used (resolved when automatic)
    int topK = 5;

    double meanKl = 0; // mean over queries of KL(p || q), nats
    double maxKl = 0;
    double top1Agreement = 0; // fraction of queries with argmax p == argmax q
    double topKOverlap = 0; // mean |top-k(p) ∩ top-k(q)| / k
    double meanRefEntropy = 0; // mean entropy of p in nats: log(rows) is flat, 0 one-hot; judges the scale

    std::vector<int64_t> queryRows; // the sampled rows (empty for hidden states)
    std::vector<double> perQueryKl;
    std::vector<int64_t> refTop1; // argmax p per query (ties: the smaller index)
    std::vector<int64_t> reconTop1;
    std::vector<double> perQueryTopKOverlap;
};

// ref and recon must have the same non-empty shape, hiddenStates (if any) dim columns, topK in
// 1..rows, logitScale >= 0 (throws Error(InvalidArgument) otherwise). Logits are float GEMMs
// (OpenBLAS), scaled and log-softmaxed in double per query (OpenMP over queries); KL is clamped at 0
// against rounding. A zero query under UnitNorm gives flat p and q (KL 0). Deterministic for a seed;
// progress stage "logit fidelity"; throws vq::Cancelled.
LogitFidelity computeLogitFidelity(
    const Matrix& ref, const Matrix& recon, const LogitFidelityOptions& options, RunControl& control);

} // namespace vq
