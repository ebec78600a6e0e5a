#include "metrics/tokendiff.h"

#include "common/error.h"
#include "metrics/rowsample.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vq {

double tokenErrorRatio(float a, float b)
{
    if (std::isnan(a) || std::isnan(b))
        return std::numeric_limits<double>::quiet_NaN();
    if (a == 0)
        return b == 0 ? 1.0 : std::numeric_limits<double>::infinity();
    return double(b) / double(a);
}

double tokenErrorSpread(float a, float b)
{
    if (std::isnan(a) || std::isnan(b))
        return std::numeric_limits<double>::quiet_NaN();
    if (a == b)
        return 0;
    if (a == 0 || b == 0)
        return std::numeric_limits<double>::infinity();
    return std::abs(std::log(double(b) / double(a)));
}

std::vector<int64_t> mostDifferentTokens(std::span<const float> a, std::span<const float> b, int64_t count)
{
    if (a.size() != b.size())
        throw Error(ErrorKind::InvalidArgument, "", "token comparison: the two runs have different row counts");
    std::vector<std::pair<double, int64_t>> spread;
    spread.reserve(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
        const double s = tokenErrorSpread(a[i], b[i]);
        if (!std::isnan(s))
            spread.emplace_back(s, static_cast<int64_t>(i));
    }
    const size_t n = std::min(spread.size(), static_cast<size_t>(std::max<int64_t>(count, 0)));
    const auto larger
        = [](const auto& x, const auto& y) { return x.first > y.first || (x.first == y.first && x.second < y.second); };
    std::partial_sort(spread.begin(), spread.begin() + static_cast<std::ptrdiff_t>(n), spread.end(), larger);
    std::vector<int64_t> rows(n);
    for (size_t i = 0; i < n; ++i)
        rows[i] = spread[i].second;
    return rows;
}

std::vector<int64_t> compareScatterRows(
    std::span<const float> a, std::span<const float> b, int64_t sampleCount, int64_t extremeCount, uint64_t seed)
{
    std::vector<int64_t> rows = sampleRows(static_cast<int64_t>(a.size()), std::max<int64_t>(sampleCount, 0), seed);
    const std::vector<int64_t> extremes = mostDifferentTokens(a, b, extremeCount);
    rows.insert(rows.end(), extremes.begin(), extremes.end());
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    return rows;
}

} // namespace vq
