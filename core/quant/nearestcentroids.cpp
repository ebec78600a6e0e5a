#include "quant/nearestcentroids.h"

#include "common/error.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <string>

namespace vq {

void useSingleThreadedBlas()
{
    static std::once_flag once;
    std::call_once(once, [] { openblas_set_num_threads(1); });
}

float squaredNorm(const float* x, int64_t n)
{
    float s = 0.0f;
    for (int64_t j = 0; j < n; ++j)
        s += x[j] * x[j];
    return s;
}

NearestCentroids::NearestCentroids(MatrixView centroids)
    : m_centroids(toMatrix(centroids))
    , m_norms(static_cast<size_t>(centroids.rows))
{
    if (centroids.rows < 1 || centroids.cols < 1)
        throw Error(ErrorKind::InvalidArgument, "",
            "nearest-centroid search needs at least one centroid of at least one dimension (got "
                + std::to_string(centroids.rows) + " x " + std::to_string(centroids.cols) + ")");
    useSingleThreadedBlas();
    for (int64_t j = 0; j < m_centroids.rows; ++j)
        m_norms[static_cast<size_t>(j)] = squaredNorm(m_centroids.row(j), m_centroids.cols);
}

void NearestCentroids::distances(MatrixView points, const float* pointNorms, float* out) const
{
    const int64_t n = points.rows;
    const int64_t k = size();
    if (n == 0)
        return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(k),
        static_cast<int>(dim()), -2.0f, points.data, static_cast<int>(points.stride), m_centroids.values.data(),
        static_cast<int>(dim()), 0.0f, out, static_cast<int>(k));
    for (int64_t i = 0; i < n; ++i) {
        const float pn = pointNorms ? pointNorms[i] : squaredNorm(points.row(i), points.cols);
        float* o = out + i * k;
        for (int64_t j = 0; j < k; ++j)
            o[j] = (pn + m_norms[static_cast<size_t>(j)]) + o[j];
    }
}

void NearestCentroids::assign(
    MatrixView points, int32_t* labels, float* sqDist, int threads, const RunControl* control) const
{
    if (points.cols != dim())
        throw Error(ErrorKind::InvalidArgument, "",
            "nearest-centroid search: points have " + std::to_string(points.cols) + " dimensions, centroids "
                + std::to_string(dim()));
    const int64_t n = points.rows;
    if (n == 0)
        return;
    const int64_t k = size();
    const int64_t d = dim();
    const int64_t nBlocks = (n + kPointBlock - 1) / kPointBlock;
    int nt = threads > 0 ? threads : omp_get_max_threads();
    nt = static_cast<int>(std::min<int64_t>(nt, nBlocks));
    std::atomic<bool> stopped { false };

#pragma omp parallel num_threads(nt)
    {
        std::vector<float> block(static_cast<size_t>(kPointBlock * kCentroidBlock));
        std::vector<float> best(static_cast<size_t>(kPointBlock));
        std::vector<int32_t> bestIdx(static_cast<size_t>(kPointBlock));

#pragma omp for schedule(dynamic)
        for (int64_t b = 0; b < nBlocks; ++b) {
            if (stopped.load(std::memory_order_relaxed))
                continue;
            if (control && control->cancelled()) {
                stopped.store(true, std::memory_order_relaxed);
                continue;
            }
            const int64_t i0 = b * kPointBlock;
            const int64_t m = std::min(kPointBlock, n - i0);
            std::fill(best.begin(), best.begin() + m, std::numeric_limits<float>::infinity());
            std::fill(bestIdx.begin(), bestIdx.begin() + m, 0);
            for (int64_t j0 = 0; j0 < k; j0 += kCentroidBlock) {
                const int64_t kb = std::min(kCentroidBlock, k - j0);
                // -2 x.c for the block; ||x||^2 is constant per row, so the argmin needs only ||c||^2 - 2 x.c.
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(kb),
                    static_cast<int>(d), -2.0f, points.row(i0), static_cast<int>(points.stride), m_centroids.row(j0),
                    static_cast<int>(d), 0.0f, block.data(), static_cast<int>(kb));
                const float* cn = m_norms.data() + j0;
                for (int64_t i = 0; i < m; ++i) {
                    const float* row = block.data() + i * kb;
                    float bv = best[static_cast<size_t>(i)];
                    int32_t bi = bestIdx[static_cast<size_t>(i)];
                    for (int64_t j = 0; j < kb; ++j) {
                        const float v = cn[j] + row[j];
                        if (v < bv) {
                            bv = v;
                            bi = static_cast<int32_t>(j0 + j);
                        }
                    }
                    best[static_cast<size_t>(i)] = bv;
                    bestIdx[static_cast<size_t>(i)] = bi;
                }
            }
            for (int64_t i = 0; i < m; ++i) {
                labels[i0 + i] = bestIdx[static_cast<size_t>(i)];
                if (sqDist)
                    sqDist[i0 + i] = std::max(0.0f, squaredNorm(points.row(i0 + i), d) + best[static_cast<size_t>(i)]);
            }
        }
    }
    if (stopped.load())
        throw Cancelled();
}

void assignNearest(
    MatrixView points, MatrixView centroids, int32_t* labels, float* sqDist, int threads, const RunControl* control)
{
    NearestCentroids(centroids).assign(points, labels, sqDist, threads, control);
}

} // namespace vq
