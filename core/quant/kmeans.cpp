#include "quant/kmeans.h"

#include "common/error.h"
#include "quant/nearestcentroids.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

namespace vq {

namespace {

// Fixed partition of the points for sums: the same chunks whatever the thread count keep every
// floating-point sum in the same order.
constexpr int64_t kChunk = 4096;

double uniform01(std::mt19937_64& rng)
{
    return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

int resolveThreads(int threads)
{
    return threads > 0 ? threads : omp_get_max_threads();
}

// Index i such that the running sum of values first exceeds target; values[i] > 0 for the result
// unless every value is 0 (then the last positive one, or n - 1).
int64_t pickByCumulative(const std::vector<double>& chunkSums, const std::vector<double>& values, double target)
{
    const int64_t n = static_cast<int64_t>(values.size());
    double acc = 0.0;
    int64_t c = 0;
    const int64_t nChunks = static_cast<int64_t>(chunkSums.size());
    for (; c < nChunks - 1; ++c) {
        if (acc + chunkSums[static_cast<size_t>(c)] > target)
            break;
        acc += chunkSums[static_cast<size_t>(c)];
    }
    int64_t lastPositive = -1;
    for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) {
        const double v = values[static_cast<size_t>(i)];
        if (v > 0.0) {
            lastPositive = i;
            acc += v;
            if (acc > target)
                return i;
        }
    }
    if (lastPositive >= 0)
        return lastPositive;
    for (int64_t i = n - 1; i >= 0; --i)
        if (values[static_cast<size_t>(i)] > 0.0)
            return i;
    return n - 1;
}

Matrix initPlusPlus(
    MatrixView x, const std::vector<float>& w, int64_t k, std::mt19937_64& rng, int threads, RunControl& control)
{
    const int64_t n = x.rows;
    const int64_t d = x.cols;
    const int64_t nChunks = (n + kChunk - 1) / kChunk;
    Matrix c(k, d);
    std::vector<double> cost(static_cast<size_t>(n)); // w_i * D(x_i)^2
    std::vector<float> minD(static_cast<size_t>(n));
    std::vector<double> chunkSums(static_cast<size_t>(nChunks));
    std::vector<float> xt(static_cast<size_t>(n * d));
    for (int64_t i = 0; i < n; ++i)
        for (int64_t q = 0; q < d; ++q)
            xt[static_cast<size_t>(q * n + i)] = x.row(i)[q];

    // First centre: drawn with probability proportional to the weight.
    std::vector<double> wd(w.begin(), w.end());
    for (int64_t ch = 0; ch < nChunks; ++ch) {
        double s = 0.0;
        for (int64_t i = ch * kChunk; i < std::min(n, (ch + 1) * kChunk); ++i)
            s += wd[static_cast<size_t>(i)];
        chunkSums[static_cast<size_t>(ch)] = s;
    }
    double total = 0.0;
    for (double s : chunkSums)
        total += s;
    int64_t pick = pickByCumulative(chunkSums, wd, uniform01(rng) * total);
    std::copy(x.row(pick), x.row(pick) + d, c.row(0));
    std::fill(minD.begin(), minD.end(), std::numeric_limits<float>::infinity());

    const int nt = static_cast<int>(std::min<int64_t>(threads, nChunks));
    for (int64_t j = 0; j < k; ++j) {
        if (j > 0) {
            total = 0.0;
            for (double s : chunkSums)
                total += s;
            if (total > 0.0) {
                pick = pickByCumulative(chunkSums, cost, uniform01(rng) * total);
            } else {
                // Every point coincides with a centre already chosen: duplicates are all that is left.
                pick = static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
            }
            std::copy(x.row(pick), x.row(pick) + d, c.row(j));
            if (j % 32 == 0)
                control.throwIfCancelled();
        }
        if (j == k - 1)
            break;
        const float* cj = c.row(j);
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int64_t ch = 0; ch < nChunks; ++ch) {
            const int64_t begin = ch * kChunk;
            const int64_t len = std::min(n, begin + kChunk) - begin;
            // Column-major copy of the points: the distance loop runs across points and vectorises;
            // each point's sum still adds its dimensions in order.
            float acc[kChunk];
            std::fill(acc, acc + len, 0.0f);
            for (int64_t q = 0; q < d; ++q) {
                const float* col = xt.data() + q * n + begin;
                const float cq = cj[q];
                for (int64_t i = 0; i < len; ++i) {
                    const float t = col[i] - cq;
                    acc[i] += t * t;
                }
            }
            double s = 0.0;
            for (int64_t i = 0; i < len; ++i) {
                float& m = minD[static_cast<size_t>(begin + i)];
                if (acc[i] < m)
                    m = acc[i];
                const double ci = static_cast<double>(w[static_cast<size_t>(begin + i)]) * m;
                cost[static_cast<size_t>(begin + i)] = ci;
                s += ci;
            }
            chunkSums[static_cast<size_t>(ch)] = s;
        }
    }
    return c;
}

Matrix initRandom(MatrixView x, int64_t k, std::mt19937_64& rng)
{
    const std::vector<int64_t> idx = sampleIndices(x.rows, k, rng());
    Matrix c(k, x.cols);
    for (int64_t j = 0; j < k; ++j)
        std::copy(x.row(idx[static_cast<size_t>(j)]), x.row(idx[static_cast<size_t>(j)]) + x.cols, c.row(j));
    return c;
}

} // namespace

