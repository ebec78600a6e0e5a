#pragma once

#include "metrics/codebookusage.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace vq {

// Where the codewords that one code array indexes are stored, and what they stand for: what the
// codebook explorer needs beyond CodeLayout. Names refer to StoredArrays of the same QuantizedTable;
// CodebookAccess (core/explore) resolves and checks them.
struct CodebookSource {
    std::string array; // the codes (as CodeArrayLayout::array)
    CodeLayout layout;
    std::string codebookArray; // the stored floats the codes index
    int64_t width = 0; // values per codeword
    // Offset, in floats of codebookArray, of the 2^bits x width codebook that (stage, group) indexes:
    // stages * groups entries, index stage * groups + group.
    std::vector<int64_t> bookOffsets;
    // Table column of value j of a codeword used in group g: groups * width entries, index g * width + j.
    std::vector<int64_t> columns;
    // Table row of each row of the code array, ascending; empty: row i of the array is table row i.
    std::vector<int64_t> tableRows;
    // A stored per-table-row factor every decoded codeword is multiplied by (AQLM's "scales"); empty: none.
    std::string rowScaleArray;
};

// The usual source: group g covers table columns [g * width, (g + 1) * width), array rows are table rows,
// no row scale, and the codebook of (stage, group) starts at bookOffset(stage, group) floats.
CodebookSource contiguousCodebookSource(std::string array, const CodeLayout& layout, std::string codebookArray,
    int64_t width, const std::function<int64_t(int stage, int group)>& bookOffset);

// One step of decoding a row, in the order the method's decoder applies them: a stage of a code array
// (array and stage index into Quantizer::codebookSources()), or a step without codes (array -1: CARVQ's
// adaptor, a scalar method's whole decode).
struct DecodeStep {
    std::string label; // "stage 2", "adaptor", "extended 1", "codebook 1 (scaled)"
    int array = -1;
    int stage = -1;
};

} // namespace vq
