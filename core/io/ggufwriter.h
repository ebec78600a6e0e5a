#pragma once

#include "common/runcontrol.h"
#include "io/ggmlwritable.h"

#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vq {

class AtomicFile;

// The value types of GGUF's key/value section (gguf_type).
enum class GgufType : uint32_t { U8, I8, U16, I16, U32, I32, F32, Bool, String, Array, U64, I64, F64 };

// One GGUF value, already encoded: its type and the bytes that follow the type field in the file
// (for an array: the item type, the item count and the items, nested arrays included).
class GgufValue {
public:
    static GgufValue u8(uint8_t v) { return scalar(GgufType::U8, v); }
    static GgufValue i8(int8_t v) { return scalar(GgufType::I8, v); }
    static GgufValue u16(uint16_t v) { return scalar(GgufType::U16, v); }
    static GgufValue i16(int16_t v) { return scalar(GgufType::I16, v); }
    static GgufValue u32(uint32_t v) { return scalar(GgufType::U32, v); }
    static GgufValue i32(int32_t v) { return scalar(GgufType::I32, v); }
    static GgufValue f32(float v) { return scalar(GgufType::F32, v); }
    static GgufValue boolean(bool v) { return scalar(GgufType::Bool, static_cast<uint8_t>(v ? 1 : 0)); }
    static GgufValue u64(uint64_t v) { return scalar(GgufType::U64, v); }
    static GgufValue i64(int64_t v) { return scalar(GgufType::I64, v); }
    static GgufValue f64(double v) { return scalar(GgufType::F64, v); }
    static GgufValue string(std::string_view s);
    static GgufValue stringArray(std::span<const std::string> items);
    // An array of one item type: every item must have that type (arrays of arrays are allowed).
    static GgufValue array(GgufType itemType, std::span<const GgufValue> items);
    // A value copied from another GGUF file: type id and the bytes after the type field (what
    // GgufReader::rawValue gives). Not re-validated: it comes from a file that parsed.
    static GgufValue raw(uint32_t type, std::span<const uint8_t> bytes);

    uint32_t typeId() const { return m_type; }
    const std::vector<uint8_t>& bytes() const { return m_bytes; }

private:
    template <class T> static GgufValue scalar(GgufType type, T v)
    {
        GgufValue value;
        value.m_type = static_cast<uint32_t>(type);
        value.m_bytes.resize(sizeof(T));
        std::memcpy(value.m_bytes.data(), &v, sizeof(T));
        return value;
    }

    uint32_t m_type = 0;
    std::vector<uint8_t> m_bytes;
};

// Writes a GGUF v3 file (little-endian) that ggml, llama.cpp and GgufReader read.
//
// Declare the key/values and tensors first (the header holds every offset), then write(). The layout
// is ggml's: header, key/values and tensor infos in the order added, zero padding to the alignment,
// then each tensor's data in the same order, each padded with zeros to a multiple of the alignment.
// The alignment is the value of the general.alignment key when one is added (a u32, a power of two),
// else 32.
//
// Tensor data is streamed: float tensors are produced and encoded a chunk of rows at a time (on
// control.threads OpenMP threads), raw tensors copied from their spans, so writing never holds the
// output in memory; spans given to addRawTensor() must stay valid until write() returns. The file goes
// through AtomicFile: on any failure or cancel an existing target is left untouched.
// Errors: InvalidArgument naming the path for a bad declaration (duplicate or empty key or tensor
// name, a name of 64 bytes or more, which ggml refuses, a shape of other than 1 to 4 dimensions, rows
// that are not whole blocks of the type, a general.alignment that is not a u32 power of two, raw bytes
// that do not match the shape); WriteFailed for I/O. Not thread-safe.
class GgufWriter {
public:
    // Fills out with elements [first, first + out.size()) of a tensor, row-major. Called in order, from
    // the thread running write().
    using Producer = std::function<void(uint64_t first, std::span<float> out)>;

    explicit GgufWriter(std::string path);

    const std::string& path() const { return m_path; }

    // Appends a key/value. A repeated key throws; set() replaces a value in place instead.
    void add(std::string key, GgufValue value);
    void set(std::string key, GgufValue value);
    bool hasKey(std::string_view key) const;

    // A float tensor encoded as type while written. shape is slowest first ({rows, cols}), as
    // TensorInfo lists it; the file stores it fastest first. The last dimension must be whole blocks.
    void addTensor(std::string name, std::vector<int64_t> shape, const ggml::WritableType& type, Producer producer);
    // Stored bytes copied unchanged (e.g. GgufReader::tensorBytes of another file), of ggml type id
    // ggmlType. For a writable type, bytes.size() must match the shape.
    void addRawTensor(std::string name, std::vector<int64_t> shape, uint32_t ggmlType, std::span<const uint8_t> bytes);

    uint64_t alignment() const { return m_alignment; }

    // Writes the file. Reports `stage` (none when empty) as the fraction of data bytes written and honours
    // cancel (throws vq::Cancelled, target untouched). Call once.
    void write(RunControl& control = nullRunControl(), std::string_view stage = "write");

private:
    struct Tensor {
        std::string name;
        std::vector<int64_t> shape;
        uint32_t ggmlType = 0;
        uint64_t elements = 0;
        uint64_t byteSize = 0;
        const ggml::WritableType* type = nullptr; // set for produced tensors
        Producer producer;
        std::span<const uint8_t> raw;
    };

    uint64_t checkTensor(const std::string& name, const std::vector<int64_t>& shape) const;
    void checkAlignmentValue(const std::string& key, const GgufValue& value);
    std::string header() const;
    void writeProduced(
        AtomicFile& file, const Tensor& t, RunControl& control, const std::function<void(uint64_t)>& progress) const;

    std::string m_path;
    std::vector<std::pair<std::string, GgufValue>> m_values;
    std::vector<Tensor> m_tensors;
    uint64_t m_alignment = 32;
    bool m_written = false;
};

} // namespace vq
