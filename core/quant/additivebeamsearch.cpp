#include "quant/additivebeamsearch.h"

#include "common/error.h"
#include "quant/rowblocks.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace vq {

namespace {

// Candidate scores of one block of vectors: at most this many floats (4 MB) per thread.
constexpr int64_t kCandidateFloats = int64_t(1) << 20;
constexpr int64_t kMaxBlock = 256;
// Gram blocks up to 16 MB; above that the per-step residual GEMM is used.
constexpr int64_t kMaxGramFloats = int64_t(1) << 22;
// M = 1: vectors per nearest-search call (one progress/cancel step).
constexpr int64_t kSingleBlock = 4096;

} // namespace

struct AdditiveBeamSearch::Workspace {
    std::vector<float> xc; // n x (M*K): <x, C_m[k]> (Gram path)
    std::vector<float> res; // n*B x g: x minus every codeword but the freed one
    std::vector<float> base; // n*B: ||res||^2
    std::vector<float> dots; // n*B x K: <res, C_m[k]>
    std::vector<uint8_t> skip; // n*B: entry duplicates an earlier one once code m is freed
    std::vector<int32_t> beamCodes, newCodes; // n*B x M
    std::vector<float> beamRes, newRes; // n*B x g: x minus all codewords
    std::vector<int> count, newCount; // n
    std::vector<float> selScore; // B
    std::vector<int64_t> selIndex; // B: entry * K + codeword
};

AdditiveBeamSearch::AdditiveBeamSearch(const Matrix& codebooks, int codebookCount, bool allowGram)
    : m_codebooks(codebooks)
    , m_M(codebookCount)
{
    if (codebookCount < 1 || codebooks.rows < codebookCount || codebooks.rows % codebookCount != 0
        || codebooks.cols < 1)
        throw Error(ErrorKind::InvalidArgument, {},
            "additive beam search: " + std::to_string(codebooks.rows) + " x " + std::to_string(codebooks.cols)
                + " codewords do not form " + std::to_string(codebookCount) + " codebooks");
    m_K = codebooks.rows / codebookCount;
    m_g = codebooks.cols;
    useSingleThreadedBlas();
    m_norms.resize(static_cast<size_t>(m_M * m_K));
    for (int64_t r = 0; r < m_M * m_K; ++r)
        m_norms[static_cast<size_t>(r)] = squaredNorm(m_codebooks.row(r), m_g);
    if (m_M == 1) {
        m_single.emplace(MatrixView(m_codebooks));
        return;
    }
    const int64_t pairs = static_cast<int64_t>(m_M) * (m_M - 1);
    if (allowGram && m_K <= kMaxGramFloats / pairs / m_K) {
        m_gram.resize(static_cast<size_t>(pairs * m_K * m_K));
        int64_t p = 0;
        for (int j = 0; j < m_M; ++j)
            for (int m = 0; m < m_M; ++m) {
                if (m == j)
                    continue;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m_K), static_cast<int>(m_K),
                    static_cast<int>(m_g), 1.0f, codeword(j, 0), static_cast<int>(m_g), codeword(m, 0),
                    static_cast<int>(m_g), 0.0f, m_gram.data() + p * m_K * m_K, static_cast<int>(m_K));
                ++p;
            }
    }
}

float AdditiveBeamSearch::error(const float* x, const int32_t* codes) const
{
    float d[64];
    float e = 0.0f;
    // Chunks of 64 dims keep d on the stack for any g; each dim's sum is in codebook order.
    for (int64_t j0 = 0; j0 < m_g; j0 += 64) {
        const int64_t len = std::min<int64_t>(64, m_g - j0);
        std::copy_n(codeword(0, codes[0]) + j0, len, d);
        for (int m = 1; m < m_M; ++m) {
            const float* c = codeword(m, codes[m]) + j0;
            for (int64_t j = 0; j < len; ++j)
                d[j] += c[j];
        }
        for (int64_t j = 0; j < len; ++j) {
            const float t = x[j0 + j] - d[j];
            e += t * t;
        }
    }
    return e;
}

