#pragma once

// Pieces shared by the codebook quantizers (pq, grvq, crvq, aqlm and the methods built on them): codebook
// storage precision, spec and input checks, the start of fit(), k-means settings and progress, per-token
// weight expansion and parallel independent tasks.
#include "common/matrix.h"
#include "common/runcontrol.h"
#include "quant/bitbudget.h"
#include "quant/kmeans.h"
#include "quant/paramschema.h"
#include "quant/quantizedtable.h"
#include "quant/quantizer.h"

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

// The divisors of dim up to max, ascending, comma-separated ("1, 2, 4, 5, 10, 20, 25, 50, 100"); at most
// 24 of them, then "…".
std::string divisorsText(int64_t dim, int64_t max);

// Refuses (vq::Error InvalidArgument) a row length `dim` that parameter `param` = `width` of `method`
// does not divide, listing the values that do: "<method>: parameter '<param>' = <width> does not divide
// the row length <dim> (use <alternative>one of <divisors>)"; alternative is e.g. "0 for the whole row,
// or ".
void requireDividesRow(const std::string& method, const std::string& param, int64_t width, int64_t dim,
    const std::string& alternative = {});

// The largest code width whose 2^bits codewords a codebook trained on `vectors` vectors can hold (0 when
// vectors < 2), and the same as " (at most <bits> bits here)" for refusals of a code width ("" for 0).
int largestBits(int64_t vectors);
std::string largestBitsText(int64_t vectors);

// Refuses (vq::Error InvalidArgument) a budget above 32 bits per parameter, the cost of the float32
// table itself: "<method>: <bits> bits per parameter, more than the float32 table itself".
void requireBelowFloat32(const std::string& method, const BitBudget& budget);

// The start of every fit(): a table holding `spec` as `method` validates it for the input's shape, and
// that shape (rows, dim); no arrays, no info. Throws what method.validate() throws.
QuantizedTable beginFit(const Quantizer& method, const FitInput& input, const QuantSpec& spec);

// The k-means settings of withKMeansParams() read from a validated spec (maxIterations, tolerance,
// maxPointsPerCentroid, init); every other field keeps its default.
KMeansOptions kmeansOptionsOf(const QuantSpec& spec);

// An onIteration callback for k-means runs that together do `totalIterations` iterations at most:
// reports `stage` with the fraction of them done so far. Safe to call from concurrent runs; `control`
// must outlive the callback.
std::function<void(int, double)> kmeansProgress(const RunControl& control, std::string stage, double totalIterations);

// How `tasks` independent k-means trainings share `threads` threads: with at least one task per thread
// the tasks run side by side on single-threaded k-means; with fewer, one after another, each k-means
// on every thread.
struct TaskThreads {
    int tasks = 1; // threads for parallelTasks()
    int kmeans = 1; // KMeansOptions::threads
};
TaskThreads splitThreads(int64_t tasks, int threads);

// Per-token weights repeated for each of `perRow` sub-vectors of a row (row-major order), for codebooks
// shared by every group position. Empty in, empty out.
std::vector<float> repeatWeights(std::span<const float> weights, int64_t perRow);

// Runs fn(i) for every i in [0, count) on up to `threads` OpenMP threads (0: OpenMP's default),
// dynamically scheduled. Tasks not yet started are skipped once one throws or control is cancelled;
// afterwards the exception of the lowest-numbered failed task is rethrown, or vq::Cancelled. fn runs
// concurrently and must only touch its own task's outputs.
void parallelTasks(int64_t count, int threads, const RunControl& control, const std::function<void(int64_t)>& fn);

// params followed by the k-means settings every codebook-training method exposes (iterations,
// tolerance, init, sampleCap); iterationsScope and trainingUnit fill their help texts ("k-means
// iterations<scope> at most", "training vectors per <unit> at most").
std::vector<ParamDef> withKMeansParams(
    std::vector<ParamDef> params, const std::string& iterationsScope, const std::string& trainingUnit);

// "A training vectors for B centroids (what): under 39 per centroid ..." when the ratio is below 39
// (FAISS's warning threshold), else "".
std::string fewVectorsWarning(int64_t trainingVectors, int64_t centroids, const std::string& what);

// Appends "<method>: " + fewVectorsWarning(...) to `warnings` when that warning is not empty.
void addFewVectorsWarning(std::vector<std::string>& warnings, const std::string& method, int64_t trainingVectors,
    int64_t centroids, const std::string& what);

} // namespace vq
