#include "quant/fusedargmin.h"

#include "common/error.h"
#include "quant/nearestcentroids.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define VQ_FUSED_X86 1
#endif

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

namespace vq {

namespace {

// Points per block: transposed into a dim x kBlock buffer (32 KB at dim 32) that stays in L1/L2.
constexpr int64_t kBlock = 256;
// Codewords per tile: -2c and ||c||^2 of one tile take at most this many bytes, so a tile read by the
// kBlock / 64 register blocks of a point block comes from L2.
constexpr int64_t kTileBytes = 256 * 1024;
// Register blocks: 4 registers of lanes (64 points with AVX-512, 32 with AVX2); the point block is
// padded to a multiple of the widest (zeros, results discarded).
constexpr int64_t kRegisters = 4;
constexpr int64_t kPad = 64;

// State of the search for the points of one block across codeword tiles.
struct BlockState {
    float* best; // kBlock: smallest s so far
    int32_t* index; // kBlock: its codeword
};

// xt: dim x ldx transposed points (ldx a multiple of kPad); codewords [k0, k1) of minus2c / norms.
// Each kernel updates best/index of points [0, ldx) in place.
void scalarKernel(const float* xt, int64_t ldx, int64_t dim, const float* minus2c, const float* norms, int64_t k0,
    int64_t k1, BlockState s)
{
    for (int64_t p = 0; p < ldx; ++p) {
        float best = s.best[p];
        int32_t index = s.index[p];
        for (int64_t k = k0; k < k1; ++k) {
            const float* c = minus2c + k * dim;
            float acc = norms[k];
            for (int64_t j = 0; j < dim; ++j)
                acc = std::fma(xt[j * ldx + p], c[j], acc);
            if (acc < best) {
                best = acc;
                index = static_cast<int32_t>(k);
            }
        }
        s.best[p] = best;
        s.index[p] = index;
    }
}

#if defined(VQ_FUSED_X86)

template <int Dim>
__attribute__((target("avx2,fma"))) void avx2Kernel(const float* xt, int64_t ldx, int64_t runtimeDim,
    const float* minus2c, const float* norms, int64_t k0, int64_t k1, BlockState s)
{
    constexpr int64_t L = 8;
    const int64_t dim = Dim > 0 ? Dim : runtimeDim;
    for (int64_t p0 = 0; p0 < ldx; p0 += kRegisters * L) {
        __m256 best[kRegisters];
        __m256 index[kRegisters]; // int32 lanes, kept as floats for blendv
        for (int64_t r = 0; r < kRegisters; ++r) {
            best[r] = _mm256_loadu_ps(s.best + p0 + r * L);
            index[r] = _mm256_castsi256_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(s.index + p0 + r * L)));
        }
        for (int64_t k = k0; k < k1; ++k) {
            const float* c = minus2c + k * dim;
            __m256 acc[kRegisters];
            const __m256 n = _mm256_broadcast_ss(norms + k);
            for (int64_t r = 0; r < kRegisters; ++r)
                acc[r] = n;
            for (int64_t j = 0; j < dim; ++j) {
                const __m256 cj = _mm256_broadcast_ss(c + j);
                const float* x = xt + j * ldx + p0;
                for (int64_t r = 0; r < kRegisters; ++r)
                    acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x + r * L), cj, acc[r]);
            }
            const __m256 kv = _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int32_t>(k)));
            for (int64_t r = 0; r < kRegisters; ++r) {
                const __m256 lt = _mm256_cmp_ps(acc[r], best[r], _CMP_LT_OQ);
                best[r] = _mm256_blendv_ps(best[r], acc[r], lt);
                index[r] = _mm256_blendv_ps(index[r], kv, lt);
            }
        }
        for (int64_t r = 0; r < kRegisters; ++r) {
            _mm256_storeu_ps(s.best + p0 + r * L, best[r]);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(s.index + p0 + r * L), _mm256_castps_si256(index[r]));
        }
    }
}

template <int Dim>
__attribute__((target("avx512f"))) void avx512Kernel(const float* xt, int64_t ldx, int64_t runtimeDim,
    const float* minus2c, const float* norms, int64_t k0, int64_t k1, BlockState s)
{
    constexpr int64_t L = 16;
    const int64_t dim = Dim > 0 ? Dim : runtimeDim;
    for (int64_t p0 = 0; p0 < ldx; p0 += kRegisters * L) {
        __m512 best[kRegisters];
        __m512i index[kRegisters];
        for (int64_t r = 0; r < kRegisters; ++r) {
            best[r] = _mm512_loadu_ps(s.best + p0 + r * L);
            index[r] = _mm512_loadu_si512(s.index + p0 + r * L);
        }
        for (int64_t k = k0; k < k1; ++k) {
            const float* c = minus2c + k * dim;
            __m512 acc[kRegisters];
            const __m512 n = _mm512_set1_ps(norms[k]);
            for (int64_t r = 0; r < kRegisters; ++r)
                acc[r] = n;
            for (int64_t j = 0; j < dim; ++j) {
                const __m512 cj = _mm512_set1_ps(c[j]);
                const float* x = xt + j * ldx + p0;
                for (int64_t r = 0; r < kRegisters; ++r)
                    acc[r] = _mm512_fmadd_ps(_mm512_loadu_ps(x + r * L), cj, acc[r]);
            }
            const __m512i kv = _mm512_set1_epi32(static_cast<int32_t>(k));
            for (int64_t r = 0; r < kRegisters; ++r) {
                const __mmask16 lt = _mm512_cmp_ps_mask(acc[r], best[r], _CMP_LT_OQ);
                best[r] = _mm512_mask_mov_ps(best[r], lt, acc[r]);
                index[r] = _mm512_mask_mov_epi32(index[r], lt, kv);
            }
        }
        for (int64_t r = 0; r < kRegisters; ++r) {
            _mm512_storeu_ps(s.best + p0 + r * L, best[r]);
            _mm512_storeu_si512(s.index + p0 + r * L, index[r]);
        }
    }
}

