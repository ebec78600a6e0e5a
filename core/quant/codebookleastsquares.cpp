#include "quant/codebookleastsquares.h"

#include "common/error.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace vq {

namespace {

// Solves a x = b for the n x n symmetric positive definite a (row-major, both triangles filled) and the
// n x g right-hand sides b, in place: a is overwritten by its Cholesky factor, b by the solution. Each
// entry of the factor is one dot product in a fixed order (rows in parallel), so the result does not
// depend on the thread count. Returns false when a pivot is not positive.
bool choleskySolve(std::vector<double>& a, int64_t n, std::vector<double>& b, int64_t g, int threads)
{
    const auto at = [&](int64_t i, int64_t j) -> double& { return a[static_cast<size_t>(i * n + j)]; };
    for (int64_t j = 0; j < n; ++j) {
        double d = at(j, j);
        for (int64_t k = 0; k < j; ++k)
            d -= at(j, k) * at(j, k);
        if (!(d > 0.0))
            return false;
        d = std::sqrt(d);
        at(j, j) = d;
        const double* rj = &at(j, 0);
#pragma omp parallel for num_threads(threads) schedule(static) if (n - j > 256)
        for (int64_t i = j + 1; i < n; ++i) {
            double* ri = &at(i, 0);
            double v = ri[j];
            for (int64_t k = 0; k < j; ++k)
                v -= ri[k] * rj[k];
            ri[j] = v / d;
        }
    }
    const auto rhs = [&](int64_t i, int64_t c) -> double& { return b[static_cast<size_t>(i * g + c)]; };
    for (int64_t i = 0; i < n; ++i) // L y = b
        for (int64_t c = 0; c < g; ++c) {
            double v = rhs(i, c);
            for (int64_t k = 0; k < i; ++k)
                v -= at(i, k) * rhs(k, c);
            rhs(i, c) = v / at(i, i);
        }
    for (int64_t i = n - 1; i >= 0; --i) // L^T x = y
        for (int64_t c = 0; c < g; ++c) {
            double v = rhs(i, c);
            for (int64_t k = i + 1; k < n; ++k)
                v -= at(k, i) * rhs(k, c);
            rhs(i, c) = v / at(i, i);
        }
    return true;
}

// The joint least-squares codebooks (unrounded) into `codebooks`; false when the system could not be
// factored (the codebooks are then left as they were).
bool solveJointly(MatrixView targets, const int32_t* codes, int M, std::span<const float> weights,
    int64_t vectorsPerRow, Matrix& codebooks, int threads)
{
    const int64_t n = targets.rows;
    const int64_t g = targets.cols;
    const int64_t unknowns = codebooks.rows;
    const int64_t K = unknowns / M;
    std::vector<double> a(static_cast<size_t>(unknowns * unknowns), 0.0);
    std::vector<double> b(static_cast<size_t>(unknowns * g), 0.0);
    std::vector<int64_t> idx(static_cast<size_t>(M));
    for (int64_t i = 0; i < n; ++i) {
        const double w = weights.empty() ? 1.0 : weights[static_cast<size_t>(i / vectorsPerRow)];
        if (w == 0.0)
            continue;
        for (int m = 0; m < M; ++m)
            idx[static_cast<size_t>(m)] = m * K + codes[i * M + m];
        const float* y = targets.row(i);
        for (int m = 0; m < M; ++m) {
            const int64_t r = idx[static_cast<size_t>(m)];
            double* row = a.data() + r * unknowns;
            for (int o = 0; o < M; ++o)
                row[idx[static_cast<size_t>(o)]] += w;
            double* br = b.data() + r * g;
            for (int64_t j = 0; j < g; ++j)
                br[j] += w * y[j];
        }
    }
    double trace = 0.0;
    for (int64_t r = 0; r < unknowns; ++r)
        trace += a[static_cast<size_t>(r * unknowns + r)];
    const double ridge = 1e-6 * std::max(trace / static_cast<double>(unknowns), 1e-30);
    for (int64_t r = 0; r < unknowns; ++r) {
        a[static_cast<size_t>(r * unknowns + r)] += ridge;
        for (int64_t j = 0; j < g; ++j)
            b[static_cast<size_t>(r * g + j)] += ridge * codebooks.at(r, j);
    }
    if (!choleskySolve(a, unknowns, b, g, threads))
        return false;
    for (int64_t r = 0; r < unknowns; ++r)
        for (int64_t j = 0; j < g; ++j) {
            const double v = b[static_cast<size_t>(r * g + j)];
            if (!std::isfinite(v))
                return false;
        }
    for (int64_t r = 0; r < unknowns; ++r)
        for (int64_t j = 0; j < g; ++j)
            codebooks.at(r, j) = static_cast<float>(b[static_cast<size_t>(r * g + j)]);
    return true;
}

} // namespace

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
    int effectiveSweeps = M == 1 ? 1 : std::max(1, sweeps); // one sweep is exact for a single codebook
    if (M > 1 && codebooks.rows <= kMaxJointCodewords) {
        control.throwIfCancelled();
        result.joint = solveJointly(targets, codes, M, weights, vectorsPerRow, codebooks, threads);
        if (result.joint)
            effectiveSweeps = 1; // fits each codebook to the rounding of the ones before it
    }
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
