#pragma once

// Seeded random tables shared by the core tests: the same seed gives the same values on every run.
#include "common/matrix.h"

#include <cstdint>
#include <random>

namespace vqtest {

// rows x cols standard normal values drawn row-major from std::mt19937_64(seed).
inline vq::Matrix randomMatrix(int64_t rows, int64_t cols, uint64_t seed)
{
    vq::Matrix m(rows, cols);
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.f, 1.f);
    for (float& v : m.values)
        v = normal(rng);
    return m;
}

// m plus Gaussian noise of standard deviation sigma, drawn in double row-major from std::mt19937_64(seed).
inline vq::Matrix withNoise(const vq::Matrix& m, double sigma, uint64_t seed)
{
    vq::Matrix out = m;
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0, sigma);
    for (float& v : out.values)
        v = static_cast<float>(v + normal(rng));
    return out;
}

} // namespace vqtest
