#include "metrics/reconstructionmetrics.h"

#include "common/error.h"
#include "metrics/parallel.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <string>

namespace vq {

namespace {

constexpr const char* kStage = "reconstruction error";
constexpr int64_t kChunkRows = 512;

struct RowSums {
    double err = 0; // ||e - ê||^2
    double ref = 0; // ||e||^2
    double rec = 0; // ||ê||^2
    double dot = 0; // <e, ê>
    float maxAbs = 0;
    int64_t maxAbsCol = 0;
};

RowSums rowSums(const float* e, const float* r, int64_t n)
{
    double err = 0, ref = 0, rec = 0, dot = 0;
#pragma omp simd reduction(+ : err, ref, rec, dot)
    for (int64_t j = 0; j < n; ++j) {
        const double a = e[j];
        const double b = r[j];
        const double d = a - b;
        err += d * d;
        ref += a * a;
        rec += b * b;
        dot += a * b;
    }
    RowSums s { err, ref, rec, dot, 0, 0 };
    // A separate pass: the arg-max does not vectorise with the sums, and the row is in cache.
    for (int64_t j = 0; j < n; ++j) {
        const float d = std::fabs(e[j] - r[j]);
        if (d > s.maxAbs || std::isnan(d)) {
            s.maxAbs = d;
            s.maxAbsCol = j;
            if (std::isnan(d))
                break;
        }
    }
    return s;
}

double snrDb(double relMse)
{
    if (relMse == 0)
        return std::numeric_limits<double>::infinity();
    return -10.0 * std::log10(relMse);
}

void checkInputs(const Matrix& ref, const Matrix& recon, std::span<const float> weights)
{
    if (ref.empty())
        throw Error(ErrorKind::InvalidArgument, "", "reconstruction metrics: the table is empty");
    if (ref.rows != recon.rows || ref.cols != recon.cols)
        throw Error(ErrorKind::InvalidArgument, "",
            "reconstruction metrics: the reconstruction is " + std::to_string(recon.rows) + " x "
                + std::to_string(recon.cols) + ", the table " + std::to_string(ref.rows) + " x "
                + std::to_string(ref.cols));
    if (weights.empty())
        return;
    if (static_cast<int64_t>(weights.size()) != ref.rows)
        throw Error(ErrorKind::InvalidArgument, "",
            "reconstruction metrics: " + std::to_string(weights.size()) + " token weights for "
                + std::to_string(ref.rows) + " rows");
    double sum = 0;
    for (size_t t = 0; t < weights.size(); ++t) {
        if (!std::isfinite(weights[t]) || weights[t] < 0)
            throw Error(ErrorKind::InvalidArgument, "",
                "reconstruction metrics: token weight " + std::to_string(t) + " is " + std::to_string(weights[t])
                    + " (weights must be finite and >= 0)");
        sum += weights[t];
    }
    if (!(sum > 0))
        throw Error(ErrorKind::InvalidArgument, "", "reconstruction metrics: all token weights are 0");
}

} // namespace

ReconstructionMetrics computeReconstructionMetrics(
    const Matrix& ref, const Matrix& recon, std::span<const float> weights, RunControl& control)
{
    checkInputs(ref, recon, weights);
    const int64_t rows = ref.rows;
    const int64_t n = ref.cols;

    std::vector<RowSums> sums(static_cast<size_t>(rows));
    const int64_t chunks = (rows + kChunkRows - 1) / kChunkRows;
    std::atomic<int64_t> done { 0 };
    control.report(kStage, 0);

#pragma omp parallel for schedule(dynamic, 1) num_threads(detail::metricThreads(control))
    for (int64_t c = 0; c < chunks; ++c) {
        if (control.cancelled())
            continue;
        const int64_t end = std::min(rows, (c + 1) * kChunkRows);
        for (int64_t t = c * kChunkRows; t < end; ++t)
            sums[static_cast<size_t>(t)] = rowSums(ref.row(t), recon.row(t), n);
        const int64_t finished = done.fetch_add(1, std::memory_order_relaxed) + 1;
        control.report(kStage, static_cast<double>(finished) / static_cast<double>(chunks));
    }
    control.throwIfCancelled();

    ReconstructionMetrics m;
    m.rows = rows;
    m.dim = n;
    m.weighted = !weights.empty();
    m.tokenMse.resize(static_cast<size_t>(rows));
    m.tokenRelError.resize(static_cast<size_t>(rows));
    m.tokenCosine.resize(static_cast<size_t>(rows));
    std::vector<float> cosineDistance(static_cast<size_t>(rows));

    // Serial, in row order: the totals do not depend on how rows were split over threads.
    double weightedErr = 0;
    double weightedRef = 0;
    const double inf = std::numeric_limits<double>::infinity();
    for (int64_t t = 0; t < rows; ++t) {
        const RowSums& s = sums[static_cast<size_t>(t)];
        m.sumSquaredError += s.err;
        m.sumSquaredRef += s.ref;
        if (m.weighted) {
            weightedErr += weights[static_cast<size_t>(t)] * s.err;
            weightedRef += weights[static_cast<size_t>(t)] * s.ref;
        }
        if (s.maxAbs > m.maxAbsError || (std::isnan(s.maxAbs) && !std::isnan(m.maxAbsError))) {
            m.maxAbsError = s.maxAbs;
            m.maxAbsErrorRow = t;
            m.maxAbsErrorCol = s.maxAbsCol;
        }
        double rel;
        double cosine;
        if (s.ref == 0) {
            ++m.zeroRows;
            if (s.rec != 0)
                ++m.zeroRowsMissed;
            rel = s.rec == 0 ? 0 : inf;
            cosine = s.rec == 0 ? 1 : 0;
        } else {
            rel = s.err / s.ref;
            cosine = s.rec == 0 ? 0 : s.dot / std::sqrt(s.ref * s.rec);
        }
        m.tokenMse[static_cast<size_t>(t)] = static_cast<float>(s.err / static_cast<double>(n));
        m.tokenRelError[static_cast<size_t>(t)] = static_cast<float>(rel);
        m.tokenCosine[static_cast<size_t>(t)] = static_cast<float>(cosine);
        cosineDistance[static_cast<size_t>(t)] = static_cast<float>(1.0 - cosine);
    }

    m.mse = m.sumSquaredError / (static_cast<double>(rows) * static_cast<double>(n));
    m.relMse = m.sumSquaredRef > 0 ? m.sumSquaredError / m.sumSquaredRef : (m.sumSquaredError > 0 ? inf : 0);
    m.snrDb = snrDb(m.relMse);
    if (m.weighted)
        m.weightedRelMse = weightedRef > 0 ? weightedErr / weightedRef : (weightedErr > 0 ? inf : 0);
    else
        m.weightedRelMse = m.relMse;
    m.weightedSnrDb = snrDb(m.weightedRelMse);

    m.tokenMsePercentiles = computeTokenPercentiles(m.tokenMse);
    m.tokenRelErrorPercentiles = computeTokenPercentiles(m.tokenRelError);
    m.tokenCosineDistancePercentiles = computeTokenPercentiles(cosineDistance);
    control.report(kStage, 1);
    return m;
}

} // namespace vq
