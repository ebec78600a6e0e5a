#pragma once

#include "quant/paramschema.h"

// Pieces shared by the codebook quantizers (pq, grvq and the methods built on them): codebook storage
// precision, input checks, per-token weight expansion and parallel independent tasks.
#include "common/matrix.h"
#include "common/runcontrol.h"
#include "quant/quantizedtable.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace vq {

// How codebook values are stored: "f32", "f16" or "bf16" in a spec.
struct CodebookPrecision {
    StorageType type = StorageType::F16;

    static CodebookPrecision fromName(const std::string& name); // throws InvalidArgument
    int bits() const { return type == StorageType::F32 ? 32 : 16; }
    std::string name() const; // "fp32", "fp16", "bf16" (for labels)
    // Rounds every value to the storage precision (round to nearest even), in place.
    void round(Matrix& m) const;
    // The largest magnitude a codebook value may have without overflowing the storage type.
    float maxMagnitude() const;
};

// Refuses (vq::Error InvalidArgument, naming the method, row and column) a table holding NaN or Inf,
// or values whose codebooks could overflow `precision` (|x| above half its range: residual codewords
// can reach twice the largest value).
void requireCodebookable(const Matrix& table, const CodebookPrecision& precision, const std::string& method);

// Per-token weights repeated for each of `perRow` sub-vectors of a row (row-major order), for codebooks
// shared by every group position. Empty in, empty out.
std::vector<float> repeatWeights(std::span<const float> weights, int64_t perRow);

// Runs fn(i) for every i in [0, count) on up to `threads` OpenMP threads (0: OpenMP's default),
// dynamically scheduled. Tasks not yet started are skipped once one throws or control is cancelled;
// afterwards the exception of the lowest-numbered failed task is rethrown, or vq::Cancelled. fn runs
// concurrently and must only touch its own task's outputs.
void parallelTasks(int64_t count, int threads, const RunControl& control, const std::function<void(int64_t)>& fn);

// "A training vectors for B centroids: under 39 per centroid ..." when the ratio is below 39 (FAISS's
// warning threshold), else "".
// params followed by the k-means settings every codebook-training method exposes (iterations,
// tolerance, init, sampleCap); iterationsScope and trainingUnit fill their help texts ("k-means
// iterations<scope> at most", "training vectors per <unit> at most").
std::vector<ParamDef> withKMeansParams(
    std::vector<ParamDef> params, const std::string& iterationsScope, const std::string& trainingUnit);

std::string fewVectorsWarning(int64_t trainingVectors, int64_t centroids, const std::string& what);

} // namespace vq
