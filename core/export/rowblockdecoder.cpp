#include "export/rowblockdecoder.h"

#include "common/error.h"
#include "quant/rowblocks.h"

#include <algorithm>
#include <cstring>

namespace vq {

RowBlockDecoder::RowBlockDecoder(const QuantizedTable& table, int64_t blockRows, RunControl& control)
    : m_table(table)
    , m_blockRows(std::max<int64_t>(1, blockRows))
    , m_control(control)
{
}

void RowBlockDecoder::decodeBlockOf(int64_t row)
{
    m_control.throwIfCancelled();
    const int64_t begin = row / m_blockRows * m_blockRows;
    const int64_t end = std::min(begin + m_blockRows, m_table.rows);
    const int64_t dim = m_table.dim;
    m_values.resize(static_cast<size_t>((end - begin) * dim));
    m_begin = m_end = -1; // invalid until fully decoded
    // Sub-blocks in parallel; nothing is reported from inside (the fraction is over the whole table).
    parallelRowBlocks(end - begin, 64, nullRunControl(), "", [&](int64_t b, int64_t e) {
        std::vector<int64_t> ids(static_cast<size_t>(e - b));
        for (int64_t r = b; r < e; ++r)
            ids[static_cast<size_t>(r - b)] = begin + r;
        m_table.decodeRows(ids, m_values.data() + b * dim);
    });
    m_begin = begin;
    m_end = end;
    m_control.report("export", static_cast<double>(end) / static_cast<double>(m_table.rows));
}

void RowBlockDecoder::read(uint64_t first, std::span<float> out)
{
    const auto dim = static_cast<uint64_t>(m_table.dim);
    size_t done = 0;
    while (done < out.size()) {
        const uint64_t at = first + done;
        const auto row = static_cast<int64_t>(at / dim);
        if (row >= m_table.rows)
            throw Error(ErrorKind::InvalidArgument, {}, "element " + std::to_string(at) + " is past the table");
        if (row < m_begin || row >= m_end)
            decodeBlockOf(row);
        const uint64_t blockFirst = static_cast<uint64_t>(m_begin) * dim;
        const uint64_t available = static_cast<uint64_t>(m_end) * dim - at;
        const size_t n = static_cast<size_t>(std::min<uint64_t>(available, out.size() - done));
        std::memcpy(out.data() + done, m_values.data() + (at - blockFirst), n * sizeof(float));
        done += n;
    }
}

} // namespace vq
