#include "metrics/neighbourrecall.h"

#include "common/error.h"
#include "metrics/parallel.h"
#include "metrics/rowsample.h"
#include "metrics/topk.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace vq {

namespace {

constexpr const char* kRecallStage = "neighbour recall";

// 1 / ||row|| per row (0 for a zero row), computed in double.
std::vector<float> inverseNorms(const Matrix& table, RunControl& control)
{
    std::vector<float> inv(static_cast<size_t>(table.rows));
    const int64_t n = table.cols;
#pragma omp parallel for schedule(static) num_threads(detail::metricThreads(control))
    for (int64_t t = 0; t < table.rows; ++t) {
        const float* r = table.row(t);
        double s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t j = 0; j < n; ++j)
            s += static_cast<double>(r[j]) * r[j];
        inv[static_cast<size_t>(t)] = s > 0 ? static_cast<float>(1.0 / std::sqrt(s)) : 0.f;
    }
    return inv;
}

} // namespace

std::vector<int64_t> cosineNearestRows(const Matrix& table, const std::vector<int64_t>& queryRows, int k,
    int64_t blockRows, RunControl& control, const char* stage, double progressFrom, double progressTo)
{
    const int64_t rows = table.rows;
    const int64_t n = table.cols;
    const int64_t q = static_cast<int64_t>(queryRows.size());
    if (k < 1)
        throw Error(ErrorKind::InvalidArgument, "", "nearest rows: k must be >= 1 (got " + std::to_string(k) + ")");
    for (int64_t r : queryRows)
        if (r < 0 || r >= rows)
            throw Error(ErrorKind::InvalidArgument, "",
                "nearest rows: query row " + std::to_string(r) + " outside a table of " + std::to_string(rows)
                    + " rows");
    std::vector<int64_t> out(static_cast<size_t>(q * k), -1);
    if (q == 0)
        return out;
    const int threads = detail::metricThreads(control);
    const std::vector<float> inv = inverseNorms(table, control);

    // Unit-norm queries: the GEMM gives q̂·e_j, times 1/||e_j|| a cosine.
    Matrix queries(q, n);
    for (int64_t i = 0; i < q; ++i) {
        const float* src = table.row(queryRows[static_cast<size_t>(i)]);
        const double s = inv[static_cast<size_t>(queryRows[static_cast<size_t>(i)])];
        float* dst = queries.row(i);
        for (int64_t j = 0; j < n; ++j)
            dst[j] = static_cast<float>(src[j] * s);
    }

    const int64_t block = std::clamp<int64_t>(blockRows, 1, rows);
    std::vector<float> scores(static_cast<size_t>(q * block));
    std::vector<detail::TopK> heaps(static_cast<size_t>(q), detail::TopK(k));
    const int64_t blocks = (rows + block - 1) / block;
    for (int64_t b = 0; b < blocks; ++b) {
        control.throwIfCancelled();
        const int64_t r0 = b * block;
        const int64_t len = std::min(block, rows - r0);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(q), static_cast<int>(len),
            static_cast<int>(n), 1.f, queries.values.data(), static_cast<int>(n), table.row(r0), static_cast<int>(n),
            0.f, scores.data(), static_cast<int>(len));
#pragma omp parallel for schedule(static) num_threads(threads)
        for (int64_t i = 0; i < q; ++i) {
            const int64_t self = queryRows[static_cast<size_t>(i)];
            if (inv[static_cast<size_t>(self)] == 0)
                continue; // a zero query has no direction, hence no neighbours
            detail::TopK& heap = heaps[static_cast<size_t>(i)];
            const float* s = scores.data() + i * len;
            for (int64_t j = 0; j < len; ++j) {
                const int64_t row = r0 + j;
                const float w = inv[static_cast<size_t>(row)];
                const float cosine = s[j] * w;
                if (row == self || w == 0 || std::isnan(cosine))
                    continue;
                heap.offer(cosine, row);
            }
        }
        control.report(stage, progressFrom + (progressTo - progressFrom) * static_cast<double>(b + 1) / blocks);
    }
    for (int64_t i = 0; i < q; ++i)
        heaps[static_cast<size_t>(i)].write(out.data() + i * k);
    return out;
}

