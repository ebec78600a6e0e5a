#include "explore/codebookalignment.h"

#include "common/error.h"
#include "metrics/parallel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace vq {

namespace {

// For every point of `from`, its nearest point of `to` and the distance to it.
void nearest(const float* from, int64_t countFrom, const float* to, int64_t countTo, int64_t width, int threads,
    RunControl& control, std::vector<int32_t>& index, std::vector<float>& distance)
{
    index.assign(static_cast<size_t>(countFrom), -1);
    distance.assign(static_cast<size_t>(countFrom), 0.0f);
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads)
    for (int64_t i = 0; i < countFrom; ++i) {
        if (control.cancelled())
            continue;
        const float* x = from + i * width;
        double best = std::numeric_limits<double>::infinity();
        int64_t bestIndex = 0;
        for (int64_t j = 0; j < countTo; ++j) {
            const float* y = to + j * width;
            double d2 = 0;
            for (int64_t k = 0; k < width && d2 < best; ++k) {
                const double d = static_cast<double>(x[k]) - y[k];
                d2 += d * d;
            }
            if (d2 < best) {
                best = d2;
                bestIndex = j;
            }
        }
        index[static_cast<size_t>(i)] = static_cast<int32_t>(bestIndex);
        distance[static_cast<size_t>(i)] = static_cast<float>(std::sqrt(best));
    }
    control.throwIfCancelled();
}

double rmsNorm(const float* v, int64_t count, int64_t width)
{
    double s = 0;
    for (int64_t i = 0; i < count * width; ++i)
        s += static_cast<double>(v[i]) * v[i];
    return std::sqrt(s / static_cast<double>(count));
}

} // namespace

CodebookAlignment alignCodebooks(
    const float* a, int64_t countA, const float* b, int64_t countB, int64_t width, int bins, RunControl& control)
{
    if (countA < 1 || countB < 1 || width < 1 || bins < 1)
        throw Error(ErrorKind::InvalidArgument, "",
            "codebook alignment: " + std::to_string(countA) + " and " + std::to_string(countB) + " codewords of width "
                + std::to_string(width) + " in " + std::to_string(bins) + " bins");
    const int threads = detail::metricThreads(control);
    CodebookAlignment out;
    out.countA = countA;
    out.countB = countB;
    out.width = width;
    control.report("codebook alignment", 0);
    nearest(a, countA, b, countB, width, threads, control, out.nearestInB, out.distanceToB);
    control.report("codebook alignment", 0.5);
    nearest(b, countB, a, countA, width, threads, control, out.nearestInA, out.distanceToA);
    control.report("codebook alignment", 1);
    for (int64_t i = 0; i < countA; ++i) {
        const int32_t j = out.nearestInB[static_cast<size_t>(i)];
        if (out.nearestInA[static_cast<size_t>(j)] == i) {
            out.matchedA.push_back(static_cast<int32_t>(i));
            out.matchedB.push_back(j);
        }
    }
    out.rmsNormA = rmsNorm(a, countA, width);
    out.rmsNormB = rmsNorm(b, countB, width);

    std::vector<float> sorted = out.distanceToB;
    std::sort(sorted.begin(), sorted.end());
    const size_t n = sorted.size();
    out.medianDistanceToB = n % 2 ? sorted[n / 2] : 0.5 * (static_cast<double>(sorted[n / 2 - 1]) + sorted[n / 2]);
    double sum = 0;
    for (const float d : sorted)
        sum += d;
    out.meanDistanceToB = sum / static_cast<double>(n);

    std::vector<float> relative(n);
    for (size_t i = 0; i < n; ++i)
        relative[i] = out.rmsNormA > 0 ? static_cast<float>(out.distanceToB[i] / out.rmsNormA) : 0.0f;
    HistogramOptions h;
    h.bins = bins;
    h.lo = 0;
    const float top = relative.empty() ? 0.0f : *std::max_element(relative.begin(), relative.end());
    h.hi = top > 0 ? static_cast<double>(top) : 1.0;
    out.histogram = makeHistogram(relative, h);
    return out;
}

} // namespace vq
