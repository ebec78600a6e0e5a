#pragma once

// Test-only reader for the shared GloVe table (NumPy v1, '<f4', C order, 2-D): just enough to feed the
// quantizer tests real data. The project's NumPy reader lives in core/io.
#include "common/matrix.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

namespace vqtest {

// The first maxRows rows (all when maxRows <= 0) of a float32 .npy matrix.
inline vq::Matrix loadNpyF32(const std::string& path, int64_t maxRows = 0)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error(path + ": cannot open");
    char magic[8];
    in.read(magic, 8);
    if (!in || std::memcmp(magic, "\x93NUMPY\x01\x00", 8) != 0)
        throw std::runtime_error(path + ": not a NumPy v1 file");
    unsigned char len[2];
    in.read(reinterpret_cast<char*>(len), 2);
    std::string header(static_cast<size_t>(len[0] | (len[1] << 8)), '\0');
    in.read(header.data(), static_cast<std::streamsize>(header.size()));
    if (!in || header.find("'descr': '<f4'") == std::string::npos
        || header.find("'fortran_order': False") == std::string::npos)
        throw std::runtime_error(path + ": not a C-order float32 array");
    const size_t open = header.find("'shape': (");
    if (open == std::string::npos)
        throw std::runtime_error(path + ": no shape");
    size_t pos = open + 10;
    const int64_t rows = std::stoll(header.substr(pos), &pos);
    const size_t comma = header.find(',', open + 10);
    const int64_t cols = std::stoll(header.substr(comma + 1));
    const int64_t take = maxRows > 0 && maxRows < rows ? maxRows : rows;
    vq::Matrix m(take, cols);
    in.read(reinterpret_cast<char*>(m.values.data()), static_cast<std::streamsize>(m.values.size() * sizeof(float)));
    if (!in)
        throw std::runtime_error(path + ": truncated");
    return m;
}

} // namespace vqtest
