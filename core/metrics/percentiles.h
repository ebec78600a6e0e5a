#pragma once

#include <span>

namespace vq {

// The tail of a per-token series, for a summary line and the JSON of a run: the median, the high
// percentiles and the worst value. Percentiles interpolate linearly between order statistics (numpy's
// default). NaN values sort above +inf, so a NaN anywhere shows up in max (and in a percentile only
// when there are enough of them to reach it).
struct TokenPercentiles {
    double p50 = 0;
    double p90 = 0;
    double p99 = 0;
    double p999 = 0;
    double max = 0;
};

// Percentiles of values (any order; copied, not modified). All zero for an empty series.
TokenPercentiles computeTokenPercentiles(std::span<const float> values);

// One percentile p in [0, 100] of an already sorted series (ascending, NaN last); 0 when empty.
double sortedPercentile(std::span<const float> sorted, double p);

} // namespace vq
