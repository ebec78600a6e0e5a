#include "metrics/logitfidelity.h"

#include "common/error.h"
#include "metrics/parallel.h"
#include "metrics/rowsample.h"
#include "metrics/topk.h"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>

namespace vq {

namespace {

constexpr const char* kStage = "logit fidelity";

Error invalid(const std::string& what)
{
    return Error(ErrorKind::InvalidArgument, "", "logit fidelity: " + what);
}

double rowSquaredNorm(const float* r, int64_t n)
{
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < n; ++j)
        s += static_cast<double>(r[j]) * r[j];
    return s;
}

struct QueryResult {
    double kl = 0;
    double refEntropy = 0;
    int64_t refTop1 = 0;
    int64_t reconTop1 = 0;
    double topKOverlap = 0;
};

// log sum_j exp(s z_j) for s >= 0, stably; p receives the softmax exp(s z_j - lse).
double logSoftmax(const float* z, int64_t rows, double s, double* p)
{
    const double m = s * *std::max_element(z, z + rows, [](float a, float b) { return a < b; });
    double sum = 0;
    for (int64_t j = 0; j < rows; ++j) {
        p[j] = std::exp(s * z[j] - m);
        sum += p[j];
    }
    const double inv = 1.0 / sum;
    for (int64_t j = 0; j < rows; ++j)
        p[j] *= inv;
    return m + std::log(sum);
}

void topRows(const float* z, int64_t rows, int k, int64_t* out)
{
    detail::TopK top(k);
    for (int64_t j = 0; j < rows; ++j)
        if (!std::isnan(z[j]))
            top.offer(z[j], j);
    top.write(out);
}

// One query: zp, zq are its raw dot products against E and Ê, s its scale; p is scratch of rows doubles.
QueryResult compareQuery(const float* zp, const float* zq, int64_t rows, double s, int topK, double* p)
{
    QueryResult r;
    const double lseQ = logSoftmax(zq, rows, s, p);
    const double lseP = logSoftmax(zp, rows, s, p); // p now holds softmax(s zp)
    // KL(p||q) = sum p_j (log p_j - log q_j) = sum p_j s (zp_j - zq_j) - lseP + lseQ
    // H(p) = -sum p_j log p_j = lseP - sum p_j s zp_j
    double cross = 0;
    double meanZp = 0;
    for (int64_t j = 0; j < rows; ++j) {
        cross += p[j] * (s * (static_cast<double>(zp[j]) - zq[j]));
        meanZp += p[j] * (s * zp[j]);
    }
    r.kl = std::max(0.0, cross - lseP + lseQ);
    r.refEntropy = std::max(0.0, lseP - meanZp);
    // Ranks by raw dot product: s > 0 does not change them, s == 0 makes all logits tie, and ties
    // rank by index in both cases.
    std::vector<int64_t> a(static_cast<size_t>(topK));
    std::vector<int64_t> b(static_cast<size_t>(topK));
    if (s > 0) {
        topRows(zp, rows, topK, a.data());
        topRows(zq, rows, topK, b.data());
    } else {
        for (int i = 0; i < topK; ++i)
            a[static_cast<size_t>(i)] = b[static_cast<size_t>(i)] = i;
    }
    r.refTop1 = a[0];
    r.reconTop1 = b[0];
    r.topKOverlap = static_cast<double>(detail::overlap(a.data(), b.data(), topK)) / topK;
    return r;
}

} // namespace

const char* toString(QueryScaling scaling)
{
    switch (scaling) {
    case QueryScaling::None:
        return "none";
    case QueryScaling::UnitNorm:
        return "unit-norm";
    }
    return "?";
}

