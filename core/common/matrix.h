#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace vq {

// A dense row-major float32 matrix that owns its values.
struct Matrix {
    int64_t rows = 0;
    int64_t cols = 0;
    std::vector<float> values; // rows * cols, row-major

    Matrix() = default;
    Matrix(int64_t r, int64_t c)
        : rows(r)
        , cols(c)
        , values(static_cast<size_t>(r * c))
    {
    }

    float* row(int64_t i) { return values.data() + i * cols; }
    const float* row(int64_t i) const { return values.data() + i * cols; }
    std::span<const float> rowSpan(int64_t i) const { return { row(i), static_cast<size_t>(cols) }; }
    float& at(int64_t i, int64_t j) { return values[static_cast<size_t>(i * cols + j)]; }
    float at(int64_t i, int64_t j) const { return values[static_cast<size_t>(i * cols + j)]; }
    bool empty() const { return rows == 0 || cols == 0; }
};

} // namespace vq
