#pragma once

// Test-only reader for the GloVe .npy table used by the metrics tests: NumPy format v1, '<f4',
// C order, 2-D. Throws std::runtime_error on anything else. The real NumPy reader lives in core/io.
#include "common/matrix.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

namespace vqtest {

// Reads the first maxRows rows (all rows when maxRows <= 0) of a v1 '<f4' C-order .npy file.
inline vq::Matrix readNpyF32(const std::string& path, int64_t maxRows = 0)
{
    static_assert(std::endian::native == std::endian::little, "the test reader assumes a little-endian host");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error(path + ": cannot open");
    char preamble[10];
    if (!in.read(preamble, 10) || std::memcmp(preamble, "\x93NUMPY", 6) != 0 || preamble[6] != 1)
        throw std::runtime_error(path + ": not a NumPy v1 file");
    const size_t headerLen
        = static_cast<unsigned char>(preamble[8]) | (static_cast<size_t>(static_cast<unsigned char>(preamble[9])) << 8);
    std::string header(headerLen, '\0');
    if (!in.read(header.data(), static_cast<std::streamsize>(headerLen)))
        throw std::runtime_error(path + ": truncated header");
    if (header.find("'descr': '<f4'") == std::string::npos
        || header.find("'fortran_order': False") == std::string::npos)
        throw std::runtime_error(path + ": not '<f4' C order: " + header);
    // "'shape': (R, C)": two integers after the key (std::regex trips a GCC 12 warning under ASan).
    const size_t key = header.find("'shape': (");
    if (key == std::string::npos)
        throw std::runtime_error(path + ": no shape: " + header);
    size_t pos = key + 10;
    const auto number = [&]() {
        size_t used = 0;
        const long long v = std::stoll(header.substr(pos), &used);
        pos += used;
        while (pos < header.size() && (header[pos] == ',' || header[pos] == ' '))
            ++pos;
        return static_cast<int64_t>(v);
    };
    int64_t rows = number();
    const int64_t cols = number();
    if (pos >= header.size() || header[pos] != ')')
        throw std::runtime_error(path + ": not a 2-D shape: " + header);
    if (maxRows > 0 && maxRows < rows)
        rows = maxRows;
    vq::Matrix m(rows, cols);
    if (!in.read(reinterpret_cast<char*>(m.values.data()), static_cast<std::streamsize>(m.values.size() * 4)))
        throw std::runtime_error(path + ": truncated data");
    return m;
}

} // namespace vqtest
