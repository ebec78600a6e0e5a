#include "metrics/sortorder.h"

#include <array>
#include <bit>
#include <cmath>
#include <utility>

namespace vq {

namespace {

constexpr int kDigitBits = 11;
constexpr int kPasses = (64 + kDigitBits - 1) / kDigitBits;
constexpr uint64_t kDigitMask = (uint64_t(1) << kDigitBits) - 1;

// Unsigned bits in the order of the doubles: -0 as +0 (they compare equal), negatives reversed below the
// positives.
uint64_t orderedBits(double key)
{
    const uint64_t u = std::bit_cast<uint64_t>(key == 0 ? 0.0 : key);
    return (u >> 63) != 0 ? ~u : u | (uint64_t(1) << 63);
}

} // namespace

std::vector<int32_t> ascendingOrder(std::span<const double> keys)
{
    // A stable least-significant-digit radix sort of the keys' bits: a few linear passes instead of
    // n log n comparisons through an index (about 10x faster on 128256 keys), and stable, so equal keys
    // stay in position order. NaNs go to the back in position order.
    std::vector<uint64_t> bits;
    std::vector<int32_t> order;
    bits.reserve(keys.size());
    order.reserve(keys.size());
    std::vector<int32_t> nans;
    for (size_t i = 0; i < keys.size(); ++i) {
        if (std::isnan(keys[i])) {
            nans.push_back(int32_t(i));
        } else {
            bits.push_back(orderedBits(keys[i]));
            order.push_back(int32_t(i));
        }
    }
    const size_t n = bits.size();
    std::vector<std::array<uint32_t, size_t(1) << kDigitBits>> counts(kPasses);
    for (auto& c : counts)
        c.fill(0);
    for (const uint64_t b : bits)
        for (int p = 0; p < kPasses; ++p)
            ++counts[size_t(p)][(b >> (p * kDigitBits)) & kDigitMask];
    std::vector<uint64_t> bitsOut(n);
    std::vector<int32_t> orderOut(n);
    for (int p = 0; p < kPasses && n > 0; ++p) {
        auto& count = counts[size_t(p)];
        const int shift = p * kDigitBits;
        // Every key has the same digit here: the pass would not move anything.
        if (count[(bits[0] >> shift) & kDigitMask] == n)
            continue;
        uint32_t start = 0;
        for (uint32_t& c : count)
            start += std::exchange(c, start);
        for (size_t i = 0; i < n; ++i) {
            const uint32_t to = count[(bits[i] >> shift) & kDigitMask]++;
            bitsOut[to] = bits[i];
            orderOut[to] = order[i];
        }
        bits.swap(bitsOut);
        order.swap(orderOut);
    }
    order.insert(order.end(), nans.begin(), nans.end());
    return order;
}

} // namespace vq