void AdditiveBeamSearch::refine(MatrixView targets, int beamWidth, int32_t* codes, float* sqError,
    const RunControl& control, std::string_view stage) const
{
    if (targets.cols != m_g)
        throw Error(ErrorKind::InvalidArgument, {},
            "additive beam search: vectors of " + std::to_string(targets.cols) + " dimensions, codebooks of "
                + std::to_string(m_g));
    if (beamWidth < 1)
        throw Error(ErrorKind::InvalidArgument, {}, "additive beam search: beam width must be at least 1");
    const int64_t n = targets.rows;
    const int M = m_M;

    if (m_single) {
        parallelRowBlocks(n, kSingleBlock, control, stage, [&](int64_t begin, int64_t end) {
            std::vector<int32_t> labels(static_cast<size_t>(end - begin));
            m_single->assign(targets.rowRange(begin, end - begin), labels.data(), nullptr, 1);
            for (int64_t i = begin; i < end; ++i) {
                const float* x = targets.row(i);
                const float before = error(x, codes + i);
                const float after = error(x, labels.data() + (i - begin));
                if (after < before)
                    codes[i] = labels[static_cast<size_t>(i - begin)];
                if (sqError)
                    sqError[i] = std::min(before, after);
            }
        });
        return;
    }

    const int64_t perVector = (beamWidth + (usesGram() ? M : 0)) * m_K;
    const int64_t blockRows = std::clamp<int64_t>(kCandidateFloats / perVector, 1, kMaxBlock);
    // One workspace per thread, reused by its blocks: allocating (and zeroing) megabytes per block of 256
    // vectors cost as much as the search.
    std::vector<Workspace> spaces(static_cast<size_t>(control.threads > 0 ? control.threads : omp_get_max_threads()));
    parallelRowBlocks(n, blockRows, control, stage, [&](int64_t begin, int64_t end) {
        refineBlock(targets.rowRange(begin, end - begin), beamWidth, codes + begin * M,
            sqError ? sqError + begin : nullptr, spaces[static_cast<size_t>(omp_get_thread_num())]);
    });
}

