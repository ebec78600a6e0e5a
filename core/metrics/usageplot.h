#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace vq {

// Data reduction of code counts (CodeUsage::counts) for plots: the GUI draws at most about a pixel per
// column and never loops over 2^16 codes itself.

// Counts of consecutive codes summed into buckets: bucket b covers codes
// [b * codesPerBucket, (b + 1) * codesPerBucket). codesPerBucket is the smallest power of two that
// gives at most maxBuckets buckets (1 when the counts already fit); the last bucket may be partial.
struct CodeBuckets {
    int64_t codesPerBucket = 1;
    std::vector<int64_t> sums; // ceil(codes / codesPerBucket) entries
    std::vector<int64_t> dead; // codes with count 0 in each bucket
};

// maxBuckets < 1 is treated as 1.
CodeBuckets bucketCodes(std::span<const int64_t> counts, int64_t maxBuckets);

// One point of a codebook's usage sorted by count: the code of the given rank (0 = most used).
struct RankedCount {
    int64_t rank = 0;
    int32_t code = 0;
    int64_t count = 0;
};

// The counts sorted descending (ties by code), at most maxPoints of them: when there are more, the
// ranks are cut into maxPoints / 2 buckets and each contributes its first and last rank (the maximum
// and minimum of a sorted bucket), so the first point is always the largest count and the last the
// smallest. maxPoints < 2 is treated as 2.
std::vector<RankedCount> sortedCountsForPlot(std::span<const int64_t> counts, int64_t maxPoints);

} // namespace vq
