#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace vq {

// A read-only memory map of a whole file. Opening checks what users get wrong (missing path, a
// directory, no permission, zero bytes) and throws vq::Error naming the file. Bounds-checked access
// helpers throw Truncated/Malformed instead of reading past the end.
class MappedFile {
public:
    explicit MappedFile(std::string path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::string& path() const { return m_path; }
    uint64_t size() const { return m_size; }
    const uint8_t* data() const { return m_data; }

    // [offset, offset + length) or throws Truncated ("needs bytes up to X, file has Y").
    std::span<const uint8_t> bytes(uint64_t offset, uint64_t length, const char* what) const;

    // Tells the kernel the pages of [offset, offset+length) are no longer needed, so a table converted
    // chunk by chunk does not keep both the file and the float32 copy resident.
    void release(uint64_t offset, uint64_t length) const;

private:
    std::string m_path;
    const uint8_t* m_data = nullptr;
    uint64_t m_size = 0;
};

} // namespace vq
