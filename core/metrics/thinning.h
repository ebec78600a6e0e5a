#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace vq {

// Data reduction for plots: the GUI draws prepared data and never loops over 128k points itself.

struct PlotPoint {
    int64_t index = 0; // position in the original series (the x of a per-token plot)
    float value = 0;
};

// At most maxPoints points of a series, in index order: the series is cut into maxPoints / 2 buckets
// of consecutive indices and each bucket contributes its minimum and its maximum, so a single-token
// spike survives any reduction. The whole series (NaN left out) when it already fits. NaN values are
// never picked; a bucket of NaN only contributes nothing. maxPoints < 2 is treated as 2.
std::vector<PlotPoint> thinForPlot(std::span<const float> values, int64_t maxPoints);

struct HistogramOptions {
    int bins = 64; // >= 1
    // The range; missing bounds come from the finite values (the positive finite ones for logScale).
    std::optional<double> lo;
    std::optional<double> hi;
    // Bins of equal width in log10 (for errors spanning decades); needs lo > 0.
    bool logScale = false;
};

// Counts per bin over [lo, hi]; bin i covers [edge(i), edge(i+1)), the last one includes hi.
struct PlotHistogram {
    double lo = 0;
    double hi = 0;
    bool logScale = false;
    std::vector<int64_t> counts;
    int64_t below = 0; // finite values < lo (including values <= 0 on a log scale)
    int64_t above = 0; // finite values > hi
    int64_t nonFinite = 0; // NaN and +-inf, never binned

    double edge(int i) const; // lower edge of bin i; edge(bins) == hi
};

// Throws Error(InvalidArgument) for bins < 1, lo >= hi given explicitly, or logScale with lo <= 0.
// With no finite value in range the histogram spans [0, 1] ([1, 10] on a log scale), all zero counts.
PlotHistogram makeHistogram(std::span<const float> values, const HistogramOptions& options = {});

} // namespace vq
