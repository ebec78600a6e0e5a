#pragma once

#include "io/mappedfile.h"
#include "io/tensorreader.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace vq {

// A Hugging Face .safetensors file: 8-byte little-endian header length N, N bytes of JSON
// ({name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}), then the data,
// offsets relative to the first byte after the header.
//
// The constructor maps the file and validates the whole header: every entry's fields and types, offsets
// inside the data area, byte size == element count * dtype size for known dtypes. Unknown dtypes are
// listed as DType::Other (dtypeName keeps the file's spelling) and refused by readMatrix. Tensors are
// listed in header order. Not thread-safe (see TensorReader).
class SafetensorsReader : public TensorReader {
public:
    explicit SafetensorsReader(std::string path);

    const std::string& path() const override { return m_path; }
    std::string formatName() const override { return "safetensors"; }
    const std::vector<TensorInfo>& tensors() const override { return m_tensors; }
    const std::vector<MetadataEntry>& metadata() const override { return m_metadata; }

    // F32/F16/BF16/F64 2-D tensors as float32, converted in parallel chunks of rows (OpenMP, control.threads).
    // Converted file pages are handed back to the kernel as it goes, so the peak resident memory is about
    // the float32 result, not file + result.
    Matrix readMatrix(const std::string& name, RunControl& control) const override;

    // The stored bytes of a tensor, exactly as in the file (for byte-for-byte copies into another
    // checkpoint). Valid while this reader lives. Throws NotFound for an unknown name.
    std::span<const uint8_t> rawBytes(const std::string& name) const;

    // Element size in bytes of a safetensors dtype name ("BF16" -> 2), 0 when unknown.
    static uint64_t dtypeSize(const std::string& dtypeName);
    // The vq::DType for a safetensors dtype name; DType::Other when there is none.
    static DType dtypeFromName(const std::string& dtypeName);

private:
    struct Location {
        size_t index; // into m_tensors
        uint64_t offset; // absolute file offset of the first byte
    };
    const Location& locate(const std::string& name) const;
    void refuseOverlaps() const; // throws Malformed naming two tensors whose data_offsets overlap

    std::string m_path;
    std::unique_ptr<MappedFile> m_file;
    std::vector<TensorInfo> m_tensors;
    std::vector<MetadataEntry> m_metadata;
    std::unordered_map<std::string, Location> m_locations;
};

} // namespace vq
