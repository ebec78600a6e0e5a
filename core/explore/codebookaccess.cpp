#include "explore/codebookaccess.h"

#include "common/error.h"
#include "quant/quantizer.h"
#include "quant/registry.h"

#include <algorithm>
#include <string>

namespace vq {

namespace {

Error malformed(const CodebookSource& s, const std::string& what)
{
    return Error(ErrorKind::Malformed, "", "codebook of '" + s.array + "': " + what);
}

} // namespace

int CodebookAccess::arrayCount(const QuantizedTable& table)
{
    return static_cast<int>(quantizer(table.spec.method).codebookSources(table).size());
}

CodebookAccess::CodebookAccess(const QuantizedTable& table, int array)
    : CodebookAccess(table, quantizer(table.spec.method), array)
{
}

CodebookAccess::CodebookAccess(const QuantizedTable& table, const Quantizer& method, int array)
    : m_table(&table)
    , m_array(array)
{
    std::vector<CodebookSource> sources = method.codebookSources(table);
    if (array < 0 || static_cast<size_t>(array) >= sources.size())
        throw Error(ErrorKind::InvalidArgument, "",
            "code array " + std::to_string(array) + " of a " + method.name() + " table that has "
                + std::to_string(sources.size()) + " code array(s)");
    m_source = std::move(sources[static_cast<size_t>(array)]);
    const CodebookSource& s = m_source;
    const StoredArray& codes = table.array(s.array);
    const CodeLayout l = resolveCodeLayout(s.layout, codes.ints.size());
    m_rowStride = l.rowStride;
    m_groupStride = l.groupStride;
    m_stageStride = l.stageStride;
    m_codes = codes.ints.data();

    const StoredArray& books = table.array(s.codebookArray);
    const int64_t bookSize = codewords() * s.width;
    if (s.width < 1 || s.bookOffsets.size() != static_cast<size_t>(l.stages) * static_cast<size_t>(l.groups))
        throw malformed(s, "codeword width or codebook offsets do not match the layout");
    for (const int64_t offset : s.bookOffsets)
        if (offset < 0 || offset + bookSize > static_cast<int64_t>(books.floats.size()))
            throw malformed(s,
                "a codebook reaches past the " + std::to_string(books.floats.size()) + " values of '" + s.codebookArray
                    + "'");
    m_books = books.floats.data();

    if (s.columns.size() != static_cast<size_t>(l.groups) * static_cast<size_t>(s.width))
        throw malformed(s, "the column map does not have groups x width entries");
    for (const int64_t c : s.columns)
        if (c < 0 || c >= table.dim)
            throw malformed(s, "column " + std::to_string(c) + " outside a row of " + std::to_string(table.dim));
    if (!s.tableRows.empty()) {
        if (s.tableRows.size() != static_cast<size_t>(l.rows))
            throw malformed(s, "the row map does not have one entry per array row");
        for (size_t i = 0; i < s.tableRows.size(); ++i)
            if (s.tableRows[i] < 0 || s.tableRows[i] >= table.rows || (i > 0 && s.tableRows[i] <= s.tableRows[i - 1]))
                throw malformed(s, "the row map is not ascending table rows");
    } else if (l.rows != table.rows) {
        throw malformed(s, std::to_string(l.rows) + " code rows for a table of " + std::to_string(table.rows));
    }
    if (!s.rowScaleArray.empty()) {
        const StoredArray& scales = table.array(s.rowScaleArray);
        if (scales.floats.size() != static_cast<size_t>(table.rows))
            throw malformed(s, "'" + s.rowScaleArray + "' does not hold one scale per row");
        m_scales = scales.floats.data();
    }
}

void CodebookAccess::checkSelection(int stage, int group, bool allowPooled) const
{
    if (stage < 0 || stage >= stages())
        throw Error(ErrorKind::InvalidArgument, "",
            "stage " + std::to_string(stage) + " outside 0.." + std::to_string(stages() - 1) + " of '" + m_source.array
                + "'");
    if (group == -1 && allowPooled) {
        // Pooling is meaningful only over groups that index the same codewords.
        const int64_t first = m_source.bookOffsets[static_cast<size_t>(stage) * static_cast<size_t>(groups())];
        for (int g = 1; g < groups(); ++g)
            if (m_source
                    .bookOffsets[static_cast<size_t>(stage) * static_cast<size_t>(groups()) + static_cast<size_t>(g)]
                != first)
                throw Error(ErrorKind::InvalidArgument, "",
                    "the groups of stage " + std::to_string(stage) + " of '" + m_source.array
                        + "' use different codebooks: pick one group");
        return;
    }
    if (group < 0 || group >= groups())
        throw Error(ErrorKind::InvalidArgument, "",
            "group " + std::to_string(group) + " outside 0.." + std::to_string(groups() - 1) + " of '" + m_source.array
                + "'");
}

int32_t CodebookAccess::code(int64_t arrayRow, int stage, int group) const
{
    const int32_t c = m_codes[arrayRow * m_rowStride + group * m_groupStride + stage * m_stageStride];
    if (c < 0 || c >= codewords())
        throw malformed(m_source,
            "code " + std::to_string(c) + " of row " + std::to_string(arrayRow) + " outside a codebook of "
                + std::to_string(codewords()));
    return c;
}

const float* CodebookAccess::codeword(int stage, int group, int32_t code) const
{
    return m_books
        + m_source.bookOffsets[static_cast<size_t>(stage) * static_cast<size_t>(groups()) + static_cast<size_t>(group)]
        + static_cast<int64_t>(code) * m_source.width;
}

std::span<const int64_t> CodebookAccess::columns(int group) const
{
    return { m_source.columns.data() + static_cast<int64_t>(group) * m_source.width,
        static_cast<size_t>(m_source.width) };
}

int64_t CodebookAccess::tableRow(int64_t arrayRow) const
{
    return m_source.tableRows.empty() ? arrayRow : m_source.tableRows[static_cast<size_t>(arrayRow)];
}

int64_t CodebookAccess::arrayRow(int64_t tableRow) const
{
    if (tableRow < 0 || tableRow >= m_table->rows)
        return -1;
    if (m_source.tableRows.empty())
        return tableRow;
    const auto it = std::lower_bound(m_source.tableRows.begin(), m_source.tableRows.end(), tableRow);
    return it != m_source.tableRows.end() && *it == tableRow ? it - m_source.tableRows.begin() : -1;
}

float CodebookAccess::rowScale(int64_t tableRow) const
{
    return m_scales ? m_scales[tableRow] : 1.0f;
}

} // namespace vq