#endif

using Kernel = void (*)(const float*, int64_t, int64_t, const float*, const float*, int64_t, int64_t, BlockState);

Kernel kernelFor(SimdPath path, int64_t dim)
{
#if defined(VQ_FUSED_X86)
    // Common codeword lengths get a kernel with the dimension loop unrolled at compile time.
    switch (path) {
    case SimdPath::Avx512:
        switch (dim) {
        case 4:
            return &avx512Kernel<4>;
        case 8:
            return &avx512Kernel<8>;
        case 16:
            return &avx512Kernel<16>;
        default:
            return &avx512Kernel<0>;
        }
    case SimdPath::Avx2:
        switch (dim) {
        case 4:
            return &avx2Kernel<4>;
        case 8:
            return &avx2Kernel<8>;
        case 16:
            return &avx2Kernel<16>;
        default:
            return &avx2Kernel<0>;
        }
    case SimdPath::Scalar:
        break;
    }
#else
    (void)path;
    (void)dim;
#endif
    return &scalarKernel;
}

SimdPath detectSimdPath()
{
    SimdPath p = SimdPath::Scalar;
    if (simdPathSupported(SimdPath::Avx512))
        p = SimdPath::Avx512;
    else if (simdPathSupported(SimdPath::Avx2))
        p = SimdPath::Avx2;
    if (const char* env = std::getenv("VQ_SIMD")) {
        const std::string v = env;
        const SimdPath wanted = v == "scalar" ? SimdPath::Scalar : v == "avx2" ? SimdPath::Avx2 : SimdPath::Avx512;
        p = std::min(p, wanted);
    }
    return p;
}

} // namespace

bool simdPathSupported(SimdPath path)
{
#if defined(VQ_FUSED_X86)
    switch (path) {
    case SimdPath::Scalar:
        return true;
    case SimdPath::Avx2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SimdPath::Avx512:
        return __builtin_cpu_supports("avx512f");
    }
    return false;
#else
    return path == SimdPath::Scalar;
#endif
}

SimdPath bestSimdPath()
{
    static const SimdPath path = detectSimdPath();
    return path;
}

std::string_view simdPathName(SimdPath path)
{
    switch (path) {
    case SimdPath::Avx512:
        return "avx512";
    case SimdPath::Avx2:
        return "avx2";
    case SimdPath::Scalar:
        break;
    }
    return "scalar";
}

FusedArgmin::FusedArgmin(MatrixView codewords, SimdPath path)
    : m_k(codewords.rows)
    , m_dim(codewords.cols)
    , m_path(path)
{
    if (m_k < 1 || m_dim < 1 || m_k > std::numeric_limits<int32_t>::max())
        throw Error(ErrorKind::InvalidArgument, {},
            "fused nearest-codeword search: " + std::to_string(m_k) + " codewords of " + std::to_string(m_dim)
                + " dimensions (need at least one of at least one dimension)");
    if (!simdPathSupported(path))
        throw Error(ErrorKind::InvalidArgument, {},
            "fused nearest-codeword search: this CPU cannot run the " + std::string(simdPathName(path)) + " path");
    m_minus2c.resize(static_cast<size_t>(m_k * m_dim));
    m_norms.resize(static_cast<size_t>(m_k));
    for (int64_t k = 0; k < m_k; ++k) {
        const float* c = codewords.row(k);
        for (int64_t j = 0; j < m_dim; ++j)
            m_minus2c[static_cast<size_t>(k * m_dim + j)] = -2.0f * c[j];
        m_norms[static_cast<size_t>(k)] = squaredNorm(c, m_dim);
    }
}

void FusedArgmin::search(MatrixView points, int32_t* labels, float* values) const
{
    if (points.cols != m_dim)
        throw Error(ErrorKind::InvalidArgument, {},
            "fused nearest-codeword search: points have " + std::to_string(points.cols) + " dimensions, codewords "
                + std::to_string(m_dim));
    const int64_t n = points.rows;
    if (n == 0)
        return;
    const Kernel kernel = kernelFor(m_path, m_dim);
    const int64_t tile = std::max<int64_t>(1, kTileBytes / (4 * (m_dim + 1)));
    const auto sz = [](int64_t v) { return static_cast<size_t>(v); };
    std::vector<float> xt(sz(m_dim * kBlock));
    std::vector<float> best(sz(kBlock));
    std::vector<int32_t> index(sz(kBlock));
    for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
        const int64_t m = std::min(kBlock, n - i0);
        const int64_t ldx = (m + kPad - 1) / kPad * kPad;
        for (int64_t j = 0; j < m_dim; ++j) {
            float* col = xt.data() + j * ldx;
            for (int64_t p = 0; p < m; ++p)
                col[p] = points.row(i0 + p)[j];
            std::fill(col + m, col + ldx, 0.0f);
        }
        std::fill_n(best.begin(), ldx, std::numeric_limits<float>::infinity());
        std::fill_n(index.begin(), ldx, 0);
        for (int64_t k0 = 0; k0 < m_k; k0 += tile)
            kernel(xt.data(), ldx, m_dim, m_minus2c.data(), m_norms.data(), k0, std::min(m_k, k0 + tile),
                BlockState { best.data(), index.data() });
        std::copy_n(index.begin(), m, labels + i0);
        if (values)
            std::copy_n(best.begin(), m, values + i0);
    }
}

} // namespace vq
