#include "explore/tokenpath.h"

#include "common/error.h"
#include "explore/codebookaccess.h"
#include "metrics/parallel.h"
#include "metrics/topk.h"
#include "quant/registry.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace vq {

namespace {

constexpr int64_t kBlockRows = 1024;

void checkRow(const QuantizedTable& table, const Matrix& original, int64_t row, const char* what)
{
    if (original.rows != table.rows || original.cols != table.dim)
        throw Error(ErrorKind::InvalidArgument, "",
            std::string(what) + ": the table (" + std::to_string(original.rows) + " x " + std::to_string(original.cols)
                + ") is not the one the run was made from (" + std::to_string(table.rows) + " x "
                + std::to_string(table.dim) + ")");
    if (row < 0 || row >= table.rows)
        throw Error(ErrorKind::InvalidArgument, "",
            std::string(what) + ": row " + std::to_string(row) + " outside a table of " + std::to_string(table.rows)
                + " rows");
}

double squaredDistance(const float* a, const float* b, int64_t n)
{
    double s = 0;
    for (int64_t j = 0; j < n; ++j) {
        const double d = static_cast<double>(a[j]) - b[j];
        s += d * d;
    }
    return s;
}

double dot(const float* a, const float* b, int64_t n)
{
    double s = 0;
    for (int64_t j = 0; j < n; ++j)
        s += static_cast<double>(a[j]) * b[j];
    return s;
}

// The best k of candidates (highest cosine, ties by the lower row), best first.
void keepBest(std::vector<detail::Candidate>& candidates, int k)
{
    const auto better = [](const detail::Candidate& a, const detail::Candidate& b) { return detail::ranksBelow(b, a); };
    const size_t n = std::min(candidates.size(), static_cast<size_t>(k));
    std::partial_sort(
        candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(n), candidates.end(), better);
    candidates.resize(n);
}

// The k rows nearest by cosine to query (row `self` and zero rows excluded) among the rows that
// fill(begin, end, buffer) returns (a pointer to (end - begin) x dim floats), best first.
template <typename Fill>
std::vector<detail::Candidate> nearestByCosine(const float* query, int64_t self, int64_t rows, int64_t dim, int k,
    int threads, RunControl& control, double progressFrom, const Fill& fill)
{
    const double qn = std::sqrt(dot(query, query, dim));
    if (qn == 0)
        return {}; // a zero vector has no direction, hence no neighbours
    const int64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
    std::vector<std::vector<detail::Candidate>> best(static_cast<size_t>(blocks));
#pragma omp parallel num_threads(threads)
    {
        std::vector<float> buffer(static_cast<size_t>(kBlockRows * dim));
#pragma omp for schedule(dynamic)
        for (int64_t b = 0; b < blocks; ++b) {
            if (control.cancelled())
                continue;
            const int64_t begin = b * kBlockRows;
            const int64_t end = std::min(rows, begin + kBlockRows);
            const float* block = fill(begin, end, buffer.data());
            std::vector<detail::Candidate>& c = best[static_cast<size_t>(b)];
            for (int64_t r = begin; r < end; ++r) {
                const float* x = block + (r - begin) * dim;
                const double n = std::sqrt(dot(x, x, dim));
                if (r == self || n == 0)
                    continue;
                const auto cosine = static_cast<float>(dot(query, x, dim) / (qn * n));
                if (!std::isnan(cosine))
                    c.push_back({ cosine, r });
            }
            keepBest(c, k);
            if (omp_get_thread_num() == 0)
                control.report(
                    "neighbours", progressFrom + 0.5 * static_cast<double>(b + 1) / static_cast<double>(blocks));
        }
    }
    control.throwIfCancelled();
    // The ranking is a total order, so the result does not depend on how rows were split into blocks.
    std::vector<detail::Candidate> all;
    for (const std::vector<detail::Candidate>& c : best)
        all.insert(all.end(), c.begin(), c.end());
    keepBest(all, k);
    return all;
}

void writeList(
    const std::vector<detail::Candidate>& best, int k, std::vector<int64_t>& rows, std::vector<float>& cosines)
{
    rows.assign(static_cast<size_t>(k), -1);
    cosines.assign(static_cast<size_t>(k), 0.0f);
    for (size_t i = 0; i < best.size(); ++i) {
        rows[i] = best[i].row;
        cosines[i] = best[i].score;
    }
}

} // namespace

