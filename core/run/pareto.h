#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace vq {

// One run on a cost/quality plane: x is the cost (bits per parameter; lower is always better), y the
// quality metric (lower or higher is better, as the caller says).
struct ParetoPoint {
    double x = 0;
    double y = 0;
};

// Indices of the non-dominated points, sorted by x ascending (equal x: better y first). p dominates q
// when p.x <= q.x and p.y is at least as good as q.y, and p is strictly better in one of the two.
// Points equal to a frontier point are kept (neither dominates the other). Points with a non-finite x
// or y are never on the frontier and dominate nothing. O(n log n).
std::vector<size_t> paretoFrontier(std::span<const ParetoPoint> points, bool lowerIsBetter);

// The staircase through frontier points sorted by x (as paretoFrontier orders them): from each point a
// horizontal step to the next point's x, then a vertical step to its y. 2 * n - 1 points (none for
// an empty frontier): the best quality reachable at each cost.
std::vector<ParetoPoint> paretoSteps(std::span<const ParetoPoint> frontier);

} // namespace vq
