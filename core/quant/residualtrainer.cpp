#include "quant/residualtrainer.h"

#include "common/error.h"
#include "quant/nearestcentroids.h"
#include "quant/residualencoder.h"

#include <algorithm>
#include <string>

namespace vq {

uint64_t mixSeed(uint64_t seed, uint64_t a, uint64_t b)
{
    // splitmix64 steps: consecutive inputs give unrelated outputs.
    auto mix = [](uint64_t z) {
        z += 0x9e3779b97f4a7c15ull;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    };
    return mix(mix(mix(seed) ^ a) ^ b);
}

ResidualTrainingResult trainResidualCodebooks(
    MatrixView points, std::span<const float> weights, const ResidualTrainingOptions& options, RunControl& control)
{
    if (options.stageSizes.empty())
        throw Error(ErrorKind::InvalidArgument, "", "residual k-means: no stages");
    const int64_t kMax = *std::max_element(options.stageSizes.begin(), options.stageSizes.end());
    if (kMax > points.rows)
        throw Error(ErrorKind::InvalidArgument, "",
            "residual k-means: " + std::to_string(kMax) + " codewords for " + std::to_string(points.rows)
                + " training vectors");
    if (!weights.empty() && static_cast<int64_t>(weights.size()) != points.rows)
        throw Error(ErrorKind::InvalidArgument, "",
            "residual k-means: " + std::to_string(weights.size()) + " weights for " + std::to_string(points.rows)
                + " points");

    // One sample for all stages.
    const int64_t cap
        = options.kmeans.maxPointsPerCentroid > 0 ? kMax * options.kmeans.maxPointsPerCentroid : points.rows;
    const std::vector<int64_t> idx = sampleIndices(points.rows, cap, mixSeed(options.kmeans.seed, 0x5a3b1e));
    const auto m = static_cast<int64_t>(idx.size());
    const int64_t d = points.cols;
    Matrix res(m, d);
    std::vector<float> w;
    if (!weights.empty())
        w.resize(static_cast<size_t>(m));
    for (int64_t i = 0; i < m; ++i) {
        const int64_t src = idx[static_cast<size_t>(i)];
        std::copy(points.row(src), points.row(src) + d, res.row(i));
        if (!weights.empty())
            w[static_cast<size_t>(i)] = weights[static_cast<size_t>(src)];
    }

    // The beam re-encodes from the sample itself; greedy updates the residual in place.
    const Matrix sample = options.beamWidth > 1 && options.stageSizes.size() > 1 ? res : Matrix();

    ResidualTrainingResult result;
    result.trainingPoints = m;
    std::vector<int32_t> labels(static_cast<size_t>(m));
    std::vector<float> dist(static_cast<size_t>(m));
    for (size_t r = 0; r < options.stageSizes.size(); ++r) {
        KMeansOptions ko = options.kmeans;
        ko.k = options.stageSizes[r];
        ko.maxPointsPerCentroid = 0; // already sampled
        ko.seed = mixSeed(options.kmeans.seed, r + 1);
        KMeansResult km = kmeans(res, w, ko, control);
        result.emptyClustersRepaired += km.emptyClustersRepaired;
        result.emptyClustersLeft += km.emptyClustersLeft;
        if (options.store)
            options.store(km.centroids);
        double s = 0.0, ws = 0.0;
        if (options.beamWidth > 1 && r > 0) {
            // Encode the sample again over every stage so far; the residual is what the best sum leaves.
            result.codebooks.push_back(std::move(km.centroids));
            std::vector<MatrixView> stages(result.codebooks.begin(), result.codebooks.end());
            const ResidualEncoder encoder(stages);
            const auto R = static_cast<int64_t>(stages.size());
            std::vector<int32_t> codes(static_cast<size_t>(m * R));
            encoder.encode(sample, options.beamWidth, codes.data(), R, dist.data(), ko.threads, &control);
            std::vector<float> decoded(static_cast<size_t>(d));
            for (int64_t i = 0; i < m; ++i) {
                const double wi = w.empty() ? 1.0 : w[static_cast<size_t>(i)];
                s += wi * dist[static_cast<size_t>(i)];
                ws += wi;
                encoder.decode(codes.data() + i * R, decoded.data());
                const float* x = sample.row(i);
                float* out = res.row(i);
                for (int64_t j = 0; j < d; ++j)
                    out[j] = x[j] - decoded[static_cast<size_t>(j)];
            }
            result.stageObjective.push_back(s / ws);
            continue;
        }
        const NearestCentroids search(km.centroids);
        search.assign(res, labels.data(), dist.data(), ko.threads, &control);
        for (int64_t i = 0; i < m; ++i) {
            const double wi = w.empty() ? 1.0 : w[static_cast<size_t>(i)];
            s += wi * dist[static_cast<size_t>(i)];
            ws += wi;
            const float* c = km.centroids.row(labels[static_cast<size_t>(i)]);
            float* x = res.row(i);
            for (int64_t j = 0; j < d; ++j)
                x[j] -= c[j];
        }
        result.stageObjective.push_back(s / ws);
        result.codebooks.push_back(std::move(km.centroids));
    }
    return result;
}

} // namespace vq
