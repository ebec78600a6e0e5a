#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vq::ggml {

// ggml's storage types, bit-exact with ggml (ggml-org/ggml, src/ggml-quants.c): one table over ggml's
// type ids giving each type's name, block size, dequantization and quantization. Every reader and writer
// of ggml data (the GGUF reader and writer, the block quantization methods) goes through it.
//
// A block type cuts a row into blocks of blockValues consecutive values stored in blockBytes bytes;
// the plain element types (f32, f16, bf16, f64) are blocks of one value. Rows must be whole blocks.
//
// Dequantization is what ggml's to_float (dequantize_row_*) computes, bit for bit, for every type
// where canDequantize() is true: f32, f16, bf16, f64, q4_0, q4_1, q5_0, q5_1, q8_0, q2_K, q3_K, q4_K,
// q5_K, q6_K, iq4_nl, iq4_xs, tq1_0, tq2_0. The grid i-quants (iq2_xxs, iq2_xs, iq2_s, iq3_xxs, iq3_s,
// iq1_s, iq1_m) decode through large lookup grids that ggml ships as data tables and that have no
// documented construction; they are not readable here, and neither are q8_1/q8_K (ggml's internal
// dot-product formats), the integer types, mxfp4, nvfp4, q1_0 and q2_0.
//
// Quantization is what ggml_quantize_chunk writes, bit for bit, for every type where canQuantize() is
// true: the readable types above except f64. ggml runs a different algorithm per type with and without
// an importance vector (quantize_q4_K: quantize_row_q4_K_ref without, quantize_row_q4_K_impl with it);
// so does this module, and the arithmetic follows ggml's float operations in their order, so that an
// x86-64 build without FMA (how ggml-base is built there) and this code produce the same bytes. The
// types whose quantization uses the importance vector are q4_0, q4_1, q5_0, q5_1, q2_K ... q6_K, iq4_nl
// and iq4_xs (usesImportance); q8_0 and the ternary types ignore it.
//
// Q4_0 rounding: ggml computes x * (1/d) + 8.5f. As written in C that rounds twice (Separate, the
// default: ggml-base as built for x86-64 without FMA); compilers that contract it into an FMA (ARM64
// builds) round once, and llama.cpp's Python writer gguf-py emulates that (Fused). The two differ on
// rare elements whose scaled value lies within a float ulp of a code boundary, e.g. in the block
// {1.1f, 0x1.a6666cp-3f, 0, ...}: code -1 Separate, -2 Fused. The option only affects q4_0 without an
// importance vector.
//
// Inputs to quantize should be finite: a NaN or infinite element gives bytes ggml leaves undefined
// (ours are defined, not useful). All functions are pure and thread-safe. Sizes and arguments are
// checked; a mismatch throws vq::Error (InvalidArgument, no file).

// ggml's type ids (ggml.h, enum ggml_type), as GGUF files store them. Ids ggml removed are absent.
enum class GgmlType : uint32_t {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    IQ2_XXS = 16,
    IQ2_XS = 17,
    IQ3_XXS = 18,
    IQ1_S = 19,
    IQ4_NL = 20,
    IQ3_S = 21,
    IQ2_S = 22,
    IQ4_XS = 23,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    IQ1_M = 29,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
    MXFP4 = 39,
    NVFP4 = 40,
    Q1_0 = 41,
    Q2_0 = 42,
};
// The name under which this module began (with Q8_0 and Q4_0 only); every GgmlType works with it.
using BlockType = GgmlType;

enum class Q4Rounding { Separate, Fused };

inline constexpr int64_t kBlockValues = 32; // QK8_0 == QK4_0 == QK4_1 == QK5_0 == QK5_1 == QK4_NL
inline constexpr int64_t kSuperBlockValues = 256; // QK_K: the K-quants, iq4_xs and the ternary types
inline constexpr size_t kQ8_0BlockBytes = 34;
inline constexpr size_t kQ4_0BlockBytes = 18;

// The parameter form of a block type: what one block stores, as numbers rather than packed bits.
// Every value of a block decodes as
//
//   v     = codes[i], or kIq4nlValues[codes[i]] when codesIndexValues (iq4_nl, iq4_xs)
//   s     = d, or d * scales[i / subValues] when subValues > 0 (two-level scales: K-quants, iq4_xs)
//   x     = s * v
//   x     = x + m                         when minKind is Add (q4_1, q5_1: m per block)
//   x     = x - m * mins[i / subValues]   when minKind is Subtract (q2_K, q4_K, q5_K: m is dmin)
//
// with d and m fp16 (one per block), the codes, scales and mins small integers, every step one float
// operation in that order: exactly what ggml's dequantize_row_* computes. The ternary types (tq1_0,
// tq2_0) pack base-3 digits and have no parameter form (codeBits 0).
enum class MinKind { None, Add, Subtract };
struct ParamLayout {
    int codeBits = 0; // 0: no parameter form
    bool codeSigned = false; // codes are two's complement in codeBits bits, else unsigned
    bool codesIndexValues = false;
    int64_t subValues = 0; // values per scale (and min) code; 0: none
    int scaleBits = 0;
    bool scaleSigned = false;
    MinKind minKind = MinKind::None;
    int minBits = 0; // Subtract only; min codes are unsigned
};

