#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"
#include "quant/fusedargmin.h"
#include "quant/matrixview.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace vq {

// How NearestCentroids finds the nearest centroid.
enum class CentroidSearch {
    Auto, // Fused for vectors of at most NearestCentroids::kFusedMaxDim dimensions on a SIMD path, else Gemm
    Gemm, // BLAS GEMM per block of points x centroids, then an argmin over the block
    Fused, // FusedArgmin: distances and argmin in registers, on bestSimdPath()
};

// Nearest-centroid search by squared L2 distance, the inner loop of every vector quantizer.
//
// Distances are computed as ||x||^2 - 2 x.c + ||c||^2. For short vectors (VQ codebooks of 4 to 16
// dimensions) a GEMM spends most of its time writing the points x centroids block it computes, so the
// search fuses distance and argmin in registers (FusedArgmin); for longer vectors a BLAS GEMM on blocks
// of points x centroids small enough to stay in cache is followed by an argmin per row in the same
// block. Either way the full points x centroids distance matrix never exists. Threading: OpenMP over blocks of points,
// each block calling single-threaded BLAS (vq_core sets OpenBLAS to one thread the first time this class is used:
// nested BLAS threads would oversubscribe the cores, and fixed blocks computed by one thread each keep
// results bit-identical whatever the thread count).
//
// Precision: a distance carries an absolute rounding error of about 1e-7 * (||x||^2 + ||c||^2) (float
// accumulation), so two centroids closer than that to being tied may be ranked either way; ties are
// broken towards the lower centroid index. Returned distances are clamped at 0.
class NearestCentroids {
public:
    // Copies the centroids (k x dim, k >= 1) and precomputes their squared norms.
    explicit NearestCentroids(MatrixView centroids, CentroidSearch search = CentroidSearch::Auto);

    int64_t size() const { return m_centroids.rows; }
    int64_t dim() const { return m_centroids.cols; }
    const Matrix& centroids() const { return m_centroids; }
    const std::vector<float>& squaredNorms() const { return m_norms; }
    bool fused() const { return m_fused.has_value(); }

    // For each row i of points (points.cols == dim()): labels[i] = index of the nearest centroid and,
    // when sqDist is not null, sqDist[i] = its squared distance (>= 0). labels and sqDist hold
    // points.rows entries. threads <= 0: OpenMP's default. When control is given, cancel is polled
    // once per block and vq::Cancelled thrown after the running blocks finish. Thread-safe (const).
    void assign(
        MatrixView points, int32_t* labels, float* sqDist, int threads = 0, const RunControl* control = nullptr) const;

    // Single-threaded building block for callers that reduce distances their own way (beam search):
    // out[i * size() + j] = ||p_i||^2 - 2 p_i.c_j + ||c_j||^2 for all rows of points (unclamped).
    // pointNorms: points.rows squared norms, or null to compute them. out holds points.rows * size().
    void distances(MatrixView points, const float* pointNorms, float* out) const;

    // Block sizes of the search (points per block, centroids per block): sized so that one block of
    // distances (about 256 KB) stays in the L2 cache.
    static constexpr int64_t kPointBlock = 256;
    static constexpr int64_t kCentroidBlock = 256;
    // Longest vectors CentroidSearch::Auto searches fused (bench_codewordsearch measures the crossover).
    static constexpr int64_t kFusedMaxDim = 16;

private:
    Matrix m_centroids;
    std::vector<float> m_norms;
    std::optional<FusedArgmin> m_fused;
};

// Convenience: NearestCentroids(centroids).assign(points, labels, sqDist, threads, control).
void assignNearest(MatrixView points, MatrixView centroids, int32_t* labels, float* sqDist, int threads = 0,
    const RunControl* control = nullptr);

// Squared L2 norm of n floats, summed in a fixed order (float accumulation, as the search uses).
float squaredNorm(const float* x, int64_t n);

// The process-wide BLAS policy of vq_core: OpenBLAS runs on one thread (parallelism comes from OpenMP
// around it). Idempotent and thread-safe; called by NearestCentroids, exposed for other GEMM users.
void useSingleThreadedBlas();

} // namespace vq