void AdditiveBeamSearch::refineBlock(MatrixView x, int beamWidth, int32_t* codes, float* sqError, Workspace& ws) const
{
    const int64_t n = x.rows;
    const int M = m_M;
    const int64_t K = m_K;
    const int64_t g = m_g;
    const int64_t B = beamWidth;
    const auto sz = [](int64_t v) { return static_cast<size_t>(v); };

    // Every entry below is written before it is read (entries past a vector's count are never read).
    ws.res.resize(sz(n * B * g));
    ws.base.resize(sz(n * B));
    ws.dots.resize(sz(usesGram() ? K : n * B * K));
    ws.skip.resize(sz(n * B));
    ws.beamCodes.resize(sz(n * B * M));
    ws.newCodes.resize(sz(n * B * M));
    ws.beamRes.resize(sz(n * B * g));
    ws.newRes.resize(sz(n * B * g));
    ws.count.assign(sz(n), 1);
    ws.newCount.resize(sz(n));
    ws.selScore.resize(sz(B));
    ws.selIndex.resize(sz(B));

    // The beam starts from the codes given.
    for (int64_t i = 0; i < n; ++i) {
        std::copy_n(codes + i * M, M, ws.beamCodes.data() + i * B * M);
        float* r = ws.beamRes.data() + i * B * g;
        std::copy_n(x.row(i), g, r);
        for (int m = 0; m < M; ++m) {
            const float* c = codeword(m, codes[i * M + m]);
            for (int64_t j = 0; j < g; ++j)
                r[j] -= c[j];
        }
    }
    if (usesGram()) {
        ws.xc.resize(sz(n * M * K));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(M * K),
            static_cast<int>(g), 1.0f, x.data, static_cast<int>(x.stride), m_codebooks.values.data(),
            static_cast<int>(g), 0.0f, ws.xc.data(), static_cast<int>(M * K));
    }

    for (int m = 0; m < M; ++m) {
        const float* normsM = m_norms.data() + m * K;
        // Free code m of every entry: res = x minus the other codebooks' codewords.
        for (int64_t i = 0; i < n; ++i) {
            for (int64_t h = 0; h < ws.count[sz(i)]; ++h) {
                const int64_t e = i * B + h;
                const int32_t* a = ws.beamCodes.data() + e * M;
                const float* c = codeword(m, a[m]);
                const float* full = ws.beamRes.data() + e * g;
                float* r = ws.res.data() + e * g;
                for (int64_t j = 0; j < g; ++j)
                    r[j] = full[j] + c[j];
                ws.base[sz(e)] = squaredNorm(r, g);
                // Entries that differ only in code m give the same candidates: score the first only.
                bool dup = false;
                for (int64_t h2 = 0; h2 < h && !dup; ++h2) {
                    const int32_t* b = ws.beamCodes.data() + (i * B + h2) * M;
                    dup = true;
                    for (int j = 0; j < M; ++j)
                        if (j != m && a[j] != b[j]) {
                            dup = false;
                            break;
                        }
                }
                ws.skip[sz(e)] = dup ? 1 : 0;
            }
        }
        // <res, C_m[k]> for every entry and codeword: one GEMM for all entries unless the Gram path gives
        // them per entry below.
        if (!usesGram())
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n * B), static_cast<int>(K),
                static_cast<int>(g), 1.0f, ws.res.data(), static_cast<int>(g), codeword(m, 0), static_cast<int>(g),
                0.0f, ws.dots.data(), static_cast<int>(K));
        // Keep the B best (entry, codeword) candidates per vector; ties go to the earlier entry, then the
        // lower codeword (scan order, inserted after equal scores).
        for (int64_t i = 0; i < n; ++i) {
            int64_t s = 0;
            for (int64_t h = 0; h < ws.count[sz(i)]; ++h) {
                const int64_t e = i * B + h;
                if (ws.skip[sz(e)])
                    continue;
                float* d = ws.dots.data() + (usesGram() ? 0 : e * K);
                if (usesGram()) {
                    // <res, C_m[k]> = <x, C_m[k]> - sum over the other codebooks j of G_jm[a_j][k].
                    std::copy_n(ws.xc.data() + i * M * K + m * K, K, d);
                    const int32_t* a = ws.beamCodes.data() + e * M;
                    for (int j = 0; j < M; ++j) {
                        if (j == m)
                            continue;
                        const int64_t pair = j * (M - 1) + (m < j ? m : m - 1);
                        const float* gr = m_gram.data() + (pair * K + a[j]) * K;
                        for (int64_t k = 0; k < K; ++k)
                            d[k] -= gr[k];
                    }
                }
                // Scores in a separate (vectorised) pass; the scan below mostly only compares.
                const float base = ws.base[sz(e)];
                for (int64_t k = 0; k < K; ++k)
                    d[k] = (base + normsM[k]) - 2.0f * d[k];
                for (int64_t k = 0; k < K; ++k) {
                    const float score = d[k];
                    if (s == B ? !(score < ws.selScore[sz(B - 1)]) : std::isnan(score))
                        continue;
                    int64_t pos = s < B ? s++ : B - 1;
                    while (pos > 0 && ws.selScore[sz(pos - 1)] > score) {
                        ws.selScore[sz(pos)] = ws.selScore[sz(pos - 1)];
                        ws.selIndex[sz(pos)] = ws.selIndex[sz(pos - 1)];
                        --pos;
                    }
                    ws.selScore[sz(pos)] = score;
                    ws.selIndex[sz(pos)] = h * K + k;
                }
            }
            if (s == 0) { // only NaN scores: keep the beam as it is
                const int64_t c = ws.count[sz(i)];
                std::copy_n(ws.beamCodes.data() + i * B * M, c * M, ws.newCodes.data() + i * B * M);
                std::copy_n(ws.beamRes.data() + i * B * g, c * g, ws.newRes.data() + i * B * g);
                ws.newCount[sz(i)] = static_cast<int>(c);
                continue;
            }
            for (int64_t t = 0; t < s; ++t) {
                const int64_t parent = i * B + ws.selIndex[sz(t)] / K;
                const auto k = static_cast<int32_t>(ws.selIndex[sz(t)] % K);
                const int64_t e = i * B + t;
                std::copy_n(ws.beamCodes.data() + parent * M, M, ws.newCodes.data() + e * M);
                ws.newCodes[sz(e * M + m)] = k;
                const float* r = ws.res.data() + parent * g;
                const float* c = codeword(m, k);
                float* out = ws.newRes.data() + e * g;
                for (int64_t j = 0; j < g; ++j)
                    out[j] = r[j] - c[j];
            }
            ws.newCount[sz(i)] = static_cast<int>(s);
        }
        std::swap(ws.beamCodes, ws.newCodes);
        std::swap(ws.beamRes, ws.newRes);
        std::swap(ws.count, ws.newCount);
    }

    // The best entry by canonical error replaces the given codes only when strictly better.
    for (int64_t i = 0; i < n; ++i) {
        float best = error(x.row(i), codes + i * M);
        int64_t bestEntry = -1;
        for (int64_t h = 0; h < ws.count[sz(i)]; ++h) {
            const float e = error(x.row(i), ws.beamCodes.data() + (i * B + h) * M);
            if (e < best) {
                best = e;
                bestEntry = h;
            }
        }
        if (bestEntry >= 0)
            std::copy_n(ws.beamCodes.data() + (i * B + bestEntry) * M, M, codes + i * M);
        if (sqError)
            sqError[i] = best;
    }
}

} // namespace vq
