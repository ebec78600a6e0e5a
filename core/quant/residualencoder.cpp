#include "quant/residualencoder.h"

#include "common/error.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

namespace vq {

namespace {

// Beam candidates of one block of rows are at most this many floats (4 MB).
constexpr int64_t kBeamCandidates = int64_t(1) << 20;
constexpr int64_t kGreedyBlock = 256;

} // namespace

ResidualEncoder::ResidualEncoder(const std::vector<MatrixView>& stageCodebooks)
{
    if (stageCodebooks.empty())
        throw Error(ErrorKind::InvalidArgument, "", "residual encoder: no stage codebooks");
    m_stages.reserve(stageCodebooks.size());
    for (const MatrixView& c : stageCodebooks) {
        if (c.cols != stageCodebooks.front().cols)
            throw Error(ErrorKind::InvalidArgument, "",
                "residual encoder: stage codebooks of " + std::to_string(c.cols) + " and "
                    + std::to_string(stageCodebooks.front().cols) + " dimensions");
        m_stages.emplace_back(c);
    }
}

void ResidualEncoder::decode(const int32_t* codes, float* out) const
{
    const int64_t d = dim();
    std::fill(out, out + d, 0.0f);
    for (int r = 0; r < stages(); ++r) {
        const float* c = m_stages[static_cast<size_t>(r)].centroids().row(codes[r]);
        for (int64_t j = 0; j < d; ++j)
            out[j] += c[j];
    }
}

void ResidualEncoder::encode(MatrixView points, int beamWidth, int32_t* codes, int64_t codeStride, float* sqError,
    int threads, const RunControl* control) const
{
    if (points.cols != dim())
        throw Error(ErrorKind::InvalidArgument, "",
            "residual encoder: points have " + std::to_string(points.cols) + " dimensions, codebooks "
                + std::to_string(dim()));
    if (beamWidth < 1)
        throw Error(ErrorKind::InvalidArgument, "", "residual encoder: beam width must be at least 1");
    if (codeStride < stages())
        throw Error(ErrorKind::InvalidArgument, "", "residual encoder: code stride smaller than the stage count");
    const int64_t n = points.rows;
    if (n == 0)
        return;
    int64_t kMax = 1;
    for (const NearestCentroids& s : m_stages)
        kMax = std::max(kMax, s.size());
    const int64_t blockRows
        = beamWidth == 1 ? kGreedyBlock : std::clamp<int64_t>(kBeamCandidates / (beamWidth * kMax), 1, kGreedyBlock);
    const int64_t nBlocks = (n + blockRows - 1) / blockRows;
    const int nt = static_cast<int>(std::min<int64_t>(threads > 0 ? threads : omp_get_max_threads(), nBlocks));
    std::atomic<bool> stopped { false };

#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (int64_t b = 0; b < nBlocks; ++b) {
        if (stopped.load(std::memory_order_relaxed))
            continue;
        if (control && control->cancelled()) {
            stopped.store(true, std::memory_order_relaxed);
            continue;
        }
        const int64_t i0 = b * blockRows;
        const int64_t m = std::min(blockRows, n - i0);
        const MatrixView block = points.rowRange(i0, m);
        float* err = sqError ? sqError + i0 : nullptr;
        if (beamWidth == 1)
            encodeBlockGreedy(block, codes + i0 * codeStride, codeStride, err);
        else
            encodeBlockBeam(block, beamWidth, codes + i0 * codeStride, codeStride, err);
    }
    if (stopped.load())
        throw Cancelled();
}

