#include "metrics/usageplot.h"

#include <algorithm>
#include <numeric>

namespace vq {

CodeBuckets bucketCodes(std::span<const int64_t> counts, int64_t maxBuckets)
{
    maxBuckets = std::max<int64_t>(maxBuckets, 1);
    const auto codes = static_cast<int64_t>(counts.size());
    CodeBuckets out;
    while ((codes + out.codesPerBucket - 1) / out.codesPerBucket > maxBuckets)
        out.codesPerBucket *= 2;
    const int64_t buckets = (codes + out.codesPerBucket - 1) / out.codesPerBucket;
    out.sums.assign(static_cast<size_t>(buckets), 0);
    out.dead.assign(static_cast<size_t>(buckets), 0);
    for (int64_t c = 0; c < codes; ++c) {
        const auto b = static_cast<size_t>(c / out.codesPerBucket);
        const int64_t n = counts[static_cast<size_t>(c)];
        out.sums[b] += n;
        out.dead[b] += n == 0 ? 1 : 0;
    }
    return out;
}

std::vector<RankedCount> sortedCountsForPlot(std::span<const int64_t> counts, int64_t maxPoints)
{
    maxPoints = std::max<int64_t>(maxPoints, 2);
    std::vector<int32_t> order(counts.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
        [&](int32_t a, int32_t b) { return counts[static_cast<size_t>(a)] > counts[static_cast<size_t>(b)]; });
    const auto n = static_cast<int64_t>(order.size());
    const auto point = [&](int64_t rank) {
        const int32_t code = order[static_cast<size_t>(rank)];
        return RankedCount { rank, code, counts[static_cast<size_t>(code)] };
    };
    std::vector<RankedCount> out;
    if (n <= maxPoints) {
        out.reserve(static_cast<size_t>(n));
        for (int64_t r = 0; r < n; ++r)
            out.push_back(point(r));
        return out;
    }
    const int64_t buckets = maxPoints / 2;
    out.reserve(static_cast<size_t>(2 * buckets));
    for (int64_t b = 0; b < buckets; ++b) {
        const int64_t first = b * n / buckets;
        const int64_t last = (b + 1) * n / buckets - 1;
        out.push_back(point(first));
        if (last > first)
            out.push_back(point(last));
    }
    return out;
}

} // namespace vq
