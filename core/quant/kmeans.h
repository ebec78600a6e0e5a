#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"
#include "quant/matrixview.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace vq {

struct KMeansOptions {
    enum class Init {
        PlusPlus, // k-means++ (D^2 sampling, weighted by the point weights)
        Random, // k distinct training points drawn uniformly
    };

    int64_t k = 256; // number of centroids, 1 <= k <= number of points
    int maxIterations = 25; // Lloyd iterations (FAISS's default niter)
    // Stop when the objective improves by less than this fraction over one iteration; 0 runs all
    // maxIterations (as FAISS does).
    double tolerance = 1e-4;
    // Training-sample cap: at most k * maxPointsPerCentroid points, drawn uniformly without replacement
    // (seeded), train the centroids; 0 uses every point. FAISS's default is 256.
    int64_t maxPointsPerCentroid = 256;
    Init init = Init::PlusPlus;
    uint64_t seed = 0x5eed;
    int threads = 0; // OpenMP threads; 0: OpenMP's default. Use 1 when called inside a parallel region.
    std::string stage = "k-means"; // progress stage name
    // Called after each iteration with (iteration, 1-based; objective of that iteration). When set, it
    // replaces the default progress report (stage, iteration / maxIterations): callers running several
    // k-means at once aggregate progress themselves. Called on the thread that called kmeans().
    std::function<void(int, double)> onIteration;
};

struct KMeansResult {
    Matrix centroids; // k x dim
    // Per iteration: the weighted mean squared distance of the training points to their nearest
    // centroid, measured before that iteration's centroid update (so the last entry is an upper bound
    // on the cost of the returned centroids). Non-increasing up to float rounding.
    std::vector<double> objective;
    int iterations = 0;
    int64_t trainingPoints = 0; // after the sample cap
    int64_t emptyClustersRepaired = 0; // over all iterations
    // Clusters still empty at the end: only when the training points have fewer distinct values than k.
    int64_t emptyClustersLeft = 0;
};

// Weighted k-means (Lloyd) on the rows of points: minimises sum_i w_i ||x_i - c(x_i)||^2.
//
// weights: empty (uniform) or points.rows finite values >= 0 with a positive sum. Initialisation by
// k-means++ (or random points), then Lloyd iterations: assign by NearestCentroids, repair empty
// clusters, move each centroid to the weighted mean of its points. An empty cluster (no point, or only
// zero-weight points) is repaired by splitting the most costly cluster: the empty centroid moves to that
// cluster's point farthest from its centroid, which then belongs to it. Sums are accumulated in double
// in a fixed order, so the result is bit-identical for the same inputs and seed whatever the thread
// count. Progress is reported per iteration; cancel is polled per block of points (throws vq::Cancelled).
// Throws vq::Error(InvalidArgument) for k out of [1, points.rows] or bad weights.
KMeansResult kmeans(
    MatrixView points, std::span<const float> weights, const KMeansOptions& options, RunControl& control);

// Deterministic uniform sample of `count` distinct indices out of [0, n), sorted ascending (all of them
// when count >= n). Shared by the quantizers that train several codebooks on one sample.
std::vector<int64_t> sampleIndices(int64_t n, int64_t count, uint64_t seed);

} // namespace vq
