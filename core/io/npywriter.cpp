#include "io/npywriter.h"

namespace vq {

std::string npyHeader(const char* descr, int64_t rows, int64_t dim)
{
    std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': ("
        + std::to_string(rows) + ", " + std::to_string(dim) + "), }";
    const size_t unpadded = 10 + dict.size() + 1;
    dict.append((64 - unpadded % 64) % 64, ' ');
    dict += '\n';
    std::string out = "\x93NUMPY";
    out += '\x01';
    out += '\x00';
    const auto len = static_cast<uint16_t>(dict.size());
    out += static_cast<char>(len & 0xff);
    out += static_cast<char>(len >> 8);
    return out + dict;
}

} // namespace vq
