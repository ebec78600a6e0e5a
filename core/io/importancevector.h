#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vq {

// Per-column importance weights for one table (what llama.cpp's imatrix holds for a tensor: the mean
// squared activation each column meets), read from a .npy file of float16/32/64 values in either byte
// order, holding either
// - the weights themselves, shape (n,), (1, n) or (n, 1): every value finite and >= 0; or
// - hidden states, shape (samples, n) with samples and n > 1: the activations that meet the table when
//   its head is tied to the output layer (the final hidden states given for logit fidelity). The weight
//   of column j is then the mean over samples of h[s][j]^2, what llama-imatrix would collect for the
//   output matmul. Every value must be finite.
// n must equal `columns` when columns >= 0. Throws vq::Error naming the file and the problem:
// NotFound/Unreadable/Malformed/Truncated as the .npy reader reports them, Unsupported for a non-float
// or Fortran-ordered array, InvalidArgument for a wrong shape or length, a non-finite or a negative
// value (with its index).
std::vector<float> readImportanceVector(const std::string& path, int64_t columns = -1);

} // namespace vq
