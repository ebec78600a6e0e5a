#pragma once

#include "common/matrix.h"
#include "quant/bitbudget.h"
#include "quant/quantspec.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vq {

// How an array is stored in the artifact. Values held in memory are already exactly representable in
// that storage (fp16 arrays hold fp16-rounded floats, codes fit in bitWidth bits), so decoding from
// memory and from a saved artifact give identical results.
enum class StorageType {
    F32,
    F16,
    BF16,
    UInt, // unsigned integers packed at bitWidth bits (codes, permutation indices)
    Int, // signed two's-complement integers packed at bitWidth bits (int4/int8 weights)
};

const char* nameOf(StorageType type);

struct StoredArray {
    std::string name; // unique within a table: "codes", "codebooks", "scales", "adaptor/sigma0" ...
    std::string role; // as BitItem::role
    std::string label; // for the bit breakdown
    StorageType type = StorageType::F32;
    int bitWidth = 32; // bits per element as stored: 32/16/16 for floats, 1..32 for ints
    std::vector<int64_t> shape;
    std::vector<float> floats; // F32/F16/BF16
    std::vector<int32_t> ints; // UInt/Int

    int64_t elementCount() const; // product of shape (1 for an empty shape)
    // Throws vq::Error(Malformed) naming the array when its values do not match its shape, type and
    // bitWidth (float arrays not exactly representable in their storage type, ints that do not fit).
    // Used on arrays loaded back from an artifact and by tests.
    void check() const;
    uint64_t storedBits() const { return static_cast<uint64_t>(elementCount()) * static_cast<uint64_t>(bitWidth); }
};

// The output of Quantizer::fit: the spec (resolved), the source shape and every array that is stored.
// The bit budget is computed from the arrays themselves, so what is counted is what is written.
class QuantizedTable {
public:
    QuantSpec spec; // resolved: every parameter present
    int64_t rows = 0;
    int64_t dim = 0;
    std::vector<StoredArray> arrays;
    nlohmann::json info = nlohmann::json::object(); // method diagnostics (iterations, losses, warnings)

    const StoredArray& array(const std::string& name) const; // throws InvalidArgument if absent
    const StoredArray* findArray(const std::string& name) const;
    StoredArray& addArray(StoredArray a);

    BitBudget bits() const;

    // Decodes the given rows (any order, repeats allowed) into out (rowIds.size() x dim, row-major),
    // through the registered method's decoder. Thread-safe (const).
    void decodeRows(std::span<const int64_t> rowIds, float* out) const;
    Matrix decodeAll() const;
};

} // namespace vq