LogitFidelity computeLogitFidelity(
    const Matrix& ref, const Matrix& recon, const LogitFidelityOptions& options, RunControl& control)
{
    if (ref.empty() || ref.rows != recon.rows || ref.cols != recon.cols)
        throw invalid("the table (" + std::to_string(ref.rows) + " x " + std::to_string(ref.cols)
            + ") and its reconstruction (" + std::to_string(recon.rows) + " x " + std::to_string(recon.cols)
            + ") must have the same non-empty shape");
    const int64_t rows = ref.rows;
    const int64_t n = ref.cols;
    if (options.hiddenStates && options.hiddenStates->cols != n)
        throw invalid("hidden states have " + std::to_string(options.hiddenStates->cols) + " columns, the table "
            + std::to_string(n));
    if (options.topK < 1 || options.topK > rows)
        throw invalid("top-k = " + std::to_string(options.topK) + " needs 1 <= k <= rows = " + std::to_string(rows));
    if (!(options.logitScale >= 0) || !std::isfinite(options.logitScale))
        throw invalid("the logit scale must be finite and >= 0 (0: automatic)");

    LogitFidelity out;
    out.sampledRows = options.hiddenStates == nullptr;
    out.scaling = options.scaling.value_or(out.sampledRows ? QueryScaling::UnitNorm : QueryScaling::None);
    out.topK = options.topK;
    const int threads = detail::metricThreads(control);

    // Norms of E: the query sample (rows with a direction) and the automatic scale.
    std::vector<double> norms2(static_cast<size_t>(rows));
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t t = 0; t < rows; ++t)
        norms2[static_cast<size_t>(t)] = rowSquaredNorm(ref.row(t), n);
    double total = 0;
    for (double v : norms2)
        total += v;

    out.logitScale = options.logitScale;
    if (out.logitScale == 0) {
        const double rms = std::sqrt(total / static_cast<double>(rows));
        out.logitScale
            = out.scaling == QueryScaling::UnitNorm && rms > 0 ? std::sqrt(static_cast<double>(n)) / rms : 1.0;
    }

    // The queries, as a Q x n float matrix.
    Matrix sampled;
    if (out.sampledRows) {
        std::vector<int64_t> candidates;
        for (int64_t t = 0; t < rows; ++t)
            if (norms2[static_cast<size_t>(t)] > 0)
                candidates.push_back(t);
        for (int64_t i : sampleRows(static_cast<int64_t>(candidates.size()), options.queries, control.seed))
            out.queryRows.push_back(candidates[static_cast<size_t>(i)]);
        sampled = Matrix(static_cast<int64_t>(out.queryRows.size()), n);
        for (size_t i = 0; i < out.queryRows.size(); ++i)
            std::copy(ref.row(out.queryRows[i]), ref.row(out.queryRows[i]) + n, sampled.row(static_cast<int64_t>(i)));
    }
    const Matrix& h = out.sampledRows ? sampled : *options.hiddenStates;
    const int64_t q = h.rows;
    out.queries = q;
    out.perQueryKl.resize(static_cast<size_t>(q));
    out.refTop1.resize(static_cast<size_t>(q));
    out.reconTop1.resize(static_cast<size_t>(q));
    out.perQueryTopKOverlap.resize(static_cast<size_t>(q));
    std::vector<double> refEntropy(static_cast<size_t>(q));
    if (q == 0)
        return out;

    const int64_t chunk = std::clamp<int64_t>(options.maxScratchFloats / (2 * rows), 1, q);
    std::vector<float> zp(static_cast<size_t>(chunk * rows));
    std::vector<float> zq(static_cast<size_t>(chunk * rows));
    std::vector<std::vector<double>> scratch(static_cast<size_t>(threads));
    control.report(kStage, 0);
    for (int64_t c0 = 0; c0 < q; c0 += chunk) {
        control.throwIfCancelled();
        const int64_t len = std::min(chunk, q - c0);
        const auto gemm = [&](const Matrix& table, float* z) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(len), static_cast<int>(rows),
                static_cast<int>(n), 1.f, h.row(c0), static_cast<int>(n), table.values.data(), static_cast<int>(n), 0.f,
                z, static_cast<int>(rows));
        };
        gemm(ref, zp.data());
        gemm(recon, zq.data());
        control.throwIfCancelled();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
        for (int64_t i = 0; i < len; ++i) {
            if (control.cancelled())
                continue;
            std::vector<double>& p = scratch[static_cast<size_t>(omp_get_thread_num())];
            p.resize(static_cast<size_t>(rows));
            const size_t qi = static_cast<size_t>(c0 + i);
            double s = out.logitScale;
            if (out.scaling == QueryScaling::UnitNorm) {
                const double norm = std::sqrt(rowSquaredNorm(h.row(c0 + i), n));
                s = norm > 0 ? s / norm : 0;
            }
            const QueryResult r
                = compareQuery(zp.data() + i * rows, zq.data() + i * rows, rows, s, options.topK, p.data());
            out.perQueryKl[qi] = r.kl;
            out.refTop1[qi] = r.refTop1;
            out.reconTop1[qi] = r.reconTop1;
            out.perQueryTopKOverlap[qi] = r.topKOverlap;
            refEntropy[qi] = r.refEntropy;
        }
        control.throwIfCancelled();
        control.report(kStage, static_cast<double>(c0 + len) / static_cast<double>(q));
    }

    int64_t agree = 0;
    for (size_t i = 0; i < static_cast<size_t>(q); ++i) {
        out.meanKl += out.perQueryKl[i];
        out.maxKl = std::max(out.maxKl, out.perQueryKl[i]);
        agree += out.refTop1[i] == out.reconTop1[i] ? 1 : 0;
        out.topKOverlap += out.perQueryTopKOverlap[i];
        out.meanRefEntropy += refEntropy[i];
    }
    const double dq = static_cast<double>(q);
    out.meanKl /= dq;
    out.top1Agreement = static_cast<double>(agree) / dq;
    out.topKOverlap /= dq;
    out.meanRefEntropy /= dq;
    return out;
}

} // namespace vq
