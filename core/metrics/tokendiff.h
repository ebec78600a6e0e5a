#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace vq {

// Per-token comparison of two runs' errors a (run A) and b (run B) over the same rows.

// b / a, with 0 / 0 = 1 (both exact) and b / 0 = +inf for b > 0; NaN when either is NaN.
double tokenErrorRatio(float a, float b);

// How far apart a and b are on a log scale: |log(b / a)| (0 when equal, +inf when exactly one is 0),
// so a token ten times worse and one ten times better rank the same. NaN when either is NaN.
double tokenErrorSpread(float a, float b);

// The rows of the count tokens whose errors differ most by tokenErrorSpread (NaN never picked), largest
// first; ties by the smaller row. a and b must have the same size (throws Error(InvalidArgument)).
std::vector<int64_t> mostDifferentTokens(std::span<const float> a, std::span<const float> b, int64_t count);

// The rows a comparison scatter draws: a seeded uniform sample of sampleCount rows (sampleRows) joined
// with mostDifferentTokens(a, b, extremeCount); ascending, no duplicates.
std::vector<int64_t> compareScatterRows(
    std::span<const float> a, std::span<const float> b, int64_t sampleCount, int64_t extremeCount, uint64_t seed);

} // namespace vq
