#include "stats/tablestats.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <omp.h>

namespace vq {

namespace {

constexpr double kOutlierZ = 6.0;

// Count, mean and sum of squared deviations of one column over a block of rows; blocks merge with
// Chan et al.'s pairwise formula, always in block order, so results do not depend on thread count.
struct Moments {
    int64_t n = 0;
    double mean = 0;
    double m2 = 0;

    void merge(const Moments& o)
    {
        if (o.n == 0)
            return;
        if (n == 0) {
            *this = o;
            return;
        }
        const double total = static_cast<double>(n + o.n);
        const double d = o.mean - mean;
        mean += d * static_cast<double>(o.n) / total;
        m2 += o.m2 + d * d * static_cast<double>(n) * static_cast<double>(o.n) / total;
        n += o.n;
    }
    double stddev() const { return n > 0 ? std::sqrt(m2 / static_cast<double>(n)) : 0.0; }
};

struct BlockResult {
    std::vector<Moments> columns;
    int64_t nan = 0;
    int64_t inf = 0;
    int64_t nonFiniteRows = 0;
    double minValue = std::numeric_limits<double>::infinity();
    double maxValue = -std::numeric_limits<double>::infinity();
};

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    const size_t mid = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
    double m = v[mid];
    if (v.size() % 2 == 0)
        m = (m + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid))) / 2;
    return m;
}

// Robust z-scores: (x - median) / (1.4826 * MAD); falls back on the mean absolute deviation when
// more than half the values are equal (MAD 0), and gives all zeros when every value is equal.
std::vector<double> robustZ(const std::vector<double>& x)
{
    const double med = median(x);
    std::vector<double> dev(x.size());
    double meanDev = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        dev[i] = std::abs(x[i] - med);
        meanDev += dev[i];
    }
    meanDev /= std::max<size_t>(1, x.size());
    double scale = 1.4826 * median(dev);
    if (scale == 0)
        scale = 1.2533 * meanDev;
    std::vector<double> z(x.size(), 0.0);
    if (scale > 0) {
        for (size_t i = 0; i < x.size(); ++i)
            z[i] = (x[i] - med) / scale;
    }
    return z;
}

