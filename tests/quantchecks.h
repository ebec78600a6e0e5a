#pragma once

// Checks every quantization method must pass, shared by the method tests: reproducibility (same seed and
// thread count give bit-identical arrays), exact bit accounting (estimate() equals fit().bits()),
// token weights that pull the fit towards heavy rows, and cancellation.
// They use QtTest macros: call them directly from a test slot, then `if (QTest::currentTestFailed()) return;`.
#include "common/error.h"
#include "common/matrix.h"
#include "common/runcontrol.h"
#include "io/npyreader.h"
#include "quant/quantizer.h"
#include "testutil.h"

#include <QTest>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace vqtest {

// The leading rows and columns of a float .npy table (the real GloVe table, the fixtures).
inline vq::Matrix readNpySlice(const std::string& path, int64_t maxRows = -1, int64_t maxCols = -1)
{
    const vq::NpyReader reader(path);
    const vq::Matrix all = reader.readMatrix(reader.tensors().front().name, vq::nullRunControl());
    const int64_t rows = maxRows < 0 ? all.rows : std::min(all.rows, maxRows);
    const int64_t cols = maxCols < 0 ? all.cols : std::min(all.cols, maxCols);
    vq::Matrix out(rows, cols);
    for (int64_t r = 0; r < rows; ++r)
        std::copy_n(all.row(r), cols, out.row(r));
    return out;
}

// The first rows x cols of the real GloVe table (20000 x 100), read once per test executable. The
// default 96 columns let groups of 2, 3, 4, 6, 8, 12, 16, 24 ... divide the row.
inline vq::Matrix gloveSlice(int64_t rows, int64_t cols = 96)
{
    static const vq::Matrix all = readNpySlice(sharedPath("glove-20k.npy"));
    vq::Matrix m(rows, cols);
    for (int64_t i = 0; i < rows; ++i)
        std::copy_n(all.row(i), cols, m.row(i));
    return m;
}

// A real 256-column table (the K-quants need rows of 256-value super-blocks), made from the bundled GloVe
// sample as ggml's fixture was made from GloVe: row i joins rows i and i + 512 and the first 56 columns of
// row i + 1024 (rows <= 18976).
inline vq::Matrix gloveJoined256(int64_t rows)
{
    static const vq::Matrix sample = readNpySlice(sourcePath("resources/sample/glove-20k.npy"));
    vq::Matrix m(rows, 256);
    for (int64_t i = 0; i < rows; ++i) {
        std::copy_n(sample.row(i), 100, m.row(i));
        std::copy_n(sample.row(i + 512), 100, m.row(i) + 100);
        std::copy_n(sample.row(i + 1024), 56, m.row(i) + 200);
    }
    return m;
}

// A real table `q` accepts with its defaults: `narrow`, or for methods that refuse its width (those that
// need rows of 256-value super-blocks) ggml's 128 x 256 fixture table.
inline const vq::Matrix& realTableFor(const vq::Quantizer& q, const vq::Matrix& narrow)
{
    static const vq::Matrix wide = readNpySlice(dataPath("ggml/reference-128x256-f32.npy"));
    try {
        q.validate(vq::QuantSpec { q.name(), nlohmann::json::object() }, narrow.rows, narrow.cols);
        return narrow;
    } catch (const vq::Error&) {
        return wide;
    }
}

// The same with the first 512 rows and 96 columns of the GloVe fixture as `narrow` (96 = 3 * 32 and
// most group sizes divide it).
inline const vq::Matrix& realTableFor(const vq::Quantizer& q)
{
    static const vq::Matrix narrow = readNpySlice(dataPath("reference-512x100-f32.npy"), 512, 96);
    return realTableFor(q, narrow);
}

inline vq::QuantizedTable fitWith(const vq::Quantizer& q, const vq::Matrix& table, const vq::QuantSpec& spec,
    uint64_t seed, int threads, std::span<const float> weights = {})
{
    vq::RunControl control;
    control.seed = seed;
    control.threads = threads;
    return q.fit(vq::FitInput { table, weights }, spec, control);
}

// "" when a and b hold the same arrays bit for bit, else the first difference.
inline std::string arrayDifference(const vq::QuantizedTable& a, const vq::QuantizedTable& b)
{
    if (a.arrays.size() != b.arrays.size())
        return "different number of arrays";
    for (size_t i = 0; i < a.arrays.size(); ++i) {
        const vq::StoredArray& x = a.arrays[i];
        const vq::StoredArray& y = b.arrays[i];
        if (x.name != y.name || x.type != y.type || x.bitWidth != y.bitWidth || x.shape != y.shape)
            return "array " + x.name + ": different name, type or shape";
        if (x.ints != y.ints)
            return "array " + x.name + ": different integers";
        if (x.floats.size() != y.floats.size()
            || (!x.floats.empty()
                && std::memcmp(x.floats.data(), y.floats.data(), x.floats.size() * sizeof(float)) != 0))
            return "array " + x.name + ": different float bits";
    }
    return {};
}

