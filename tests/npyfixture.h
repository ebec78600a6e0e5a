#pragma once

// Reads the expected-value fixtures (NumPy format v1, '<f4', C order) for tests. Deliberately tiny and
// strict: it accepts exactly what numpy.save writes for these files and throws std::runtime_error for
// anything else, so a fixture that changes shape or type fails loudly instead of comparing garbage.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace vqtest {

struct NpyF32 {
    std::vector<int64_t> shape;
    std::vector<float> values; // row-major
};

inline NpyF32 readNpyF32(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error(path + ": cannot open");
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0 || bytes[6] != 1 || bytes[7] != 0)
        throw std::runtime_error(path + ": not a NumPy v1.0 file");
    const size_t headerLength
        = static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
    if (10 + headerLength > bytes.size())
        throw std::runtime_error(path + ": header runs past the end");
    const std::string header = bytes.substr(10, headerLength);
    if (header.find("'descr': '<f4'") == std::string::npos
        || header.find("'fortran_order': False") == std::string::npos)
        throw std::runtime_error(path + ": not a C-order little-endian float32 array: " + header);
    const size_t open = header.find("'shape': (");
    const size_t close = header.find(')', open);
    if (open == std::string::npos || close == std::string::npos)
        throw std::runtime_error(path + ": no shape in header");

    NpyF32 result;
    int64_t count = 1;
    std::string dims = header.substr(open + 10, close - open - 10);
    size_t pos = 0;
    while (pos < dims.size()) {
        const size_t comma = dims.find(',', pos);
        const std::string item = dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (item.find_first_of("0123456789") != std::string::npos) {
            result.shape.push_back(std::stoll(item));
            count *= result.shape.back();
        }
        if (comma == std::string::npos)
            break;
        pos = comma + 1;
    }
    const size_t dataStart = 10 + headerLength;
    if (bytes.size() - dataStart != static_cast<size_t>(count) * sizeof(float))
        throw std::runtime_error(path + ": data size does not match the shape");
    result.values.resize(static_cast<size_t>(count));
    std::memcpy(result.values.data(), bytes.data() + dataStart, bytes.size() - dataStart);
    return result;
}

// Writes a float32 C-order NumPy v1.0 file of shape (rows, cols), the header padded as numpy pads it.
inline void writeNpyF32(const std::string& path, int64_t rows, int64_t cols, const std::vector<float>& values)
{
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", "
        + std::to_string(cols) + "), }";
    while ((10 + header.size() + 1) % 64 != 0)
        header += ' ';
    header += '\n';
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    const auto len = static_cast<uint16_t>(header.size());
    out.put(static_cast<char>(len & 0xff)).put(static_cast<char>(len >> 8));
    out << header;
    out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * 4));
    if (!out)
        throw std::runtime_error(path + ": cannot write");
}

} // namespace vqtest
