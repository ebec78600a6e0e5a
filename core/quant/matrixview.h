#pragma once

#include "common/matrix.h"

#include <cstdint>

namespace vq {

// A read-only view of rows x cols float32 values, row i starting at data + i * stride (stride >= cols).
// It does not own the values: the caller keeps them alive while the view is used. Lets the vector
// quantizers address sub-vectors in place: the columns [p*h, (p+1)*h) of a table are
// {table.row(0) + p*h, rows, h, dim}, and all groups of a row-major table at once are
// {table.row(0), rows*dim/h, h, h}.
struct MatrixView {
    const float* data = nullptr;
    int64_t rows = 0;
    int64_t cols = 0;
    int64_t stride = 0;

    MatrixView() = default;
    MatrixView(const float* d, int64_t r, int64_t c, int64_t s)
        : data(d)
        , rows(r)
        , cols(c)
        , stride(s)
    {
    }
    MatrixView(const Matrix& m) // NOLINT(google-explicit-constructor): a Matrix is a view of itself
        : data(m.values.data())
        , rows(m.rows)
        , cols(m.cols)
        , stride(m.cols)
    {
    }

    const float* row(int64_t i) const { return data + i * stride; }
    // Columns [first, first + count) of every row.
    MatrixView columns(int64_t first, int64_t count) const { return { data + first, rows, count, stride }; }
    // Rows [first, first + count).
    MatrixView rowRange(int64_t first, int64_t count) const { return { data + first * stride, count, cols, stride }; }
};

// A contiguous copy of a view.
inline Matrix toMatrix(const MatrixView& v)
{
    Matrix m(v.rows, v.cols);
    for (int64_t i = 0; i < v.rows; ++i)
        for (int64_t j = 0; j < v.cols; ++j)
            m.at(i, j) = v.row(i)[j];
    return m;
}

} // namespace vq
