#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"
#include "quant/matrixview.h"

#include <cstdint>
#include <span>

namespace vq {

struct CodebookUpdateResult {
    int64_t unusedCodewords = 0; // codewords no vector with positive weight uses (left unchanged), last sweep
    bool joint = false; // the joint normal equations were solved (see below)
};

// At most this many codewords in all (M * K) for the joint solve: its dense (M K)^2 system in double takes
// 32 MB and a Cholesky factorisation of 2.9 GFLOP at the limit (2x10).
constexpr int64_t kMaxJointCodewords = 2048;

// Codebook step of additive quantization: with the codes fixed, choose the M codebooks (K codewords of
// g dims each) that minimise sum_i w_i ||y_i - sum_m C_m[a_im]||^2.
//
// The joint normal equations are, per coordinate, an (M*K) x (M*K) system whose diagonal blocks are
// diagonal (the weighted code counts) and whose off-diagonal blocks are the weighted co-occurrence counts
// of two codebooks' codes; the matrix is the same for every coordinate.
// - M > 1 and M * K <= kMaxJointCodewords (2x8, 4x8, 2x10, ...): the system is formed densely and solved
//   once for all g coordinates by Cholesky, with a ridge of 1e-6 times the mean diagonal pulling towards the
//   current codebooks (it fixes the null directions: unused codewords, and the shift that moves a vector
//   from one codebook to another without changing any sum). Then one block sweep (below) fits each
//   codebook to the rounding of the ones before it; `sweeps` is not used.
// - Otherwise (1x16, or M*K too large to form densely): block Gauss-Seidel over the codebooks (block
//   coordinate descent): codebook m alone is a diagonal system whose solution is, per codeword, the
//   weighted mean of y_i minus the other codebooks' codewords over the vectors using it. Each block solve
//   is exact, so every step lowers (or keeps) the objective, and `sweeps` sweeps approach the joint
//   solution; for M = 1 one sweep is the exact solution.
// A codeword no vector with positive weight uses keeps its value.
//
// targets: N vectors of g values; codes: N * M (vector i's code m at codes[i * M + m], in [0, K));
// weights: empty (uniform) or one per row, vector i belonging to row i / vectorsPerRow (finite, >= 0).
// codebooks: M * K rows of g values (codebook m in rows [m*K, (m+1)*K)), updated in place; when
// `round` is given it is applied to each codebook after its update (storage precision), so later
// blocks fit what will be stored. Sums run in double in index order (the block sweeps in parallel over
// codewords, control.threads), so the result does not depend on the thread count.
// Polls cancel once per codebook (throws vq::Cancelled).
CodebookUpdateResult updateCodebooksLeastSquares(MatrixView targets, const int32_t* codes, int codebookCount,
    std::span<const float> weights, int64_t vectorsPerRow, int sweeps, Matrix& codebooks, float (*round)(float),
    const RunControl& control);

} // namespace vq
