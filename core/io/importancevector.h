#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vq {

// Per-column importance weights for one table (what llama.cpp's imatrix holds for a tensor: the mean
// squared activation each column meets), read from a .npy file: a float16/32/64 array of shape (n,),
// (1, n) or (n, 1), in either byte order. Every value must be finite and >= 0, and n must equal
// `columns` when columns >= 0. Throws vq::Error naming the file and the problem: NotFound/Unreadable/
// Malformed/Truncated as the .npy reader reports them, Unsupported for a non-float array,
// InvalidArgument for a wrong shape or length, a non-finite or a negative value (with its index).
std::vector<float> readImportanceVector(const std::string& path, int64_t columns = -1);

} // namespace vq