TokenPath computeTokenPath(const QuantizedTable& table, const Matrix& original, int64_t row)
{
    checkRow(table, original, row, "token path");
    const Quantizer& method = quantizer(table.spec.method);
    TokenPath path;
    path.row = row;
    const float* e = original.row(row);
    path.norm = std::sqrt(dot(e, e, table.dim));

    const std::vector<DecodeStep> steps = method.decodeSteps(table);
    std::vector<float> partial(static_cast<size_t>(table.dim));
    const int64_t ids[1] = { row };
    for (size_t i = 0; i < steps.size(); ++i) {
        method.decodePartial(table, ids, static_cast<int>(i + 1), partial.data());
        path.steps.push_back({ steps[i].label, steps[i].array, steps[i].stage,
            std::sqrt(squaredDistance(e, partial.data(), table.dim)) });
    }

    const int arrays = static_cast<int>(method.codebookSources(table).size());
    for (int a = 0; a < arrays; ++a) {
        const CodebookAccess access(table, method, a);
        if (a == 0 && !access.source().rowScaleArray.empty()) {
            path.hasScale = true;
            path.scale = access.rowScale(row);
        }
        const int64_t r = access.arrayRow(row);
        if (r < 0)
            continue;
        for (int s = 0; s < access.stages(); ++s)
            for (int g = 0; g < access.groups(); ++g)
                path.codes.push_back({ a, s, g, access.code(r, s, g) });
    }
    return path;
}

TokenNeighbours computeTokenNeighbours(
    const QuantizedTable& table, const Matrix& original, int64_t row, int k, RunControl& control)
{
    checkRow(table, original, row, "token neighbours");
    if (k < 1)
        throw Error(ErrorKind::InvalidArgument, "", "token neighbours: k must be >= 1 (got " + std::to_string(k) + ")");
    const Quantizer& method = quantizer(table.spec.method);
    const int64_t dim = table.dim;
    const int threads = detail::metricThreads(control);
    TokenNeighbours out;
    out.row = row;
    out.k = k;

    const auto fromOriginal = [&](int64_t begin, int64_t, float*) { return original.row(begin); };
    writeList(nearestByCosine(original.row(row), row, table.rows, dim, k, threads, control, 0, fromOriginal), k,
        out.original, out.originalCosine);

    std::vector<float> query(static_cast<size_t>(dim));
    const int64_t self[1] = { row };
    method.decodeRows(table, self, query.data());
    const auto decoded = [&](int64_t begin, int64_t end, float* buffer) {
        std::vector<int64_t> ids(static_cast<size_t>(end - begin));
        for (int64_t r = begin; r < end; ++r)
            ids[static_cast<size_t>(r - begin)] = r;
        method.decodeRows(table, ids, buffer);
        return static_cast<const float*>(buffer);
    };
    writeList(nearestByCosine(query.data(), row, table.rows, dim, k, threads, control, 0.5, decoded), k,
        out.reconstructed, out.reconstructedCosine);

    const auto contains = [](const std::vector<int64_t>& list, int64_t r) {
        return std::find(list.begin(), list.end(), r) != list.end();
    };
    for (const int64_t r : out.original)
        if (r >= 0 && !contains(out.reconstructed, r))
            out.lost.push_back(r);
    for (const int64_t r : out.reconstructed)
        if (r >= 0 && !contains(out.original, r))
            out.gained.push_back(r);
    return out;
}

} // namespace vq
