#pragma once

#include "io/ggmlblocks.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace vq::ggml {

// The ggml tensor types this build can encode into a GGUF file, and how: the one place that maps a
// type's name to its ggml type id, block geometry and encoder. Every GGUF writer path (standalone
// table, patched checkpoint, convert) goes through it, so a type added here is writable everywhere.
//
// The list is every type the codec (io/ggmlblocks.h) can quantize, so encoders are bit-exact with ggml:
// F16 and BF16 round to nearest even (BF16 keeps NaN a quiet NaN), the block types are ggml's
// quantizers as ggml_quantize_chunk runs them without an importance matrix.
struct WritableType {
    std::string_view name; // ggml's spelling: "f32", "f16", "bf16", "q8_0", "q4_K"
    uint32_t id = 0; // enum ggml_type
    int64_t blockValues = 1; // values per block; 1 for plain floats
    size_t blockBytes = 0; // bytes per block

    // Encodes values (a multiple of blockValues) into out, which holds exactly storedBytes(values.size())
    // bytes. Pure and thread-safe.
    void encode(std::span<const float> values, std::span<uint8_t> out) const
    {
        quantize(static_cast<GgmlType>(id), values, out);
    }

    // Bytes of `values` elements; values must be a multiple of blockValues.
    uint64_t storedBytes(uint64_t values) const { return values / static_cast<uint64_t>(blockValues) * blockBytes; }
    double bitsPerValue() const { return 8.0 * static_cast<double>(blockBytes) / static_cast<double>(blockValues); }
};

// Every writable type, in the order the user sees them (plain floats first).
std::span<const WritableType> writableTypes();
// The type named name (case-insensitive: "Q8_0" and "q8_0" alike); nullptr when it cannot be written.
const WritableType* findWritableType(std::string_view name);
// The same, or throws vq::Error(Unsupported, path) naming the type and listing the writable ones.
const WritableType& requireWritableType(std::string_view name, const std::string& path);
// The writable type with ggml id `id`; nullptr when there is none.
const WritableType* writableTypeById(uint32_t id);
// "f32, f16, bf16, q4_0, q4_1, ..."
std::string writableTypeList();

} // namespace vq::ggml