std::vector<int64_t> sampleIndices(int64_t n, int64_t count, uint64_t seed)
{
    std::vector<int64_t> out;
    if (count >= n) {
        out.resize(static_cast<size_t>(std::max<int64_t>(n, 0)));
        for (int64_t i = 0; i < n; ++i)
            out[static_cast<size_t>(i)] = i;
        return out;
    }
    // Selection sampling (Knuth's algorithm S): one pass, constant memory, sorted output.
    std::mt19937_64 rng(seed);
    out.reserve(static_cast<size_t>(count));
    int64_t needed = count;
    for (int64_t i = 0; i < n && needed > 0; ++i) {
        if (uniform01(rng) * static_cast<double>(n - i) < static_cast<double>(needed)) {
            out.push_back(i);
            --needed;
        }
    }
    return out;
}

KMeansResult kmeans(
    MatrixView points, std::span<const float> weights, const KMeansOptions& options, RunControl& control)
{
    const int64_t n = points.rows;
    const int64_t d = points.cols;
    const int64_t k = options.k;
    if (k < 1 || k > n)
        throw Error(ErrorKind::InvalidArgument, "",
            "k-means: " + std::to_string(k) + " centroids for " + std::to_string(n)
                + " points (need 1 <= k <= points)");
    if (d < 1)
        throw Error(ErrorKind::InvalidArgument, "", "k-means: points have no dimensions");
    if (!weights.empty() && static_cast<int64_t>(weights.size()) != n)
        throw Error(ErrorKind::InvalidArgument, "",
            "k-means: " + std::to_string(weights.size()) + " weights for " + std::to_string(n) + " points");
    if (options.maxIterations < 0 || options.tolerance < 0 || options.maxPointsPerCentroid < 0)
        throw Error(ErrorKind::InvalidArgument, "", "k-means: negative iteration count, tolerance or sample cap");

    const int threads = resolveThreads(options.threads);
    std::mt19937_64 rng(options.seed);

    // Training sample: a contiguous copy of the chosen rows (and their weights).
    const int64_t cap = options.maxPointsPerCentroid > 0 ? k * options.maxPointsPerCentroid : n;
    const std::vector<int64_t> idx = sampleIndices(n, cap, rng());
    const int64_t m = static_cast<int64_t>(idx.size());
    Matrix xs(m, d);
    std::vector<float> w(static_cast<size_t>(m), 1.0f);
    double totalWeight = 0.0;
    for (int64_t i = 0; i < m; ++i) {
        const int64_t src = idx[static_cast<size_t>(i)];
        std::copy(points.row(src), points.row(src) + d, xs.row(i));
        if (!weights.empty()) {
            const float wi = weights[static_cast<size_t>(src)];
            if (!std::isfinite(wi) || wi < 0.0f)
                throw Error(ErrorKind::InvalidArgument, "",
                    "k-means: weight " + std::to_string(wi) + " of point " + std::to_string(src)
                        + " is not a finite value >= 0");
            w[static_cast<size_t>(i)] = wi;
        }
        totalWeight += w[static_cast<size_t>(i)];
    }
    if (!(totalWeight > 0.0))
        throw Error(ErrorKind::InvalidArgument, "", "k-means: the training points' weights sum to 0");
    const MatrixView x(xs);

    KMeansResult result;
    result.trainingPoints = m;
    result.centroids = options.init == KMeansOptions::Init::PlusPlus ? initPlusPlus(x, w, k, rng, threads, control)
                                                                     : initRandom(x, k, rng);
    control.throwIfCancelled();

    const int64_t nChunks = (m + kChunk - 1) / kChunk;
    std::vector<int32_t> labels(static_cast<size_t>(m));
    std::vector<float> dist(static_cast<size_t>(m));
    std::vector<double> chunkSums(static_cast<size_t>(nChunks));
    std::vector<double> clusterWeight(static_cast<size_t>(k));
    std::vector<double> clusterCost(static_cast<size_t>(k));
    std::vector<int64_t> start(static_cast<size_t>(k + 1));
    std::vector<int64_t> members(static_cast<size_t>(m));

    // Members of each cluster in index order (counting sort by label): gives a fixed summation order.
    auto groupByLabel = [&] {
        std::fill(start.begin(), start.end(), 0);
        for (int32_t l : labels)
            ++start[static_cast<size_t>(l) + 1];
        for (int64_t j = 0; j < k; ++j)
            start[static_cast<size_t>(j + 1)] += start[static_cast<size_t>(j)];
        std::vector<int64_t> fill(start.begin(), start.end() - 1);
        for (int64_t i = 0; i < m; ++i)
            members[static_cast<size_t>(fill[static_cast<size_t>(labels[static_cast<size_t>(i)])]++)] = i;
    };

    for (int it = 1; it <= options.maxIterations; ++it) {
        control.throwIfCancelled();
        NearestCentroids search(result.centroids);
        search.assign(x, labels.data(), dist.data(), threads, &control);

        const int nt = static_cast<int>(std::min<int64_t>(threads, nChunks));
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int64_t ch = 0; ch < nChunks; ++ch) {
            double s = 0.0;
            for (int64_t i = ch * kChunk; i < std::min(m, (ch + 1) * kChunk); ++i)
                s += static_cast<double>(w[static_cast<size_t>(i)]) * dist[static_cast<size_t>(i)];
            chunkSums[static_cast<size_t>(ch)] = s;
        }
        double objective = 0.0;
        for (double s : chunkSums)
            objective += s;
        objective /= totalWeight;
        result.objective.push_back(objective);
        result.iterations = it;

        // Empty-cluster repair: split the most costly cluster by giving its farthest point to the empty one.
        groupByLabel();
        std::fill(clusterWeight.begin(), clusterWeight.end(), 0.0);
        std::fill(clusterCost.begin(), clusterCost.end(), 0.0);
        for (int64_t i = 0; i < m; ++i) {
            const auto l = static_cast<size_t>(labels[static_cast<size_t>(i)]);
            clusterWeight[l] += w[static_cast<size_t>(i)];
            clusterCost[l] += static_cast<double>(w[static_cast<size_t>(i)]) * dist[static_cast<size_t>(i)];
        }
        bool moved = false;
        result.emptyClustersLeft = 0;
        for (int64_t e = 0; e < k; ++e) {
            if (clusterWeight[static_cast<size_t>(e)] > 0.0)
                continue;
            const auto big
                = static_cast<int64_t>(std::max_element(clusterCost.begin(), clusterCost.end()) - clusterCost.begin());
            if (!(clusterCost[static_cast<size_t>(big)] > 0.0)) {
                ++result.emptyClustersLeft;
                continue;
            }
            int64_t far = -1;
            for (int64_t p = start[static_cast<size_t>(big)]; p < start[static_cast<size_t>(big) + 1]; ++p) {
                const int64_t i = members[static_cast<size_t>(p)];
                if (labels[static_cast<size_t>(i)] != big || w[static_cast<size_t>(i)] <= 0.0f)
                    continue;
                if (far < 0 || dist[static_cast<size_t>(i)] > dist[static_cast<size_t>(far)])
                    far = i;
            }
            const double wf = w[static_cast<size_t>(far)];
            clusterCost[static_cast<size_t>(big)] -= wf * dist[static_cast<size_t>(far)];
            clusterWeight[static_cast<size_t>(big)] -= wf;
            clusterWeight[static_cast<size_t>(e)] = wf;
            clusterCost[static_cast<size_t>(e)] = 0.0;
            labels[static_cast<size_t>(far)] = static_cast<int32_t>(e);
            dist[static_cast<size_t>(far)] = 0.0f;
            ++result.emptyClustersRepaired;
            moved = true;
        }
        if (moved)
            groupByLabel();

        // Update: weighted mean of each cluster, summed in member (index) order.
        const int ntk = static_cast<int>(std::min<int64_t>(threads, std::max<int64_t>(1, k / 16)));
#pragma omp parallel num_threads(ntk)
        {
            std::vector<double> acc(static_cast<size_t>(d));
#pragma omp for schedule(static)
            for (int64_t j = 0; j < k; ++j) {
                std::fill(acc.begin(), acc.end(), 0.0);
                double ws = 0.0;
                for (int64_t p = start[static_cast<size_t>(j)]; p < start[static_cast<size_t>(j) + 1]; ++p) {
                    const int64_t i = members[static_cast<size_t>(p)];
                    const double wi = w[static_cast<size_t>(i)];
                    const float* xi = x.row(i);
                    for (int64_t c = 0; c < d; ++c)
                        acc[static_cast<size_t>(c)] += wi * xi[c];
                    ws += wi;
                }
                if (ws > 0.0) {
                    float* cj = result.centroids.row(j);
                    for (int64_t c = 0; c < d; ++c)
                        cj[c] = static_cast<float>(acc[static_cast<size_t>(c)] / ws);
                }
            }
        }

        if (options.onIteration)
            options.onIteration(it, objective);
        else
            control.report(options.stage, static_cast<double>(it) / options.maxIterations);

        if (it > 1) {
            const double prev = result.objective[result.objective.size() - 2];
            if (objective <= 0.0 || (options.tolerance > 0.0 && (prev - objective) < options.tolerance * prev))
                break;
        }
    }
    return result;
}

} // namespace vq
