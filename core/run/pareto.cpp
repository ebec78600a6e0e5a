#include "run/pareto.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace vq {

std::vector<size_t> paretoFrontier(std::span<const ParetoPoint> points, bool lowerIsBetter)
{
    // Compare on "badness" so that lower is always better below.
    const auto bad = [&](size_t i) { return lowerIsBetter ? points[i].y : -points[i].y; };
    std::vector<size_t> order;
    order.reserve(points.size());
    for (size_t i = 0; i < points.size(); ++i)
        if (std::isfinite(points[i].x) && std::isfinite(points[i].y))
            order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        if (points[a].x != points[b].x)
            return points[a].x < points[b].x;
        return bad(a) < bad(b);
    });

    std::vector<size_t> frontier;
    for (size_t i : order) {
        if (frontier.empty()) {
            frontier.push_back(i);
            continue;
        }
        const size_t last = frontier.back();
        // Every earlier point has x <= this x, and the last frontier point has the best y so far.
        if (bad(i) < bad(last) || (bad(i) == bad(last) && points[i].x == points[last].x))
            frontier.push_back(i);
    }
    return frontier;
}

std::vector<ParetoPoint> paretoSteps(std::span<const ParetoPoint> frontier)
{
    std::vector<ParetoPoint> steps;
    if (frontier.empty())
        return steps;
    steps.reserve(2 * frontier.size() - 1);
    steps.push_back(frontier[0]);
    for (size_t i = 1; i < frontier.size(); ++i) {
        steps.push_back({ frontier[i].x, frontier[i - 1].y });
        steps.push_back(frontier[i]);
    }
    return steps;
}

} // namespace vq
