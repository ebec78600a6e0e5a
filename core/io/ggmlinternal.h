#pragma once

// Shared by the ggml codec's units (ggmlblocks.cpp, ggmlparams.cpp, ggmlquantize.cpp); not a public
// header: callers use io/ggmlblocks.h.

#include "io/ggmlblocks.h"

#include <cstdint>
#include <cstring>
#include <string>

namespace vq::ggml::detail {

[[noreturn]] void fail(const std::string& message); // vq::Error(InvalidArgument), no file

inline uint16_t loadU16(const uint8_t* p)
{
    return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

inline void storeU16(uint8_t* p, uint16_t v)
{
    p[0] = static_cast<uint8_t>(v & 0xffu);
    p[1] = static_cast<uint8_t>(v >> 8);
}

inline uint32_t loadU32(const uint8_t* p)
{
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}

inline void storeU32(uint8_t* p, uint32_t v)
{
    for (int k = 0; k < 4; ++k)
        p[k] = static_cast<uint8_t>(v >> (8 * k));
}

// One block in parameter form (see ParamLayout), sized for the largest block (256 values, 16 sub-blocks).
struct Block {
    uint16_t d = 0;
    uint16_t m = 0;
    int8_t scales[16] {};
    int8_t mins[16] {};
    int8_t codes[kSuperBlockValues] {};
};

// Bytes of one block to its parameter form and back, for a type with a parameter form.
void unpackBlock(GgmlType type, const uint8_t* in, Block& out);
void packBlock(GgmlType type, const Block& in, uint8_t* out);
// The values of one block in parameter form, as ggml's dequantize_row_* computes them.
void dequantizeBlock(const ParamLayout& layout, int64_t values, const Block& b, float* y);

// ggml's ternary formats (no parameter form): `blocks` blocks of 256 values.
void dequantizeTq1_0(const uint8_t* in, int64_t blocks, float* y);
void dequantizeTq2_0(const uint8_t* in, int64_t blocks, float* y);

// ggml_quantize_chunk for a block type: `rows` rows of rowLength values from x into out. importance
// is null or rowLength weights. Only for types with canQuantize() and a block size above 1.
void quantizeRows(GgmlType type, const float* x, int64_t rows, int64_t rowLength, const float* importance,
    Q4Rounding rounding, uint8_t* out);

} // namespace vq::ggml::detail
