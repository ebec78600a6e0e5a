#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"

#include <cstdint>
#include <string>
#include <vector>

namespace vq {

// Equal-width histogram over [lo, hi]; the last bin includes hi.
struct Histogram {
    double lo = 0;
    double hi = 0;
    std::vector<int64_t> counts;
};

struct Percentile {
    double p = 0; // in [0, 100]
    double value = 0;
};

// What a user checks first about an embedding table. NaN/Inf entries are counted and left out of
// every other statistic (a row with any non-finite value is left out of the row-norm statistics).
struct TableStats {
    int64_t rows = 0;
    int64_t dim = 0;
    int64_t nanCount = 0;
    int64_t infCount = 0;
    int64_t nonFiniteRows = 0;
    double mean = 0; // over all finite values
    double stddev = 0;
    double minValue = 0;
    double maxValue = 0;
    std::vector<Percentile> rowNormPercentiles; // L2 norms of rows at p = 0, 1, 5, 25, 50, 75, 95, 99, 100
    Histogram rowNormHistogram;
    // L2 norm of every row (rows floats; NaN for a row with a non-finite value): what per-token views
    // show beside each token's error, computed here so the GUI never makes a pass over the table.
    std::vector<float> rowNorms;
    std::vector<double> dimMean; // per column
    std::vector<double> dimStd;
    // Columns whose mean or std is far from the others (robust z-score over columns > outlierZ).
    std::vector<int64_t> outlierDims;
    std::string outlierRule; // human-readable rule used, e.g. "robust z > 6 on |mean| or std"
};

// One pass over the table (OpenMP over rows). Progress stage "statistics"; honours cancel.
TableStats computeTableStats(const Matrix& table, RunControl& control, int histogramBins = 64);

} // namespace vq