struct TypeTraits {
    GgmlType type;
    const char* name; // ggml's spelling: "q4_K", "iq4_xs", "bf16"
    int64_t blockValues;
    size_t blockBytes;
    bool dequantizable;
    bool quantizable;
    bool usesImportance;
    ParamLayout params;
};

// The 16 values of ggml's non-linear 4-bit grid (iq4_nl, iq4_xs): part of the format's definition.
inline constexpr int8_t kIq4nlValues[16] = { -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113 };

// Every type ggml defines, in id order.
const std::vector<TypeTraits>& allTypes();
// The type with ggml id `id`, or nullptr when ggml defines none (removed or unknown ids).
const TypeTraits* findType(uint32_t id);
const TypeTraits& traits(GgmlType type);
// By name, ignoring case ("Q4_K", "q4_k", "iq4_xs"); nullopt when ggml has no such type.
std::optional<GgmlType> typeFromName(std::string_view name);
// "f32, f16, bf16, f64, q4_0, ...": the names of the types dequantize() reads, for error messages.
std::string readableTypeList();
// Why dequantize() refuses a type, for error messages ("ggml's grid i-quants decode through lookup
// grids that vqscope does not include"); empty for a readable type.
std::string unreadableReason(GgmlType type);

const char* nameOf(GgmlType type);
int64_t blockValues(GgmlType type);
size_t blockBytes(GgmlType type);
bool canDequantize(GgmlType type);
bool canQuantize(GgmlType type);
// Bytes of `values` elements stored as blocks; values must be a positive-or-zero multiple of the
// block size.
size_t storedBytes(GgmlType type, int64_t values);

// bytes.size() must equal storedBytes(type, out.size()). Writes every element of out. Throws
// Unsupported for a type that canDequantize() refuses.
void dequantize(GgmlType type, std::span<const uint8_t> bytes, std::span<float> out);

// out.size() must equal storedBytes(type, in.size()). Writes every byte of out. Without importance,
// as ggml_quantize_chunk with imatrix NULL (rows do not matter: blocks are independent).
void quantize(
    GgmlType type, std::span<const float> in, std::span<uint8_t> out, Q4Rounding rounding = Q4Rounding::Separate);
// With an importance vector (ggml's imatrix: one weight >= 0 per column): in holds whole rows of
// importance.size() values (a multiple of the block size), quantized as ggml_quantize_chunk with that
// imatrix. An empty importance is the call above. Types that ignore it (q8_0, tq1_0, tq2_0, the
// float types) give the same bytes either way.
void quantize(GgmlType type, std::span<const float> in, std::span<uint8_t> out, std::span<const float> importance,
    Q4Rounding rounding = Q4Rounding::Separate);
std::vector<uint8_t> quantize(GgmlType type, std::span<const float> in, Q4Rounding rounding = Q4Rounding::Separate);

// The parameter form of stored blocks (see ParamLayout): d and m as fp16 bit patterns, one per block
// (m empty when minKind is None), scales and mins one per sub-block (empty when the type has none),
// codes one per value.
struct BlockParams {
    std::vector<uint16_t> d;
    std::vector<uint16_t> m;
    std::vector<int8_t> scales;
    std::vector<int8_t> mins;
    std::vector<int8_t> codes;
};
// How many of each a type's parameter form holds for `values` values (a multiple of the block size).
struct ParamCounts {
    size_t d = 0, m = 0, scales = 0, mins = 0, codes = 0;
};
ParamCounts paramCounts(GgmlType type, int64_t values);
// The range of a code, scale or min of the type's layout: [lo, hi].
struct CodeRange {
    int lo = 0, hi = 0;
};
CodeRange codeRange(int bits, bool isSigned);

// Bytes to parameters and back; both exact (pack(unpack(b)) == b for every byte string b). unpack
// resizes the vectors of out; pack checks sizes and that every number lies in its range. Both throw
// InvalidArgument for a type without a parameter form.
void unpack(GgmlType type, std::span<const uint8_t> bytes, BlockParams& out);
void pack(GgmlType type, const BlockParams& params, std::span<uint8_t> out);
// As dequantize(type, pack(params)), without packing: out.size() values.
void dequantize(GgmlType type, const BlockParams& params, std::span<float> out);

// The single-scale form of q8_0, q4_0 and q5_0 (each value is halfToFloat(d) * code): scales[b] the
// fp16 bits of block b's d (scales.size() == in.size() / 32), codes[i] the signed code of element i.
// Packing these with packBlocks gives exactly the bytes quantize() writes.
void quantizeParams(GgmlType type, std::span<const float> in, std::span<uint16_t> scales, std::span<int8_t> codes,
    Q4Rounding rounding = Q4Rounding::Separate);
// out[i] = halfToFloat(scales[i / 32]) * codes[i], as ggml's dequantize_row_q8_0/q4_0/q5_0 compute it.
void dequantizeParams(std::span<const uint16_t> scales, std::span<const int8_t> codes, std::span<float> out);
// Convert between the single-scale form and ggml's block bytes; codes must fit the type (q4_0 [-8, 7]).
void packBlocks(GgmlType type, std::span<const uint16_t> scales, std::span<const int8_t> codes, std::span<uint8_t> out);
void unpackBlocks(GgmlType type, std::span<const uint8_t> bytes, std::span<uint16_t> scales, std::span<int8_t> codes);

} // namespace vq::ggml
