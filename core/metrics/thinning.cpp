#include "metrics/thinning.h"

#include "common/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace vq {

std::vector<PlotPoint> thinForPlot(std::span<const float> values, int64_t maxPoints)
{
    const int64_t n = static_cast<int64_t>(values.size());
    maxPoints = std::max<int64_t>(maxPoints, 2);
    std::vector<PlotPoint> out;
    if (n <= maxPoints) {
        out.reserve(values.size());
        for (int64_t i = 0; i < n; ++i)
            if (!std::isnan(values[static_cast<size_t>(i)]))
                out.push_back({ i, values[static_cast<size_t>(i)] });
        return out;
    }
    const int64_t buckets = maxPoints / 2;
    out.reserve(static_cast<size_t>(2 * buckets));
    for (int64_t b = 0; b < buckets; ++b) {
        // Integer bucket bounds: every index falls in exactly one bucket, sizes differ by at most 1.
        const int64_t begin = b * n / buckets;
        const int64_t end = (b + 1) * n / buckets;
        int64_t lo = -1;
        int64_t hi = -1;
        for (int64_t i = begin; i < end; ++i) {
            const float v = values[static_cast<size_t>(i)];
            if (std::isnan(v))
                continue;
            if (lo < 0 || v < values[static_cast<size_t>(lo)])
                lo = i;
            if (hi < 0 || v > values[static_cast<size_t>(hi)])
                hi = i;
        }
        if (lo < 0)
            continue;
        const int64_t first = std::min(lo, hi);
        const int64_t second = std::max(lo, hi);
        out.push_back({ first, values[static_cast<size_t>(first)] });
        if (second != first)
            out.push_back({ second, values[static_cast<size_t>(second)] });
    }
    return out;
}

double PlotHistogram::edge(int i) const
{
    const double f = counts.empty() ? 0 : static_cast<double>(i) / static_cast<double>(counts.size());
    if (i >= static_cast<int>(counts.size()))
        return hi;
    if (logScale)
        return std::pow(10.0, std::log10(lo) + f * (std::log10(hi) - std::log10(lo)));
    return lo + f * (hi - lo);
}

PlotHistogram makeHistogram(std::span<const float> values, const HistogramOptions& options)
{
    const auto invalid
        = [](const std::string& what) { return Error(ErrorKind::InvalidArgument, "", "histogram: " + what); };
    if (options.bins < 1)
        throw invalid("needs at least one bin");
    if (options.lo && options.hi && !(*options.lo < *options.hi))
        throw invalid("lo must be below hi");
    if (options.logScale && options.lo && !(*options.lo > 0))
        throw invalid("a log scale needs lo > 0");

    PlotHistogram h;
    h.logScale = options.logScale;
    h.counts.assign(static_cast<size_t>(options.bins), 0);

    double minV = std::numeric_limits<double>::infinity();
    double maxV = -std::numeric_limits<double>::infinity();
    for (float v : values) {
        if (!std::isfinite(v) || (options.logScale && v <= 0))
            continue;
        minV = std::min(minV, static_cast<double>(v));
        maxV = std::max(maxV, static_cast<double>(v));
    }
    const bool found = minV <= maxV;
    // A bound the caller did not give comes from the data, unless that would cross the given one:
    // then it is one unit (one decade on a log scale) away from it.
    const auto below = [&](double x) { return options.logScale ? x / 10 : x - 1; };
    const auto above = [&](double x) { return options.logScale ? x * 10 : x + 1; };
    if (options.lo && options.hi) {
        h.lo = *options.lo;
        h.hi = *options.hi;
    } else if (options.lo) {
        h.lo = *options.lo;
        h.hi = found && maxV > h.lo ? maxV : above(h.lo);
    } else if (options.hi) {
        h.hi = *options.hi;
        h.lo = found && minV < h.hi ? minV : below(h.hi);
        if (options.logScale && !(h.lo > 0))
            h.lo = h.hi / 10;
    } else if (found) {
        h.lo = minV;
        h.hi = minV < maxV ? maxV : above(minV);
    } else {
        h.lo = options.logScale ? 1 : 0;
        h.hi = options.logScale ? 10 : 1;
    }

    const double a = options.logScale ? std::log10(h.lo) : h.lo;
    const double b = options.logScale ? std::log10(h.hi) : h.hi;
    const double perUnit = static_cast<double>(options.bins) / (b - a);
    for (float v : values) {
        if (!std::isfinite(v)) {
            ++h.nonFinite;
            continue;
        }
        if (v < h.lo || (options.logScale && v <= 0)) {
            ++h.below;
            continue;
        }
        if (v > h.hi) {
            ++h.above;
            continue;
        }
        const double x = options.logScale ? std::log10(static_cast<double>(v)) : static_cast<double>(v);
        const int bin = std::clamp(static_cast<int>((x - a) * perUnit), 0, options.bins - 1);
        ++h.counts[static_cast<size_t>(bin)];
    }
    return h;
}

} // namespace vq