// Fits twice with the same seed and thread count and expects bit-identical arrays.
inline void checkDeterministic(
    const vq::Quantizer& q, const vq::Matrix& table, const vq::QuantSpec& spec, uint64_t seed, int threads)
{
    const vq::QuantizedTable a = fitWith(q, table, spec, seed, threads);
    const vq::QuantizedTable b = fitWith(q, table, spec, seed, threads);
    const std::string diff = arrayDifference(a, b);
    QVERIFY2(diff.empty(), (q.name() + ", " + std::to_string(threads) + " threads: " + diff).c_str());
}

// Expects estimate() to give the same items and total as the budget of the arrays fit() stores.
inline void checkEstimateMatchesFit(const vq::Quantizer& q, const vq::Matrix& table, const vq::QuantSpec& spec)
{
    const vq::BitBudget estimated = q.estimate(spec, table.rows, table.cols);
    const vq::BitBudget stored = fitWith(q, table, spec, 1, 0).bits();
    const std::string what = q.name() + " " + spec.toJson().dump();
    QVERIFY2(estimated.totalBits() == stored.totalBits(),
        (what + ": estimate " + std::to_string(estimated.totalBits()) + " bits, stored "
            + std::to_string(stored.totalBits()))
            .c_str());
    QCOMPARE(estimated.items.size(), stored.items.size());
    for (size_t i = 0; i < stored.items.size(); ++i) {
        QCOMPARE(estimated.items[i].label, stored.items[i].label);
        QCOMPARE(estimated.items[i].bits, stored.items[i].bits);
    }
    QCOMPARE(estimated.rows, table.rows);
    QCOMPARE(estimated.dim, table.cols);
}

// Squared-error ratio ||E - Ê||^2 / ||E||^2 in double.
inline double relativeMse(const vq::Matrix& e, const vq::Matrix& d)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < e.values.size(); ++i) {
        const double diff = static_cast<double>(e.values[i]) - static_cast<double>(d.values[i]);
        num += diff * diff;
        den += static_cast<double>(e.values[i]) * static_cast<double>(e.values[i]);
    }
    return num / den;
}

// Expects estimate() and fit() on table to refuse spec with vq::Error, fit() before it reports progress.
inline void checkRefusedBeforeWork(const vq::Quantizer& q, const vq::Matrix& table, const vq::QuantSpec& spec)
{
    QVERIFY_THROWS_EXCEPTION(vq::Error, q.estimate(spec, table.rows, table.cols));
    vq::RunControl control;
    int reports = 0;
    control.setProgressCallback([&](std::string_view, double) { ++reports; });
    QVERIFY_THROWS_EXCEPTION(vq::Error, q.fit({ table, {} }, spec, control));
    QCOMPARE(reports, 0);
}

// Squared error on the first heavyRows rows of e, fitted (seed 1) without token weights and with weight
// heavyWeight on those rows (1 on the others).
struct HeavyRowErrors {
    double uniform = 0;
    double weighted = 0;
};
inline HeavyRowErrors heavyRowErrors(const vq::Quantizer& q, const vq::Matrix& e, const vq::QuantSpec& spec,
    int64_t heavyRows, float heavyWeight = 30.0f)
{
    std::vector<float> w(static_cast<size_t>(e.rows), 1.0f);
    std::fill(w.begin(), w.begin() + heavyRows, heavyWeight);
    const vq::Matrix plain = fitWith(q, e, spec, 1, 0).decodeAll();
    const vq::Matrix weighted = fitWith(q, e, spec, 1, 0, w).decodeAll();
    const auto headError = [&](const vq::Matrix& d) {
        double s = 0;
        for (int64_t i = 0; i < heavyRows * e.cols; ++i)
            s += double(e.values[size_t(i)] - d.values[size_t(i)]) * (e.values[size_t(i)] - d.values[size_t(i)]);
        return s;
    };
    return { headError(plain), headError(weighted) };
}

// Cancels fit() at its cancelAt-th progress report and expects vq::Cancelled.
inline void checkCancelsAtReport(const vq::Quantizer& q, const vq::Matrix& e, const vq::QuantSpec& spec, int cancelAt)
{
    vq::RunControl control;
    int reports = 0;
    control.setProgressCallback([&](std::string_view, double) {
        if (++reports == cancelAt)
            control.cancel();
    });
    QVERIFY_THROWS_EXCEPTION(vq::Cancelled, q.fit({ e, {} }, spec, control));
}

} // namespace vqtest
