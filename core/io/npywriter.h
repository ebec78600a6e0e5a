#pragma once

#include <cstdint>
#include <string>

namespace vq {

// The NumPy format 1.0 header of a C-order rows x dim array of descr ("<f4", "<f2"), padded with spaces
// and a newline so the data starts at a multiple of 64 bytes (what numpy.save writes).
std::string npyHeader(const char* descr, int64_t rows, int64_t dim);

} // namespace vq
