#include "common/error.h"
#include "metrics/logitfidelity.h"
#include "quantchecks.h"
#include "randomtables.h"
#include "testutil.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <random>

using namespace vq;

namespace {

// Small integers: every float dot product of these is exact, so the float GEMM and a double
// reference see identical logits and may be compared to 1e-9.
Matrix integerMatrix(int64_t rows, int64_t cols, int range, uint64_t seed)
{
    Matrix m(rows, cols);
    std::mt19937_64 rng(seed);
    for (float& v : m.values)
        v = static_cast<float>(static_cast<int>(rng() % (2 * range + 1)) - range);
    return m;
}

struct Reference {
    double kl = 0;
    int64_t top1p = 0;
    int64_t top1q = 0;
    double overlap = 0;
};

std::vector<int64_t> topIndices(const std::vector<double>& z, int k)
{
    std::vector<int64_t> idx(z.size());
    for (size_t j = 0; j < z.size(); ++j)
        idx[j] = static_cast<int64_t>(j);
    std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return z[a] > z[b]; });
    idx.resize(k);
    return idx;
}

// Brute force: logits in double, softmax in double, KL = sum p (log p - log q) term by term.
Reference reference(const Matrix& e, const Matrix& r, const float* h, double scale, int k)
{
    std::vector<double> zp(e.rows), zq(e.rows);
    for (int64_t j = 0; j < e.rows; ++j) {
        double a = 0, b = 0;
        for (int64_t c = 0; c < e.cols; ++c) {
            a += double(h[c]) * e.at(j, c);
            b += double(h[c]) * r.at(j, c);
        }
        zp[j] = scale * a;
        zq[j] = scale * b;
    }
    auto logSoftmax = [](std::vector<double> z) {
        const double m = *std::max_element(z.begin(), z.end());
        double s = 0;
        for (double v : z)
            s += std::exp(v - m);
        for (double& v : z)
            v -= m + std::log(s);
        return z;
    };
    const std::vector<double> lp = logSoftmax(zp), lq = logSoftmax(zq);
    Reference out;
    for (size_t j = 0; j < lp.size(); ++j)
        out.kl += std::exp(lp[j]) * (lp[j] - lq[j]);
    const std::vector<int64_t> tp = topIndices(zp, k), tq = topIndices(zq, k);
    out.top1p = tp[0];
    out.top1q = tq[0];
    int common = 0;
    for (int64_t a : tp)
        common += std::count(tq.begin(), tq.end(), a) ? 1 : 0;
    out.overlap = double(common) / k;
    return out;
}

} // namespace

class TestLogitFidelity : public QObject {
    Q_OBJECT

private slots:
    void identicalTables_data()
    {
        QTest::addColumn<bool>("hidden");
        QTest::newRow("sampled rows") << false;
        QTest::newRow("hidden states") << true;
    }

    void identicalTables()
    {
        QFETCH(bool, hidden);
        const Matrix e = vqtest::randomMatrix(400, 20, 1);
        const Matrix h = vqtest::randomMatrix(30, 20, 2);
        LogitFidelityOptions options;
        options.queries = 50;
        if (hidden)
            options.hiddenStates = &h;
        const LogitFidelity f = computeLogitFidelity(e, e, options, nullRunControl());
        QCOMPARE(f.queries, hidden ? int64_t(30) : int64_t(50));
        QCOMPARE(f.sampledRows, !hidden);
        QCOMPARE(f.scaling, hidden ? QueryScaling::None : QueryScaling::UnitNorm);
        QCOMPARE(f.meanKl, 0.0);
        QCOMPARE(f.maxKl, 0.0);
        QCOMPARE(f.top1Agreement, 1.0);
        QCOMPARE(f.topKOverlap, 1.0);
        QVERIFY(f.meanRefEntropy > 0 && f.meanRefEntropy < std::log(400.0));
    }

    // Against the brute-force reference on integer data (exact logits), with a reconstruction that
    // moves some entries, scale 1/16 so the softmax is neither flat nor one-hot.
    void matchesBruteForce_data()
    {
        QTest::addColumn<int>("topK");
        QTest::addColumn<qint64>("scratch");
        QTest::newRow("top5, one chunk") << 5 << (qint64(1) << 26);
        QTest::newRow("top5, chunks of 3") << 5 << qint64(3 * 2 * 200);
        QTest::newRow("top1, chunks of 1") << 1 << qint64(1);
        QTest::newRow("top20") << 20 << (qint64(1) << 26);
    }

    void matchesBruteForce()
    {
        QFETCH(int, topK);
        QFETCH(qint64, scratch);
        const Matrix e = integerMatrix(200, 16, 3, 3);
        Matrix r = e;
        const Matrix noise = integerMatrix(200, 16, 1, 4);
        for (size_t i = 0; i < r.values.size(); ++i)
            r.values[i] += noise.values[i];
        const Matrix h = integerMatrix(40, 16, 2, 5);
        LogitFidelityOptions options;
        options.hiddenStates = &h;
        options.logitScale = 1.0 / 16;
        options.topK = topK;
        options.maxScratchFloats = scratch;
        const LogitFidelity f = computeLogitFidelity(e, r, options, nullRunControl());
        QCOMPARE(f.logitScale, 1.0 / 16);
        double klSum = 0, agree = 0, overlap = 0;
        for (int64_t i = 0; i < h.rows; ++i) {
            const Reference ref = reference(e, r, h.row(i), 1.0 / 16, topK);
            QVERIFY2(std::abs(f.perQueryKl[i] - ref.kl) < 1e-9, qPrintable(QString::number(f.perQueryKl[i] - ref.kl)));
            QCOMPARE(f.refTop1[i], ref.top1p);
            QCOMPARE(f.reconTop1[i], ref.top1q);
            QCOMPARE(f.perQueryTopKOverlap[i], ref.overlap);
            klSum += ref.kl;
            agree += ref.top1p == ref.top1q;
            overlap += ref.overlap;
        }
        QVERIFY(std::abs(f.meanKl - klSum / 40) < 1e-9);
        QVERIFY(f.meanKl > 0.01); // the perturbation is not negligible
        QCOMPARE(f.top1Agreement, agree / 40);
        QVERIFY(std::abs(f.topKOverlap - overlap / 40) < 1e-12);
        QVERIFY(f.top1Agreement < 1.0);
    }

