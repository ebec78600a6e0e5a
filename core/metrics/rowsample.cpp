#include "metrics/rowsample.h"

#include <algorithm>

namespace vq {

std::vector<int64_t> sampleRows(int64_t rows, int64_t count, uint64_t seed)
{
    std::vector<int64_t> out;
    if (rows <= 0 || count <= 0)
        return out;
    if (count >= rows) {
        out.resize(static_cast<size_t>(rows));
        for (int64_t i = 0; i < rows; ++i)
            out[static_cast<size_t>(i)] = i;
        return out;
    }
    // Floyd's algorithm: count draws, no rejection loop, a membership bitmap of rows bytes.
    SplitMix64 rng(seed);
    std::vector<char> taken(static_cast<size_t>(rows), 0);
    out.reserve(static_cast<size_t>(count));
    for (int64_t j = rows - count; j < rows; ++j) {
        // The modulo bias is below 2^-40 for any table that fits in memory.
        const int64_t t = static_cast<int64_t>(rng.next() % static_cast<uint64_t>(j + 1));
        const int64_t pick = taken[static_cast<size_t>(t)] ? j : t;
        taken[static_cast<size_t>(pick)] = 1;
        out.push_back(pick);
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace vq
