#pragma once

#include "quant/codebooksource.h"
#include "quant/quantizedtable.h"

#include <cstdint>
#include <span>
#include <vector>

namespace vq {

class Quantizer;

// One code array of a quantized table, resolved against its stored arrays: codes by (array row, stage,
// group), the codeword a code stands for, the table columns and rows behind them. Checks once that the
// arrays match the method's CodebookSource; reading codes afterwards checks each code's range.
// Holds pointers into `table`, which must outlive it. Thread-safe (const).
class CodebookAccess {
public:
    // Throws Error(InvalidArgument) when `array` is not an index of the method's codebookSources() (the
    // message says how many there are, 0 for a method without codebooks) and Error(Malformed) when the
    // stored arrays do not match what the source describes.
    CodebookAccess(const QuantizedTable& table, int array);
    CodebookAccess(const QuantizedTable& table, const Quantizer& method, int array);

    // The code arrays a table's method has (0 for scalar methods).
    static int arrayCount(const QuantizedTable& table);

    const QuantizedTable& table() const { return *m_table; }
    const CodebookSource& source() const { return m_source; }
    const CodeLayout& layout() const { return m_source.layout; }
    int arrayIndex() const { return m_array; }
    int stages() const { return m_source.layout.stages; }
    int groups() const { return m_source.layout.groups; }
    int64_t arrayRows() const { return m_source.layout.rows; }
    int64_t codewords() const { return int64_t(1) << m_source.layout.bits; }
    int64_t width() const { return m_source.width; }

    // Throws Error(InvalidArgument) naming the bad value when stage or group is out of range; group -1
    // (all groups) is accepted only when allowPooled and every group of a stage indexes one codebook.
    void checkSelection(int stage, int group, bool allowPooled) const;

    // The code of (array row, stage, group); throws Error(Malformed) when it lies outside the codebook.
    int32_t code(int64_t arrayRow, int stage, int group) const;
    // The width floats of codeword `code` of the codebook (stage, group) indexes.
    const float* codeword(int stage, int group, int32_t code) const;
    // The table columns of the values of a codeword used in group g (width entries).
    std::span<const int64_t> columns(int group) const;
    // Table row of an array row, and the array row of a table row (-1: that row has no codes here).
    int64_t tableRow(int64_t arrayRow) const;
    int64_t arrayRow(int64_t tableRow) const;
    // The factor the decoder multiplies a table row's codewords by (1 without row scales).
    float rowScale(int64_t tableRow) const;

private:
    const QuantizedTable* m_table;
    int m_array;
    CodebookSource m_source;
    const int32_t* m_codes = nullptr;
    const float* m_books = nullptr;
    const float* m_scales = nullptr;
    int64_t m_rowStride = 0;
    int64_t m_groupStride = 0;
    int64_t m_stageStride = 0;
};

} // namespace vq
