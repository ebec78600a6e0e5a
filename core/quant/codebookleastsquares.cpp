#include "quant/codebookleastsquares.h"

#include "common/error.h"

#include <omp.h>

#include <algorithm>
#include <string>
#include <vector>

namespace vq {

CodebookUpdateResult updateCodebooksLeastSquares(MatrixView targets, const int32_t* codes, int codebookCount,
    std::span<const float> weights, int64_t vectorsPerRow, int sweeps, Matrix& codebooks, float (*round)(float),
    const RunControl& control)
{
    const int M = codebookCount;
    const int64_t n = targets.rows;
    const int64_t g = targets.cols;
    if (M < 1 || codebooks.rows % M != 0 || codebooks.cols != g || vectorsPerRow < 1)
        throw Error(ErrorKind::InvalidArgument, {}, "codebook update: codebooks, targets and codes do not match");
    if (!weights.empty() && static_cast<int64_t>(weights.size()) * vectorsPerRow != n)
        throw Error(ErrorKind::InvalidArgument, {},
            "codebook update: " + std::to_string(weights.size()) + " row weights for " + std::to_string(n)
                + " vectors of " + std::to_string(vectorsPerRow) + " per row");
    const int64_t K = codebooks.rows / M;
    const int threads = control.threads > 0 ? control.threads : omp_get_max_threads();
    const auto sz = [](int64_t v) { return static_cast<size_t>(v); };

    // Vectors grouped by their code m (counting sort, index order kept within a codeword).
    std::vector<int64_t> start(sz(K + 1));
    std::vector<int64_t> members(sz(n));
    CodebookUpdateResult result;
    // One sweep is exact when there is a single codebook.
    const int effectiveSweeps = M == 1 ? 1 : std::max(1, sweeps);
    for (int sweep = 0; sweep < effectiveSweeps; ++sweep) {
        result.unusedCodewords = 0;
        for (int m = 0; m < M; ++m) {
            control.throwIfCancelled();
            std::fill(start.begin(), start.end(), 0);
            for (int64_t i = 0; i < n; ++i)
                ++start[sz(codes[i * M + m] + 1)];
            for (int64_t k = 0; k < K; ++k)
                start[sz(k + 1)] += start[sz(k)];
            {
                std::vector<int64_t> next(start.begin(), start.end() - 1);
                for (int64_t i = 0; i < n; ++i)
                    members[sz(next[sz(codes[i * M + m])]++)] = i;
            }
            int64_t unused = 0;
#pragma omp parallel num_threads(threads) reduction(+ : unused)
            {
                std::vector<double> sum(sz(g));
                std::vector<double> t(sz(g));
#pragma omp for schedule(dynamic, 16)
                for (int64_t k = 0; k < K; ++k) {
                    std::fill(sum.begin(), sum.end(), 0.0);
                    double wsum = 0.0;
                    for (int64_t p = start[sz(k)]; p < start[sz(k + 1)]; ++p) {
                        const int64_t i = members[sz(p)];
                        const double w = weights.empty() ? 1.0 : weights[sz(i / vectorsPerRow)];
                        if (w == 0.0)
                            continue;
                        const float* y = targets.row(i);
                        for (int64_t j = 0; j < g; ++j)
                            t[sz(j)] = y[j];
                        const int32_t* a = codes + i * M;
                        for (int o = 0; o < M; ++o) {
                            if (o == m)
                                continue;
                            const float* c = codebooks.row(o * K + a[o]);
                            for (int64_t j = 0; j < g; ++j)
                                t[sz(j)] -= c[j];
                        }
                        for (int64_t j = 0; j < g; ++j)
                            sum[sz(j)] += w * t[sz(j)];
                        wsum += w;
                    }
                    if (wsum > 0.0) {
                        float* c = codebooks.row(m * K + k);
                        for (int64_t j = 0; j < g; ++j) {
                            const auto v = static_cast<float>(sum[sz(j)] / wsum);
                            c[j] = round ? round(v) : v;
                        }
                    } else {
                        ++unused;
                    }
                }
            }
            result.unusedCodewords += unused;
        }
    }
    return result;
}

} // namespace vq
