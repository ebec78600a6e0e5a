#pragma once

#include "common/matrix.h"
#include "metrics/reconstructionmetrics.h"

#include <cstdint>
#include <span>
#include <vector>

namespace vq {

// The per-token error a view plots; "higher is worse" for all three.
enum class TokenErrorMetric {
    RelError, // ReconstructionMetrics::tokenRelError
    Mse, // tokenMse
    CosineDistance, // 1 - tokenCosine
};

// "relError", "mse", "cosineDistance".
const char* nameOf(TokenErrorMetric metric);

// The series of metric over the rows of m: a view of m's own vector for RelError and Mse (valid while m
// lives); for CosineDistance, 1 - tokenCosine is written into storage (resized to m.rows) and the view
// is of storage (valid while storage is neither changed nor destroyed).
std::span<const float> tokenErrorSeries(
    const ReconstructionMetrics& m, TokenErrorMetric metric, std::vector<float>& storage);

// The matching tail percentiles stored in m.
const TokenPercentiles& tokenErrorPercentiles(const ReconstructionMetrics& m, TokenErrorMetric metric);

// L2 norm of every row of table (accumulated in double), table.rows floats. OpenMP over rows.
std::vector<float> rowNorms(const Matrix& table);

} // namespace vq
