#pragma once

// Reads the first rows of a NumPy v1 '<f4' C-order 2-D array (the GloVe table and the float32 fixtures)
// for quantizer tests, without depending on the library's readers. Throws std::runtime_error.
#include "common/matrix.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace vqtest {

inline vq::Matrix readNpyF32(const std::string& path, int64_t maxRows = -1, int64_t maxCols = -1)
{
    std::ifstream in(path, std::ios::binary);
    char magic[10] = {};
    if (!in.read(magic, 10) || std::memcmp(magic, "\x93NUMPY\x01\x00", 8) != 0)
        throw std::runtime_error(path + ": not a NumPy v1 file");
    const auto headerLen = static_cast<size_t>(static_cast<uint8_t>(magic[8]) | (static_cast<uint8_t>(magic[9]) << 8));
    std::string header(headerLen, '\0');
    in.read(header.data(), static_cast<std::streamsize>(headerLen));
    if (header.find("'descr': '<f4'") == std::string::npos
        || header.find("'fortran_order': False") == std::string::npos)
        throw std::runtime_error(path + ": expected a C-order '<f4' array, header " + header);
    const size_t open = header.find("'shape': (");
    if (open == std::string::npos)
        throw std::runtime_error(path + ": no shape in header");
    size_t used = 0;
    const int64_t rows = std::stoll(header.substr(open + 10), &used);
    const int64_t cols = std::stoll(header.substr(header.find(',', open + 10 + used) + 1));
    const int64_t outRows = maxRows < 0 ? rows : std::min(rows, maxRows);
    const int64_t outCols = maxCols < 0 ? cols : std::min(cols, maxCols);
    vq::Matrix m(outRows, outCols);
    std::vector<float> row(static_cast<size_t>(cols));
    for (int64_t r = 0; r < outRows; ++r) {
        if (!in.read(reinterpret_cast<char*>(row.data()), static_cast<std::streamsize>(cols * 4)))
            throw std::runtime_error(path + ": truncated");
        std::memcpy(m.row(r), row.data(), static_cast<size_t>(outCols) * 4);
    }
    return m;
}

} // namespace vqtest
