#pragma once

#include "export/reference_decoder/vq_decode.h"
#include "quant/quantizedtable.h"

#include <cstdint>
#include <memory>
#include <string>
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
    std::vector<uint8_t> scaleCodes; // two-level scales (llama.cpp K-quants, iq4_xs)
    std::vector<uint8_t> offsetCodes;

    ReferenceLayout() = default;
    ReferenceLayout(const ReferenceLayout&) = delete;
    ReferenceLayout& operator=(const ReferenceLayout&) = delete;
};

// Builds the reference layout of a table through its method's Quantizer::fillReferenceLayout, then
// checks it (vq_check_layout). Throws vq::Error(Unsupported) for a method without one, and
// Error(Malformed) when the table's arrays are not what the method stores.
std::unique_ptr<ReferenceLayout> makeReferenceLayout(const QuantizedTable& table);

// Building blocks for the methods' fillReferenceLayout.
// Throws Error(Malformed) "<method>: <what>".
[[noreturn]] void refuseLayout(const QuantizedTable& table, const std::string& what);
// Points v at a float array's values in its storage type (fp16/bf16 bit patterns or float32), keeping the
// converted copy in bits or floats.
void bindValues(const StoredArray& a, vq_values& v, std::vector<uint16_t>& bits, std::vector<float>& floats);
// The integer array as the layout's packed code stream (codes, codes_bytes, code_bits, code_signed).
void bindCodes(const QuantizedTable& table, ReferenceLayout& r, const StoredArray& codes);
// An unsigned integer array (or, with allowSigned, a signed one) packed as the artifact stores it, bound
// to p. Returns whether the array is signed.
bool bindPacked(const QuantizedTable& table, const StoredArray& a, vq_packed& p, std::vector<uint8_t>& bytes,
    bool allowSigned = false);

} // namespace vq
