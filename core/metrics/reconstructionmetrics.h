#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"
#include "metrics/percentiles.h"

#include <cstdint>
#include <span>
#include <vector>

namespace vq {

// How far a reconstruction Ê is from the table E, over the whole table and per token (row).
// Sums are accumulated in double. e_t is row t of E, ê_t row t of Ê, n the row length.
struct ReconstructionMetrics {
    int64_t rows = 0;
    int64_t dim = 0;

    double sumSquaredRef = 0; // ||E||^2
    double sumSquaredError = 0; // ||E - Ê||^2
    double mse = 0; // ||E - Ê||^2 / (rows * dim)
    double relMse = 0; // ||E - Ê||^2 / ||E||^2
    double snrDb = 0; // -10 log10(relMse); +inf when Ê == E
    // sum_t f_t ||e_t - ê_t||^2 / sum_t f_t ||e_t||^2; equal to relMse for uniform weights.
    double weightedRelMse = 0;
    double weightedSnrDb = 0;
    bool weighted = false; // false: no weights were given and the weighted values equal the plain ones

    double maxAbsError = 0; // max_{t,j} |E_tj - Ê_tj|
    int64_t maxAbsErrorRow = 0; // where it occurs (first in row-major order; 0, 0 when Ê == E)
    int64_t maxAbsErrorCol = 0;

    // Rows with ||e_t|| = 0, and how many of those are not reconstructed as exactly 0.
    int64_t zeroRows = 0;
    int64_t zeroRowsMissed = 0;

    // Per token, rows floats each (kept for plots):
    //  tokenMse[t]      = ||e_t - ê_t||^2 / n
    //  tokenRelError[t] = ||e_t - ê_t||^2 / ||e_t||^2; for a zero row e_t: 0 when ê_t is also 0, else +inf
    //                     (a reconstruction that invents a vector for an all-zero token, e.g. padding, has
    //                     no finite relative error; zeroRowsMissed counts them so +inf can be explained)
    //  tokenCosine[t]   = <e_t, ê_t> / (||e_t|| ||ê_t||); 1 when both are 0, 0 when exactly one is 0
    std::vector<float> tokenMse;
    std::vector<float> tokenRelError;
    std::vector<float> tokenCosine;

    // Tails over tokens, "higher is worse" for all three: the cosine one is taken over the cosine
    // distance 1 - tokenCosine[t], so its p99 is the 1% of tokens whose direction moved most.
    TokenPercentiles tokenMsePercentiles;
    TokenPercentiles tokenRelErrorPercentiles;
    TokenPercentiles tokenCosineDistancePercentiles;
};

// Compares ref (E) and recon (Ê), which must have the same non-empty shape (throws
// Error(InvalidArgument) otherwise). weights: empty for uniform, else one finite f_t >= 0 per row with
// a positive sum (throws InvalidArgument otherwise). OpenMP over rows; the result does not depend on
// the thread count (per-row sums are combined in row order). Progress stage "reconstruction error";
// throws vq::Cancelled when cancelled. Thread-safe for distinct outputs (reads its inputs only).
ReconstructionMetrics computeReconstructionMetrics(
    const Matrix& ref, const Matrix& recon, std::span<const float> weights, RunControl& control);

} // namespace vq
