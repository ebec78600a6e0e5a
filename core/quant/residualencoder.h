#pragma once

#include "common/runcontrol.h"
#include "quant/matrixview.h"
#include "quant/nearestcentroids.h"

#include <cstdint>
#include <vector>

namespace vq {

// Residual VQ encoding: a vector is approximated by the sum of one codeword from each of R stage
// codebooks (stage sizes may differ, all share the dimension). Used by GRVQ and, re-encoding on a
// changed target, by CARVQ, CRVQ and the additive quantizers' initialisation.
//
// Greedy (beam width 1): stage by stage, the nearest codeword to the residual left by earlier stages.
// Beam search (width B > 1): every stage extends each of the B best partial sums by every codeword and
// keeps the B best of those candidates by exact squared error; the best full sum wins. Usually lower
// error than greedy (not guaranteed for every vector), at about B times the cost.
class ResidualEncoder {
public:
    // Copies the codebooks: stageCodebooks[r] holds K_r x dim codewords (K_r >= 1, same dim for all).
    explicit ResidualEncoder(const std::vector<MatrixView>& stageCodebooks);

    int stages() const { return static_cast<int>(m_stages.size()); }
    int64_t dim() const { return m_stages.front().dim(); }
    const NearestCentroids& stage(int r) const { return m_stages[static_cast<size_t>(r)]; }

    // Encodes every row of points (points.cols == dim()): codes[i * codeStride + r] (codeStride >=
    // stages()) receives row i's codeword index at stage r; sqError[i], when not null, the squared norm
    // of row i's final residual (x - sum of its codewords, subtracted in stage order, in float).
    // beamWidth >= 1. Ties go to the earlier beam entry, then the lower code. Parallel over blocks of rows
    // (threads <= 0: OpenMP's default); results do not depend on the thread count. Cancel is polled per
    // block when control is given (throws vq::Cancelled). Thread-safe (const).
    void encode(MatrixView points, int beamWidth, int32_t* codes, int64_t codeStride, float* sqError, int threads = 0,
        const RunControl* control = nullptr) const;

    // out[j] = sum over stages r of codebook_r[codes[r]][j], summed in stage order (dim() values).
    // codes[r] must be in [0, K_r).
    void decode(const int32_t* codes, float* out) const;

private:
    void encodeBlockGreedy(MatrixView points, int32_t* codes, int64_t codeStride, float* sqError) const;
    void encodeBlockBeam(MatrixView points, int beamWidth, int32_t* codes, int64_t codeStride, float* sqError) const;

    std::vector<NearestCentroids> m_stages;
};

} // namespace vq
