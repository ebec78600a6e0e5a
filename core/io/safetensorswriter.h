#pragma once

#include "common/runcontrol.h"
#include "io/tensorinfo.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vq {

// Writes a .safetensors file that the reference implementation (and SafetensorsReader) reads back.
//
// Declare the tensors and metadata first (the header holds every offset), then write(). Data is
// streamed: float tensors are converted chunk by chunk on the way to disk, so writing never holds a
// second full copy; spans passed to add*() are not copied and must stay valid until write() returns.
// The file is laid out as the reference implementation does it: "__metadata__" first in the header,
// the header padded with spaces to a multiple of 8 bytes, tensors ordered by element size (largest
// first) then name, so each tensor's data is aligned to its element size. The file goes through
// AtomicFile: on any failure or cancel the target is left untouched.
// Errors: InvalidArgument for a bad declaration (duplicate or reserved name, shape/size mismatch,
// dtype other than F32/F16/BF16 for float data), WriteFailed for I/O, all naming the target path.
class SafetensorsWriter {
public:
    // Fills out with elements [first, first + out.size()) of a tensor, row-major. Called in order, from
    // the thread running write().
    using Producer = std::function<void(uint64_t first, std::span<float> out)>;

    explicit SafetensorsWriter(std::string path);

    const std::string& path() const { return m_path; }

    // A __metadata__ entry (string to string, as the format allows). A repeated key replaces the value.
    void addMetadata(std::string key, std::string value);

    // A float tensor stored as dtype (F32, F16 or BF16; narrowing rounds to nearest, ties to even).
    void addTensor(std::string name, DType dtype, std::vector<int64_t> shape, std::span<const float> values);
    // The same, with values produced on demand (e.g. decoded rows) instead of held in memory.
    void addTensor(std::string name, DType dtype, std::vector<int64_t> shape, Producer producer);
    // An already-encoded tensor copied byte for byte, e.g. SafetensorsReader::rawBytes() of another
    // checkpoint. dtypeName is the safetensors spelling; for known dtypes bytes.size() must match shape.
    void addRawTensor(
        std::string name, std::string dtypeName, std::vector<int64_t> shape, std::span<const uint8_t> bytes);

    // Writes the file. Reports `stage` (none when empty) as the fraction of data bytes written and honours
    // cancel (throws vq::Cancelled, target untouched). Call once.
    void write(RunControl& control = nullRunControl(), std::string_view stage = "write");

private:
    struct Entry {
        std::string name;
        std::string dtypeName;
        DType dtype = DType::Other; // F32/F16/BF16 when converted from floats; Other when raw
        std::vector<int64_t> shape;
        uint64_t elementSize = 0; // 0: unknown (raw tensors of exotic dtypes)
        uint64_t byteSize = 0;
        Producer producer; // float tensors
        std::span<const uint8_t> raw; // raw tensors
    };
    uint64_t checkDeclaration(const std::string& name, const std::vector<int64_t>& shape) const;

    std::string m_path;
    std::vector<std::pair<std::string, std::string>> m_metadata;
    std::vector<Entry> m_entries;
    bool m_written = false;
};

} // namespace vq
