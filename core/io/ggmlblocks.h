#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace vq::ggml {

// llama.cpp's simplest block quantizations, bit-exact with ggml's reference code (ggml-quants.c:
// quantize_row_q8_0_ref / quantize_row_q4_0_ref and dequantize_row_q8_0 / dequantize_row_q4_0).
//
// Both cut a row into blocks of 32 consecutive values. Each block stores one scale d as IEEE fp16
// (rounded to nearest even, as GGML_FP32_TO_FP16) and 32 integer codes:
//
//   Q8_0  34 bytes: { uint16 d (little-endian fp16); int8 qs[32] }
//         d = absmax / 127, q = roundf(x / d) in [-127, 127], x' = d * q
//   Q4_0  18 bytes: { uint16 d; uint8 qs[16] }, the low nibble of qs[j] holds element j, the high
//         nibble element j + 16; d = m / -8 where m is the value of largest magnitude (first one on a
//         tie), nibble n = min(15, trunc(x / d + 8.5)) in [0, 15], x' = d * (n - 8)
//
// In the per-block parameter form (quantizeParams/dequantizeParams) codes are signed for both types
// (Q8_0: q; Q4_0: n - 8 in [-8, 7]) so that every value decodes as halfToFloat(d) * code.
//
// Scale rounding: d is rounded to fp16 for storage, but the codes are computed with the unrounded
// float32 scale, exactly as ggml does. Inputs should be finite: a NaN element gets code 0, an infinite
// one makes the block's d infinite (ggml's behaviour there is undefined; ours is defined, not useful).
//
// Q4_0 rounding: ggml computes x * (1/d) + 8.5f. As written in C that rounds twice (Separate, the
// default: ggml-base as built for x86-64 without FMA); compilers that contract it into an FMA (ARM64
// builds) round once, and llama.cpp's Python writer gguf-py emulates that (Fused). The two differ on
// rare elements whose scaled value lies within a float ulp of a code boundary, e.g. in the block
// {1.1f, 0x1.a6666cp-3f, 0, ...}: code -1 Separate, -2 Fused. Q8_0 has no such ambiguity.
//
// All functions are pure and thread-safe. Sizes are checked; a mismatch throws vq::Error
// (InvalidArgument, no file).

enum class BlockType { Q8_0, Q4_0 };
enum class Q4Rounding { Separate, Fused };

inline constexpr int64_t kBlockValues = 32; // QK8_0 == QK4_0
inline constexpr size_t kQ8_0BlockBytes = 34;
inline constexpr size_t kQ4_0BlockBytes = 18;

const char* nameOf(BlockType type); // "q8_0", "q4_0" (ggml's spelling)
size_t blockBytes(BlockType type);
// Bytes of `values` elements stored as blocks; values must be a positive-or-zero multiple of 32.
size_t storedBytes(BlockType type, int64_t values);

// bytes.size() must equal storedBytes(type, out.size()). Writes every element of out.
void dequantize(BlockType type, std::span<const uint8_t> bytes, std::span<float> out);
// out.size() must equal storedBytes(type, in.size()). Writes every byte of out.
void quantize(
    BlockType type, std::span<const float> in, std::span<uint8_t> out, Q4Rounding rounding = Q4Rounding::Separate);
std::vector<uint8_t> quantize(BlockType type, std::span<const float> in, Q4Rounding rounding = Q4Rounding::Separate);

// The same quantization as separate arrays: scales[b] are the fp16 bits of block b's d (one per 32
// values, scales.size() == in.size() / 32), codes[i] the signed code of element i (codes.size() ==
// in.size()). Packing these with packBlocks gives exactly the bytes quantize() writes.
void quantizeParams(BlockType type, std::span<const float> in, std::span<uint16_t> scales, std::span<int8_t> codes,
    Q4Rounding rounding = Q4Rounding::Separate);
// out[i] = halfToFloat(scales[i / 32]) * codes[i], as ggml's dequantize_row_* computes it.
void dequantizeParams(std::span<const uint16_t> scales, std::span<const int8_t> codes, std::span<float> out);

// Convert between the parameter form and ggml's block bytes. Q4_0 codes must lie in [-8, 7].
void packBlocks(
    BlockType type, std::span<const uint16_t> scales, std::span<const int8_t> codes, std::span<uint8_t> out);
void unpackBlocks(BlockType type, std::span<const uint8_t> bytes, std::span<uint16_t> scales, std::span<int8_t> codes);

} // namespace vq::ggml
