#pragma once

#include "quant/matrixview.h"

#include <cstdint>
#include <string_view>
#include <vector>

namespace vq {

// Instruction sets the fused search has a kernel for, slowest first.
enum class SimdPath { Scalar, Avx2, Avx512 };

// The widest path this CPU runs (AVX-512F, else AVX2 with FMA, else scalar). The environment variable
// VQ_SIMD=scalar|avx2|avx512 lowers it (never above what the CPU has), for comparisons and for working
// around a suspect path. Read once per process.
SimdPath bestSimdPath();
// Whether this CPU can run `path`.
bool simdPathSupported(SimdPath path);
std::string_view simdPathName(SimdPath path);

// Nearest-codeword search with the distance computation and the argmin fused in registers: for each
// point x and codeword c it evaluates s(x, c) = ||c||^2 - 2 <x, c> and keeps, per point, the smallest
// value and its codeword, so no points x codewords matrix is ever written (a GEMM-based search writes
// one and, for the short vectors of VQ codebooks (dim 4 to 16), spends most of its time doing so).
//
// Kernel: lanes hold points (16 with AVX-512, 8 with AVX2), four registers of lanes at a time; codewords
// are streamed in tiles that stay in the L2 cache, each codeword's -2c_j and ||c||^2 broadcast to all
// lanes. Every path evaluates s as acc = ||c||^2, then acc = fma(x_j, -2 c_j, acc) for j = 0 .. dim-1 (one
// rounding per step; the scalar path uses std::fma), and compares with a strict '<' in codeword order,
// so the AVX-512, AVX2 and scalar paths return bit-identical labels and values: ties go to the lowest
// codeword index, a NaN value never wins (a point whose values are all NaN gets label 0 and value +inf).
// ||c||^2 is squaredNorm() of the codeword, as NearestCentroids computes it.
class FusedArgmin {
public:
    // Copies the codewords (k x dim, k >= 1, dim >= 1, k < 2^31). path must be supported by this CPU.
    explicit FusedArgmin(MatrixView codewords, SimdPath path = bestSimdPath());

    int64_t size() const { return m_k; }
    int64_t dim() const { return m_dim; }
    SimdPath path() const { return m_path; }

    // For each row i of points (points.cols == dim()): labels[i] = argmin over codewords of s(x_i, c) and,
    // when values is not null, values[i] = that minimum (add ||x_i||^2 for the squared distance; it may
    // be slightly negative through rounding). Single-threaded: callers parallelise over blocks of points.
    // Thread-safe (const).
    void search(MatrixView points, int32_t* labels, float* values) const;

    // Floating-point operations one search of n points does (2 per multiply-add, as GEMM is counted).
    double flops(int64_t n) const { return 2.0 * static_cast<double>(n) * static_cast<double>(m_k * m_dim); }

private:
    int64_t m_k = 0;
    int64_t m_dim = 0;
    SimdPath m_path = SimdPath::Scalar;
    std::vector<float> m_minus2c; // k x dim: -2 c
    std::vector<float> m_norms; // k: ||c||^2
};

} // namespace vq
