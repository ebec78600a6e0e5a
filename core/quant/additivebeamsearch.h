#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"
#include "quant/matrixview.h"
#include "quant/nearestcentroids.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace vq {

// Code assignment for additive quantization: a vector x is approximated by the sum of one codeword from
// each of M codebooks of K codewords (all of dimension g), and the codes are chosen to minimise
// ||x - sum_m C_m[a_m]||^2. Unlike residual VQ the codebooks are not ordered, so the codes are coupled
// through the cross terms <C_i[a_i], C_j[a_j]>.
//
// refine() improves existing codes by beam search over the codebooks in turn, as the reference AQLM
// implementation does: the beam starts from the current codes; step m takes every beam entry, frees its
// code m and tries all K codewords there, keeping the B best (entry, codeword) candidates by exact
// squared error. The current codes stay among the candidates, so the best entry never gets worse, and
// the result is kept only when its error (recomputed in canonical order, see error()) is strictly lower
// than that of the codes given: refine() never increases any vector's error. Beam 1 is coordinate
// descent over the codes.
//
// Candidate scores need <r, C_m[k]> for every codeword k, r = x minus the other codebooks' codewords.
// When the codebook Gram blocks G_jm = C_j C_m^T fit in memory (M(M-1)K^2 floats, at most 16 MB: 2x8,
// 4x8, 8x8, 2x10 ...) they come from one GEMM of x against all codebooks per block of vectors, shared by
// all beam entries: <r, C_m[k]> = <x, C_m[k]> - sum_{j != m} G_jm[a_j][k], M-1 table lookups per
// candidate instead of g multiply-adds. Otherwise (large K with M > 1) the beam entries' residuals are
// multiplied by C_m in one GEMM per step. With M = 1 there is no coupling and refine() is an exact
// nearest-codeword search (NearestCentroids, blocked over codewords): the beam width does not matter.
class AdditiveBeamSearch {
public:
    // codebooks: M * K rows of g values, codebook m in rows [m*K, (m+1)*K). Copies them. M >= 1, K >= 1.
    // allowGram = false forces the residual-GEMM path (the two paths agree up to float rounding).
    AdditiveBeamSearch(const Matrix& codebooks, int codebookCount, bool allowGram = true);

    int codebookCount() const { return m_M; }
    int64_t codebookSize() const { return m_K; }
    int64_t dim() const { return m_g; }
    bool usesGram() const { return !m_gram.empty(); }

    // targets: N vectors of dim() values. codes: N * M entries (vector i's code m at codes[i * M + m]),
    // each in [0, K); read as the starting point and overwritten with the refined codes. sqError, when not
    // null, receives each vector's final error as error() computes it. beamWidth >= 1. Parallel over fixed
    // blocks of vectors (control.threads), reporting progress under `stage` and polling cancel per block
    // (throws vq::Cancelled, codes then partly refined). Results do not depend on the thread count.
    // Thread-safe (const).
    void refine(MatrixView targets, int beamWidth, int32_t* codes, float* sqError, const RunControl& control,
        std::string_view stage) const;

    // ||x - d||^2 in float, d = C_0[a_0] + C_1[a_1] + ... summed in codebook order from 0: the order
    // the quantizer's decoder uses.
    float error(const float* x, const int32_t* codes) const;

private:
    struct Workspace;
    void refineBlock(MatrixView x, int beamWidth, int32_t* codes, float* sqError, Workspace& ws) const;
    const float* codeword(int m, int64_t k) const { return m_codebooks.row(m * m_K + k); }

    Matrix m_codebooks;
    int m_M = 1;
    int64_t m_K = 1;
    int64_t m_g = 1;
    std::vector<float> m_norms; // M * K squared codeword norms
    // Ordered pairs (j, m), j != m: K x K block G_jm[a][k] = <C_j[a], C_m[k]> at gramOffset(j, m).
    std::vector<float> m_gram;
    std::optional<NearestCentroids> m_single; // M == 1
};

} // namespace vq
