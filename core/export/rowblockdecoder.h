#pragma once

#include "common/runcontrol.h"
#include "quant/quantizedtable.h"

#include <cstdint>
#include <span>
#include <vector>

namespace vq {

// Decodes a QuantizedTable block by block (blockRows rows, decoded in parallel) for writers that stream
// the table to disk in order. Keeps one block. Reports stage "export" as the fraction of rows decoded
// and throws vq::Cancelled before decoding a block once control is cancelled. Not thread-safe.
class RowBlockDecoder {
public:
    RowBlockDecoder(const QuantizedTable& table, int64_t blockRows, RunControl& control);

    // Fills out with elements [first, first + out.size()) of the row-major rows x dim table.
    void read(uint64_t first, std::span<float> out);

private:
    void decodeBlockOf(int64_t row);

    const QuantizedTable& m_table;
    int64_t m_blockRows;
    RunControl& m_control;
    int64_t m_begin = -1; // rows [m_begin, m_end) are in m_values
    int64_t m_end = -1;
    std::vector<float> m_values;
};

} // namespace vq
