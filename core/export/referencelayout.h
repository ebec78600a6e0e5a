#pragma once

#include "export/reference_decoder/vq_decode.h"
#include "quant/quantizedtable.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace vq {

// The arrays of a quantized table in the form the C reference decoder (reference_decoder/vq_decode.h)
// reads, as a deployment would hold them after loading the artifact: packed codes, fp16/bf16 bit
// patterns, and the vq_layout pointing at them. Owns the buffers; not copyable or movable (the layout
// points into them).
struct ReferenceLayout {
    vq_layout layout {};
    std::vector<uint8_t> codes;
    std::vector<uint16_t> codebookBits; // F16/BF16 codebooks
    std::vector<float> codebookFloats; // F32 codebooks
    std::vector<uint16_t> scaleBits;
    std::vector<uint16_t> offsetBits;
    std::vector<float> scaleFloats;
    std::vector<float> offsetFloats;
    std::vector<uint8_t> extCodes; // crvq: extended codes, critical rows, column permutation
    std::vector<uint16_t> extCodebookBits;
    std::vector<float> extCodebookFloats;
    std::vector<uint8_t> extRows;
    std::vector<uint8_t> permutation;

    ReferenceLayout() = default;
    ReferenceLayout(const ReferenceLayout&) = delete;
    ReferenceLayout& operator=(const ReferenceLayout&) = delete;
};

// Builds the reference layout of a table. Every registered method must have a mapping here; adding a
// method means adding its case. Throws vq::Error(Unsupported) for a method without one, and
// Error(Malformed) when the table's arrays are not what the method stores.
std::unique_ptr<ReferenceLayout> makeReferenceLayout(const QuantizedTable& table);

} // namespace vq
