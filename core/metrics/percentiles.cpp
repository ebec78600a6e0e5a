#include "metrics/percentiles.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace vq {

namespace {

// A strict weak order that puts NaN after everything (plain < is not one once NaN is present).
bool lessNanLast(float a, float b)
{
    if (std::isnan(a))
        return false;
    if (std::isnan(b))
        return true;
    return a < b;
}

} // namespace

double sortedPercentile(std::span<const float> sorted, double p)
{
    if (sorted.empty())
        return 0;
    const double pos = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(sorted.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, sorted.size() - 1);
    const double frac = pos - static_cast<double>(lo);
    const double a = sorted[lo];
    const double b = sorted[hi];
    if (frac == 0 || a == b)
        return a; // also keeps inf and NaN from turning into inf*0 = NaN
    return a + frac * (b - a);
}

TokenPercentiles computeTokenPercentiles(std::span<const float> values)
{
    TokenPercentiles out;
    if (values.empty())
        return out;
    std::vector<float> sorted(values.begin(), values.end());
    std::sort(sorted.begin(), sorted.end(), lessNanLast);
    out.p50 = sortedPercentile(sorted, 50);
    out.p90 = sortedPercentile(sorted, 90);
    out.p99 = sortedPercentile(sorted, 99);
    out.p999 = sortedPercentile(sorted, 99.9);
    out.max = sorted.back();
    return out;
}

} // namespace vq