namespace {

NeighbourReference referenceImpl(
    const Matrix& ref, const NeighbourRecallOptions& options, RunControl& control, double progressTo)
{
    if (ref.empty())
        throw Error(ErrorKind::InvalidArgument, "", "neighbour recall: the table is empty");
    if (options.k < 1 || options.k > ref.rows - 1)
        throw Error(ErrorKind::InvalidArgument, "",
            "neighbour recall: k = " + std::to_string(options.k)
                + " needs 1 <= k <= rows - 1 = " + std::to_string(ref.rows - 1));

    NeighbourReference r;
    r.rows = ref.rows;
    r.dim = ref.cols;
    r.k = options.k;
    r.seed = control.seed;
    // Queries: a seeded sample of the rows of E that have a direction.
    const std::vector<float> inv = inverseNorms(ref, control);
    std::vector<int64_t> candidates;
    candidates.reserve(static_cast<size_t>(ref.rows));
    for (int64_t t = 0; t < ref.rows; ++t)
        if (inv[static_cast<size_t>(t)] > 0)
            candidates.push_back(t);
    for (int64_t i :
        sampleRows(static_cast<int64_t>(candidates.size()), std::max<int64_t>(options.queries, 0), control.seed))
        r.queryRows.push_back(candidates[static_cast<size_t>(i)]);
    control.report(kRecallStage, 0);
    r.neighbours
        = cosineNearestRows(ref, r.queryRows, options.k, options.blockRows, control, kRecallStage, 0, progressTo);
    return r;
}

NeighbourRecall recallImpl(const NeighbourReference& reference, const Matrix& recon,
    const NeighbourRecallOptions& options, RunControl& control, double progressFrom)
{
    if (recon.rows != reference.rows || recon.cols != reference.dim)
        throw Error(ErrorKind::InvalidArgument, "",
            "neighbour recall: the table (" + std::to_string(reference.rows) + " x " + std::to_string(reference.dim)
                + ") and its reconstruction (" + std::to_string(recon.rows) + " x " + std::to_string(recon.cols)
                + ") must have the same shape");
    const int k = reference.k;
    if (k < 1 || reference.neighbours.size() != reference.queryRows.size() * static_cast<size_t>(k))
        throw Error(ErrorKind::InvalidArgument, "", "neighbour recall: inconsistent neighbour reference");
    NeighbourRecall r;
    r.k = k;
    r.queryRows = reference.queryRows;
    r.refNeighbours = reference.neighbours;
    r.reconNeighbours
        = cosineNearestRows(recon, r.queryRows, k, options.blockRows, control, kRecallStage, progressFrom, 1);

    r.perQuery.resize(r.queryRows.size());
    double sum = 0;
    r.min = r.queryRows.empty() ? 0 : 1;
    for (size_t i = 0; i < r.queryRows.size(); ++i) {
        const int64_t common = detail::overlap(r.refNeighbours.data() + i * static_cast<size_t>(k),
            r.reconNeighbours.data() + i * static_cast<size_t>(k), k);
        const double recall = static_cast<double>(common) / static_cast<double>(k);
        r.perQuery[i] = recall;
        sum += recall;
        r.min = std::min(r.min, recall);
    }
    r.mean = r.queryRows.empty() ? 0 : sum / static_cast<double>(r.queryRows.size());
    return r;
}

} // namespace

NeighbourReference computeNeighbourReference(
    const Matrix& ref, const NeighbourRecallOptions& options, RunControl& control)
{
    return referenceImpl(ref, options, control, 1);
}

NeighbourRecall computeNeighbourRecall(const NeighbourReference& reference, const Matrix& recon,
    const NeighbourRecallOptions& options, RunControl& control)
{
    control.report(kRecallStage, 0);
    return recallImpl(reference, recon, options, control, 0);
}

NeighbourRecall computeNeighbourRecall(
    const Matrix& ref, const Matrix& recon, const NeighbourRecallOptions& options, RunControl& control)
{
    if (ref.empty() || ref.rows != recon.rows || ref.cols != recon.cols)
        throw Error(ErrorKind::InvalidArgument, "",
            "neighbour recall: the table (" + std::to_string(ref.rows) + " x " + std::to_string(ref.cols)
                + ") and its reconstruction (" + std::to_string(recon.rows) + " x " + std::to_string(recon.cols)
                + ") must have the same non-empty shape");
    return recallImpl(referenceImpl(ref, options, control, 0.5), recon, options, control, 0.5);
}

} // namespace vq