void ResidualEncoder::encodeBlockGreedy(MatrixView points, int32_t* codes, int64_t codeStride, float* sqError) const
{
    const int64_t m = points.rows;
    const int64_t d = dim();
    Matrix res = toMatrix(points);
    std::vector<int32_t> labels(static_cast<size_t>(m));
    for (int r = 0; r < stages(); ++r) {
        const NearestCentroids& s = m_stages[static_cast<size_t>(r)];
        s.assign(res, labels.data(), nullptr, 1);
        for (int64_t i = 0; i < m; ++i) {
            const int32_t l = labels[static_cast<size_t>(i)];
            codes[i * codeStride + r] = l;
            const float* c = s.centroids().row(l);
            float* x = res.row(i);
            for (int64_t j = 0; j < d; ++j)
                x[j] -= c[j];
        }
    }
    if (sqError)
        for (int64_t i = 0; i < m; ++i)
            sqError[i] = squaredNorm(res.row(i), d);
}

void ResidualEncoder::encodeBlockBeam(
    MatrixView points, int beamWidth, int32_t* codes, int64_t codeStride, float* sqError) const
{
    const int64_t m = points.rows;
    const int64_t d = dim();
    const int R = stages();
    const int64_t B = beamWidth;

    // Beam entries of row i are rows [i * nb, (i + 1) * nb) of res / norms / path.
    int64_t nb = 1;
    Matrix res = toMatrix(points);
    std::vector<float> norms(static_cast<size_t>(m));
    for (int64_t i = 0; i < m; ++i)
        norms[static_cast<size_t>(i)] = squaredNorm(res.row(i), d);
    std::vector<int32_t> path(static_cast<size_t>(m * R));
    std::vector<float> cand;
    std::vector<int64_t> order;

    for (int r = 0; r < R; ++r) {
        const NearestCentroids& s = m_stages[static_cast<size_t>(r)];
        const int64_t k = s.size();
        const int64_t nbNew = std::min(B, nb * k);
        cand.resize(static_cast<size_t>(m * nb * k));
        s.distances(res, norms.data(), cand.data());
        for (float& v : cand)
            if (std::isnan(v))
                v = std::numeric_limits<float>::infinity();

        Matrix newRes(m * nbNew, d);
        std::vector<float> newNorms(static_cast<size_t>(m * nbNew));
        std::vector<int32_t> newPath(static_cast<size_t>(m * nbNew * R));
        order.resize(static_cast<size_t>(nb * k));
        for (int64_t i = 0; i < m; ++i) {
            const float* c = cand.data() + i * nb * k;
            std::iota(order.begin(), order.end(), int64_t(0));
            // Candidate index t = parent * k + code: ordering by (cost, t) prefers the earlier beam
            // entry, then the lower code, on ties.
            std::partial_sort(order.begin(), order.begin() + nbNew, order.end(),
                [c](int64_t a, int64_t b) { return c[a] < c[b] || (c[a] == c[b] && a < b); });
            for (int64_t t = 0; t < nbNew; ++t) {
                const int64_t parent = order[static_cast<size_t>(t)] / k;
                const auto code = static_cast<int32_t>(order[static_cast<size_t>(t)] % k);
                const float* src = res.row(i * nb + parent);
                const float* cw = s.centroids().row(code);
                float* dst = newRes.row(i * nbNew + t);
                for (int64_t j = 0; j < d; ++j)
                    dst[j] = src[j] - cw[j];
                // Exact norm of the new residual: the GEMM estimate would drift over stages.
                newNorms[static_cast<size_t>(i * nbNew + t)] = squaredNorm(dst, d);
                int32_t* p = newPath.data() + (i * nbNew + t) * R;
                std::copy_n(path.data() + (i * nb + parent) * R, r, p);
                p[r] = code;
            }
        }
        res = std::move(newRes);
        norms = std::move(newNorms);
        path = std::move(newPath);
        nb = nbNew;
    }
    for (int64_t i = 0; i < m; ++i) {
        int64_t best = 0;
        for (int64_t t = 1; t < nb; ++t)
            if (norms[static_cast<size_t>(i * nb + t)] < norms[static_cast<size_t>(i * nb + best)])
                best = t;
        std::copy_n(path.data() + (i * nb + best) * R, R, codes + i * codeStride);
        if (sqError)
            sqError[i] = norms[static_cast<size_t>(i * nb + best)];
    }
}

} // namespace vq