// numpy's default ("linear") percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p)
{
    if (sorted.empty())
        return 0;
    const double pos = p / 100.0 * static_cast<double>(sorted.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

} // namespace

TableStats computeTableStats(const Matrix& table, RunControl& control, int histogramBins)
{
    TableStats s;
    s.rows = table.rows;
    s.dim = table.cols;
    const int64_t rows = table.rows;
    const int64_t cols = table.cols;
    // Block size depends on the shape only, never on the thread count.
    const int64_t blockRows = std::max<int64_t>(256, (rows + 255) / 256);
    const int64_t blocks = (rows + blockRows - 1) / blockRows;
    std::vector<BlockResult> partial(static_cast<size_t>(blocks));
    std::vector<double> norms(static_cast<size_t>(rows), std::numeric_limits<double>::quiet_NaN());
    std::atomic<int64_t> done { 0 };
    const int threads = control.threads > 0 ? control.threads : omp_get_max_threads();

#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int64_t b = 0; b < blocks; ++b) {
        if (control.cancelled())
            continue;
        BlockResult& r = partial[static_cast<size_t>(b)];
        // Sums of deviations from a per-column shift (the block's first finite value) keep the
        // one-pass variance accurate when a column's mean is large against its spread.
        std::vector<double> shift(static_cast<size_t>(cols), 0.0), sum(static_cast<size_t>(cols), 0.0),
            sumSq(static_cast<size_t>(cols), 0.0);
        std::vector<int64_t> count(static_cast<size_t>(cols), 0);
        std::vector<char> shifted(static_cast<size_t>(cols), 0);
        const int64_t end = std::min(rows, (b + 1) * blockRows);
        for (int64_t i = b * blockRows; i < end; ++i) {
            const float* row = table.row(i);
            double sq = 0;
            bool finite = true;
            for (int64_t j = 0; j < cols; ++j) {
                const double x = row[j];
                if (!std::isfinite(x)) {
                    finite = false;
                    (std::isnan(x) ? r.nan : r.inf) += 1;
                    continue;
                }
                const size_t c = static_cast<size_t>(j);
                if (!shifted[c]) {
                    shift[c] = x;
                    shifted[c] = 1;
                }
                sq += x * x;
                const double d = x - shift[c];
                sum[c] += d;
                sumSq[c] += d * d;
                ++count[c];
                r.minValue = std::min(r.minValue, x);
                r.maxValue = std::max(r.maxValue, x);
            }
            if (finite)
                norms[static_cast<size_t>(i)] = std::sqrt(sq);
            else
                ++r.nonFiniteRows;
        }
        r.columns.resize(static_cast<size_t>(cols));
        for (size_t c = 0; c < static_cast<size_t>(cols); ++c) {
            if (count[c] == 0)
                continue;
            const double n = static_cast<double>(count[c]);
            r.columns[c] = { count[c], shift[c] + sum[c] / n, std::max(0.0, sumSq[c] - sum[c] * sum[c] / n) };
        }
        const int64_t finished = done.fetch_add(1, std::memory_order_relaxed) + 1;
        control.report("statistics", 0.9 * static_cast<double>(finished) / static_cast<double>(blocks));
    }
    control.throwIfCancelled();

    std::vector<Moments> columns(static_cast<size_t>(cols));
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (const BlockResult& r : partial) {
        for (int64_t j = 0; j < cols; ++j)
            columns[static_cast<size_t>(j)].merge(r.columns[static_cast<size_t>(j)]);
        s.nanCount += r.nan;
        s.infCount += r.inf;
        s.nonFiniteRows += r.nonFiniteRows;
        lo = std::min(lo, r.minValue);
        hi = std::max(hi, r.maxValue);
    }
    Moments all;
    s.dimMean.resize(static_cast<size_t>(cols));
    s.dimStd.resize(static_cast<size_t>(cols));
    for (int64_t j = 0; j < cols; ++j) {
        const Moments& m = columns[static_cast<size_t>(j)];
        s.dimMean[static_cast<size_t>(j)] = m.mean;
        s.dimStd[static_cast<size_t>(j)] = m.stddev();
        all.merge(m);
    }
    s.mean = all.mean;
    s.stddev = all.stddev();
    s.minValue = all.n > 0 ? lo : 0;
    s.maxValue = all.n > 0 ? hi : 0;

    s.rowNorms.assign(norms.begin(), norms.end());
    std::vector<double> finiteNorms;
    finiteNorms.reserve(norms.size());
    for (double n : norms) {
        if (!std::isnan(n))
            finiteNorms.push_back(n);
    }
    std::sort(finiteNorms.begin(), finiteNorms.end());
    for (double p : { 0.0, 1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0, 100.0 })
        s.rowNormPercentiles.push_back({ p, percentile(finiteNorms, p) });
    const int bins = std::max(1, histogramBins);
    s.rowNormHistogram.counts.assign(static_cast<size_t>(bins), 0);
    if (!finiteNorms.empty()) {
        const double hlo = finiteNorms.front();
        const double hhi = finiteNorms.back();
        s.rowNormHistogram.lo = hlo;
        s.rowNormHistogram.hi = hhi;
        const double width = (hhi - hlo) / bins;
        for (double n : finiteNorms) {
            int64_t bin = width > 0 ? static_cast<int64_t>((n - hlo) / width) : 0;
            bin = std::clamp<int64_t>(bin, 0, bins - 1); // the last bin includes hi
            ++s.rowNormHistogram.counts[static_cast<size_t>(bin)];
        }
    }

    if (cols >= 3) {
        const std::vector<double> zMean = robustZ(s.dimMean);
        const std::vector<double> zStd = robustZ(s.dimStd);
        for (int64_t j = 0; j < cols; ++j) {
            if (std::abs(zMean[static_cast<size_t>(j)]) > kOutlierZ || zStd[static_cast<size_t>(j)] > kOutlierZ)
                s.outlierDims.push_back(j);
        }
    }
    s.outlierRule = "robust z-score (median/MAD over columns) above 6 for the column mean (either sign) or the "
                    "column std (larger only)";
    control.report("statistics", 1.0);
    return s;
}

} // namespace vq
