#include "metrics/tokenerrorseries.h"

#include <cmath>

namespace vq {

const char* nameOf(TokenErrorMetric metric)
{
    switch (metric) {
    case TokenErrorMetric::RelError:
        return "relError";
    case TokenErrorMetric::Mse:
        return "mse";
    case TokenErrorMetric::CosineDistance:
        return "cosineDistance";
    }
    return "?";
}

std::span<const float> tokenErrorSeries(
    const ReconstructionMetrics& m, TokenErrorMetric metric, std::vector<float>& storage)
{
    switch (metric) {
    case TokenErrorMetric::RelError:
        return m.tokenRelError;
    case TokenErrorMetric::Mse:
        return m.tokenMse;
    case TokenErrorMetric::CosineDistance:
        break;
    }
    storage.resize(m.tokenCosine.size());
    for (size_t i = 0; i < storage.size(); ++i)
        storage[i] = 1.0f - m.tokenCosine[i];
    return storage;
}

const TokenPercentiles& tokenErrorPercentiles(const ReconstructionMetrics& m, TokenErrorMetric metric)
{
    switch (metric) {
    case TokenErrorMetric::Mse:
        return m.tokenMsePercentiles;
    case TokenErrorMetric::CosineDistance:
        return m.tokenCosineDistancePercentiles;
    case TokenErrorMetric::RelError:
        break;
    }
    return m.tokenRelErrorPercentiles;
}

std::vector<float> rowNorms(const Matrix& table)
{
    std::vector<float> norms(static_cast<size_t>(table.rows));
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < table.rows; ++r) {
        const float* row = table.row(r);
        double sum = 0;
        for (int64_t c = 0; c < table.cols; ++c)
            sum += double(row[c]) * double(row[c]);
        norms[static_cast<size_t>(r)] = static_cast<float>(std::sqrt(sum));
    }
    return norms;
}

} // namespace vq
