#include "metrics/sortorder.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace vq {

std::vector<int32_t> ascendingOrder(std::span<const double> keys)
{
    std::vector<int32_t> order(keys.size());
    std::iota(order.begin(), order.end(), 0);
    // NaNs to the back first, so the sort compares numbers only.
    const auto firstNan
        = std::stable_partition(order.begin(), order.end(), [&](int32_t i) { return !std::isnan(keys[size_t(i)]); });
    std::sort(order.begin(), firstNan, [&](int32_t a, int32_t b) {
        const double ka = keys[size_t(a)];
        const double kb = keys[size_t(b)];
        return ka != kb ? ka < kb : a < b;
    });
    return order;
}

} // namespace vq
