#pragma once

#include <cstdint>
#include <vector>

namespace vq {

// A uniform sample of count distinct row indices out of [0, rows), sorted ascending; all rows when
// count >= rows. The same (rows, count, seed) gives the same sample on every platform and standard
// library (own generator and mapping, no std::*_distribution).
std::vector<int64_t> sampleRows(int64_t rows, int64_t count, uint64_t seed);

// SplitMix64: a small, fast, well-mixed 64-bit generator with a portable definition.
class SplitMix64 {
public:
    explicit SplitMix64(uint64_t seed)
        : m_state(seed)
    {
    }
    uint64_t next()
    {
        uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }

private:
    uint64_t m_state;
};

} // namespace vq
