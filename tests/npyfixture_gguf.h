#pragma once

// Test-only reader for the .npy fixtures of the GGUF/HDF5 tests: format v1, dtype '<f4', C order,
// 2-D. Anything else is reported as an error string so the test fails with a reason.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace vqtest {

struct NpyF32 {
    int64_t rows = 0;
    int64_t cols = 0;
    std::vector<float> values; // row-major
    std::string error; // empty on success

    float at(int64_t r, int64_t c) const { return values[static_cast<size_t>(r * cols + c)]; }
    // The first n columns of every row, row-major.
    std::vector<float> leftColumns(int64_t n) const
    {
        std::vector<float> out;
        out.reserve(static_cast<size_t>(rows * n));
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < n; ++c)
                out.push_back(at(r, c));
        return out;
    }
};

inline NpyF32 readNpyF32(const std::string& path)
{
    NpyF32 npy;
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0 || bytes[6] != 1) {
        npy.error = path + ": not a v1 .npy file";
        return npy;
    }
    const size_t headerLen
        = static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
    if (10 + headerLen > bytes.size()) {
        npy.error = path + ": header past the end";
        return npy;
    }
    const std::string header = bytes.substr(10, headerLen);
    if (header.find("'descr': '<f4'") == std::string::npos
        || header.find("'fortran_order': False") == std::string::npos) {
        npy.error = path + ": not '<f4' C order: " + header;
        return npy;
    }
    const size_t open = header.find("'shape': (");
    if (open == std::string::npos) {
        npy.error = path + ": no shape";
        return npy;
    }
    char* end = nullptr;
    const char* s = header.c_str() + open + 10;
    npy.rows = std::strtoll(s, &end, 10);
    if (*end != ',') {
        npy.error = path + ": not 2-D";
        return npy;
    }
    npy.cols = std::strtoll(end + 1, &end, 10);
    const size_t count = static_cast<size_t>(npy.rows * npy.cols);
    if (npy.rows <= 0 || npy.cols <= 0 || 10 + headerLen + count * 4 != bytes.size()) {
        npy.error = path + ": shape does not match the data size";
        return npy;
    }
    npy.values.resize(count);
    std::memcpy(npy.values.data(), bytes.data() + 10 + headerLen, count * 4);
    return npy;
}

} // namespace vqtest
