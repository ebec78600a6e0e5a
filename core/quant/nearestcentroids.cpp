#include "quant/nearestcentroids.h"

#include "common/error.h"

#include <cblas.h>
#include <omp.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <limits>
#include <memory>
#include <mutex>
#include <string>

namespace vq {

namespace {

// value = row[j] + cn[j] for j in [0, kb); when the smallest value is below bestValue, bestIndex
// becomes j0 + the first j holding it and the smallest value is returned (else bestValue). The same
// result as a sequential scan with a strict '<', NaN never winning. SSE2 (every x86-64) runs it four
// lanes at a time, each lane keeping its own first minimum; the lanes are merged by value, then index.
inline float rowArgmin(const float* row, const float* cn, int64_t kb, float bestValue, int32_t& bestIndex, int64_t j0)
{
    float bv = bestValue;
    int64_t bi = -1;
    int64_t j = 0;
#if defined(__SSE2__)
    if (kb >= 4) {
        __m128 vmin = _mm_set1_ps(bestValue);
        __m128i vidx = _mm_set1_epi32(-1);
        __m128i cur = _mm_setr_epi32(0, 1, 2, 3);
        const __m128i four = _mm_set1_epi32(4);
        for (; j + 4 <= kb; j += 4) {
            const __m128 v = _mm_add_ps(_mm_loadu_ps(row + j), _mm_loadu_ps(cn + j));
            const __m128 lt = _mm_cmplt_ps(v, vmin);
            vmin = _mm_or_ps(_mm_and_ps(lt, v), _mm_andnot_ps(lt, vmin));
            const __m128i lti = _mm_castps_si128(lt);
            vidx = _mm_or_si128(_mm_and_si128(lti, cur), _mm_andnot_si128(lti, vidx));
            cur = _mm_add_epi32(cur, four);
        }
        alignas(16) float lv[4];
        alignas(16) int32_t li[4];
        _mm_store_ps(lv, vmin);
        _mm_store_si128(reinterpret_cast<__m128i*>(li), vidx);
        for (int l = 0; l < 4; ++l) {
            if (li[l] < 0)
                continue;
            if (lv[l] < bv || (lv[l] == bv && bi >= 0 && li[l] < bi)) {
                bv = lv[l];
                bi = li[l];
            }
        }
    }
#endif
    for (; j < kb; ++j) {
        const float v = row[j] + cn[j];
        if (v < bv) {
            bv = v;
            bi = j;
        }
    }
    if (bi < 0)
        return bestValue;
    bestIndex = static_cast<int32_t>(j0 + bi);
    return bv;
}

} // namespace

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

NearestCentroids::NearestCentroids(MatrixView centroids, CentroidSearch search)
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
    const bool fused = search == CentroidSearch::Fused
        || (search == CentroidSearch::Auto && bestSimdPath() != SimdPath::Scalar && centroids.cols <= kFusedMaxDim);
    if (fused)
        m_fused.emplace(MatrixView(m_centroids));
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
        // Uninitialised: the GEMM writes every value before it is read.
        const std::unique_ptr<float[]> block(new float[static_cast<size_t>(kPointBlock * kCentroidBlock)]);
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
            if (m_fused) {
                m_fused->search(points.rowRange(i0, m), labels + i0, best.data());
                if (sqDist)
                    for (int64_t i = 0; i < m; ++i)
                        sqDist[i0 + i]
                            = std::max(0.0f, squaredNorm(points.row(i0 + i), d) + best[static_cast<size_t>(i)]);
                continue;
            }
            std::fill(best.begin(), best.begin() + m, std::numeric_limits<float>::infinity());
            std::fill(bestIdx.begin(), bestIdx.begin() + m, 0);
            for (int64_t j0 = 0; j0 < k; j0 += kCentroidBlock) {
                const int64_t kb = std::min(kCentroidBlock, k - j0);
                // -2 x.c for the block; ||x||^2 is constant per row, so the argmin needs only ||c||^2 - 2 x.c.
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(kb),
                    static_cast<int>(d), -2.0f, points.row(i0), static_cast<int>(points.stride), m_centroids.row(j0),
                    static_cast<int>(d), 0.0f, block.get(), static_cast<int>(kb));
                const float* cn = m_norms.data() + j0;
                for (int64_t i = 0; i < m; ++i) {
                    const float* row = block.get() + i * kb;
                    const float bv
                        = rowArgmin(row, cn, kb, best[static_cast<size_t>(i)], bestIdx[static_cast<size_t>(i)], j0);
                    best[static_cast<size_t>(i)] = bv;
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
