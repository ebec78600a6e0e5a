#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"
#include "quant/kmeans.h"
#include "quant/matrixview.h"

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace vq {

struct ResidualTrainingOptions {
    std::vector<int64_t> stageSizes; // codewords per stage (K_r), one entry per stage
    // Per-stage k-means settings; k is taken from stageSizes, seed is mixed with the stage index.
    // maxPointsPerCentroid caps the training sample once, at maxPointsPerCentroid * max K_r points
    // shared by all stages (the stages must see the same points to fit each other's residuals).
    KMeansOptions kmeans;
    // Applied to each stage's centroids before they are used, e.g. rounding to the storage precision,
    // so later stages fit the residual the stored codebook leaves. May be empty.
    std::function<void(Matrix&)> store;
    // 1: each stage fits what the greedy encoding with the stages before it leaves. > 1: after each stage
    // the sample is encoded again over all stages so far by beam search of this width (ResidualEncoder),
    // and the next stage fits that residual, as FAISS's ResidualQuantizer trains with max_beam_size.
    int beamWidth = 1;
};

struct ResidualTrainingResult {
    std::vector<Matrix> codebooks; // one K_r x dim matrix per stage, as returned by store
    std::vector<double> stageObjective; // weighted mean squared residual after each stage (training sample)
    int64_t trainingPoints = 0;
    int64_t emptyClustersRepaired = 0;
    int64_t emptyClustersLeft = 0; // summed over stages
};

// Residual k-means: stage 1 is k-means on the points, stage r on what stages 1..r-1 leave when each
// point takes its nearest codeword at every stage (greedy), or its best sum by beam search (beamWidth). Weights as for
// kmeans(). Deterministic for the same seed whatever the thread count. Throws vq::Error(InvalidArgument) when a stage
// has more codewords than there are points, vq::Cancelled on cancel.
ResidualTrainingResult trainResidualCodebooks(
    MatrixView points, std::span<const float> weights, const ResidualTrainingOptions& options, RunControl& control);

// A 64-bit seed for one piece of a larger job (a group position, a stage): different for every
// (seed, a, b), fixed across runs and platforms.
uint64_t mixSeed(uint64_t seed, uint64_t a, uint64_t b = 0);

} // namespace vq
