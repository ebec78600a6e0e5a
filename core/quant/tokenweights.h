#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vq {

// Per-token weights f_t >= 0 for the weighted VQ objectives sum_t f_t ||e_t - ê_t||^2 (docs/METHODS.md),
// one per table row, always normalised to mean 1 so that losses stay comparable with the unweighted
// (uniform) case. The result feeds FitInput::weights.

// Reads counts aligned with the vocabulary: a text file with one number per line (line i is row i-1;
// spaces around the number and '\r\n' endings are accepted, blank lines are not, except that the last
// line may end with a newline), or a NumPy .npy vector (recognised by its magic bytes) of any integer
// or float dtype, shape (V,), (V, 1) or (1, V).
// Throws vq::Error naming the file and, for bad values, the line: NotFound/Unreadable/Empty for the file,
// Malformed for a value that is not a number, negative, NaN or infinite, InvalidArgument when the number
// of values differs from rows or every count is zero.
std::vector<float> loadTokenWeights(const std::string& path, int64_t rows);

// Counts already in memory, checked and normalised as above; `source` names them in errors, and errors
// name the index (0-based) of a bad value. Used for .npy counts.
std::vector<float> tokenWeightsFromCounts(const std::vector<double>& counts, int64_t rows, const std::string& source);

// A Zipf prior on the row index for tables whose rows are sorted by frequency: f_t = 1 / (t + 1)^s,
// normalised to mean 1. s = 0 gives uniform weights; s must be finite and in [0, 10].
std::vector<float> zipfTokenWeights(int64_t rows, double s);

} // namespace vq