    // Unit-norm scaling ignores the query's length; with no scaling, doubling the query is doubling
    // the logit scale. Powers of two keep both comparisons exact.
    void scaling()
    {
        const Matrix e = vqtest::randomMatrix(300, 12, 6);
        const Matrix r = vqtest::randomMatrix(300, 12, 7);
        const Matrix h = vqtest::randomMatrix(10, 12, 8);
        Matrix h4 = h;
        for (float& v : h4.values)
            v *= 4;
        LogitFidelityOptions options;
        options.hiddenStates = &h;
        options.scaling = QueryScaling::UnitNorm;
        options.logitScale = 3;
        const LogitFidelity a = computeLogitFidelity(e, r, options, nullRunControl());
        options.hiddenStates = &h4;
        const LogitFidelity b = computeLogitFidelity(e, r, options, nullRunControl());
        QVERIFY(a.perQueryKl == b.perQueryKl);
        QVERIFY(a.meanKl > 0);

        options.scaling = QueryScaling::None;
        options.logitScale = 1;
        const LogitFidelity c = computeLogitFidelity(e, r, options, nullRunControl()); // 4h, scale 1
        options.hiddenStates = &h;
        options.logitScale = 4;
        const LogitFidelity d = computeLogitFidelity(e, r, options, nullRunControl()); // h, scale 4
        QVERIFY(c.perQueryKl == d.perQueryKl);
        QVERIFY(c.meanKl != a.meanKl);
    }

    // The automatic scale for sampled rows: sqrt(dim) / rms row norm of E.
    void automaticScale()
    {
        Matrix e(4, 9);
        for (int64_t t = 0; t < 4; ++t)
            e.at(t, t) = t < 2 ? 1.f : 3.f; // squared norms 1, 1, 9, 9: rms norm sqrt(5)
        LogitFidelityOptions options;
        options.topK = 2;
        const LogitFidelity f = computeLogitFidelity(e, e, options, nullRunControl());
        QCOMPARE(f.logitScale, 3.0 / std::sqrt(5.0));
        QCOMPARE(f.queries, int64_t(4));
        options.scaling = QueryScaling::None;
        QCOMPARE(computeLogitFidelity(e, e, options, nullRunControl()).logitScale, 1.0);
    }

    void rejectsBadInput()
    {
        const Matrix e = vqtest::randomMatrix(10, 4, 9);
        const Matrix h = vqtest::randomMatrix(3, 5, 10);
        LogitFidelityOptions options;
        QVERIFY_THROWS_EXCEPTION(
            Error, computeLogitFidelity(e, vqtest::randomMatrix(10, 5, 1), options, nullRunControl()));
        options.hiddenStates = &h;
        QVERIFY_THROWS_EXCEPTION(Error, computeLogitFidelity(e, e, options, nullRunControl()));
        options.hiddenStates = nullptr;
        options.topK = 11;
        QVERIFY_THROWS_EXCEPTION(Error, computeLogitFidelity(e, e, options, nullRunControl()));
        options.topK = 5;
        options.logitScale = -1;
        QVERIFY_THROWS_EXCEPTION(Error, computeLogitFidelity(e, e, options, nullRunControl()));
        options.logitScale = 0;
        RunControl control;
        control.cancel();
        QVERIFY_THROWS_EXCEPTION(Cancelled, computeLogitFidelity(e, e, options, control));
    }

    // GloVe with growing additive noise: KL grows as sigma^2 (small logit changes: KL is half the
    // variance of the change under p) and top-1 agreement falls. Measured with 256 sampled rows over the
    // 20000 rows, automatic scale 1.85, mean H(p) 7.145 nats (log 20000 = 9.9):
    // sigma 0.05: KL 0.00408, top-1 0.984, top-5 0.924;  0.1: 0.01631, 0.980, 0.852;
    // 0.2: 0.06514, 0.953, 0.755;  0.4: 0.25970, 0.887, 0.572.
    void gloveNoise()
    {
        const Matrix e = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"));
        const LogitFidelityOptions options;
        double previousKl = 0;
        double previousTop1 = 1;
        const double sigmas[] = { 0.05, 0.1, 0.2, 0.4 };
        for (double sigma : sigmas) {
            const Matrix r = vqtest::withNoise(e, sigma, 12);
            const LogitFidelity f = computeLogitFidelity(e, r, options, nullRunControl());
            qInfo("sigma %.2f: KL %.5f nats (max %.4f), top-1 %.4f, top-5 %.4f, H(p) %.3f nats, scale %.4f", sigma,
                f.meanKl, f.maxKl, f.top1Agreement, f.topKOverlap, f.meanRefEntropy, f.logitScale);
            if (previousKl > 0) // doubling sigma: 4x the KL, measured 3.99 to 4.00
                QVERIFY(f.meanKl / previousKl > 3.7 && f.meanKl / previousKl < 4.3);
            QVERIFY(f.top1Agreement <= previousTop1);
            QVERIFY(f.topKOverlap < f.top1Agreement);
            previousKl = f.meanKl;
            previousTop1 = f.top1Agreement;
        }
    }
};

QTEST_GUILESS_MAIN(TestLogitFidelity)
#include "tst_logitfidelity.moc"
