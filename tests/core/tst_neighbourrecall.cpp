#include "common/error.h"
#include "metrics/neighbourrecall.h"
#include "quantchecks.h"
#include "randomtables.h"
#include "testutil.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace vq;

namespace {

// Brute force in double: all cosines of row q, sorted by (cosine desc, row asc), self and zero rows out.
std::vector<int64_t> referenceNearest(const Matrix& m, int64_t q, int k)
{
    auto norm = [&](int64_t t) {
        double s = 0;
        for (int64_t j = 0; j < m.cols; ++j)
            s += double(m.at(t, j)) * m.at(t, j);
        return std::sqrt(s);
    };
    const double nq = norm(q);
    std::vector<std::pair<double, int64_t>> all;
    for (int64_t t = 0; t < m.rows; ++t) {
        const double nt = norm(t);
        if (t == q || nt == 0)
            continue;
        double dot = 0;
        for (int64_t j = 0; j < m.cols; ++j)
            dot += double(m.at(q, j)) * m.at(t, j);
        all.push_back({ -dot / (nq * nt), t });
    }
    std::sort(all.begin(), all.end());
    std::vector<int64_t> out;
    for (int i = 0; i < k; ++i)
        out.push_back(all[i].second);
    return out;
}

} // namespace

class TestNeighbourRecall : public QObject {
    Q_OBJECT

private slots:
    void scaleInvariant_data()
    {
        QTest::addColumn<float>("scale");
        QTest::newRow("identical") << 1.f;
        QTest::newRow("doubled") << 2.f;
        QTest::newRow("quartered") << 0.25f;
    }

    // Cosine ignores the scale: Ê = sE keeps every neighbour list, so recall is exactly 1.
    void scaleInvariant()
    {
        QFETCH(float, scale);
        const Matrix e = vqtest::randomMatrix(500, 12, 1);
        Matrix r = e;
        for (float& v : r.values)
            v *= scale;
        NeighbourRecallOptions options;
        options.queries = 100;
        const NeighbourRecall n = computeNeighbourRecall(e, r, options, nullRunControl());
        QCOMPARE(n.k, 10);
        QCOMPARE(n.queryRows.size(), size_t(100));
        QCOMPARE(n.mean, 1.0);
        QCOMPARE(n.min, 1.0);
        QVERIFY(n.refNeighbours == n.reconNeighbours);
        QVERIFY(std::is_sorted(n.queryRows.begin(), n.queryRows.end()));
        QVERIFY(std::adjacent_find(n.queryRows.begin(), n.queryRows.end()) == n.queryRows.end());
    }

    // Against a brute-force double-precision search on small random data, block sizes that do and do
    // not divide the row count.
    void matchesBruteForce_data()
    {
        QTest::addColumn<int>("k");
        QTest::addColumn<qint64>("blockRows");
        QTest::newRow("k10 block 64") << 10 << qint64(64);
        QTest::newRow("k10 one block") << 10 << qint64(100000);
        QTest::newRow("k1 block 7") << 1 << qint64(7);
        QTest::newRow("k25 block 100") << 25 << qint64(100);
    }

    void matchesBruteForce()
    {
        QFETCH(int, k);
        QFETCH(qint64, blockRows);
        const Matrix e = vqtest::randomMatrix(300, 16, 2);
        const Matrix r = vqtest::withNoise(e, 0.4, 3);
        NeighbourRecallOptions options;
        options.k = k;
        options.queries = 60;
        options.blockRows = blockRows;
        RunControl control;
        control.seed = 99;
        const NeighbourRecall n = computeNeighbourRecall(e, r, options, control);
        QCOMPARE(n.queryRows.size(), size_t(60));
        double sum = 0;
        for (size_t i = 0; i < n.queryRows.size(); ++i) {
            const int64_t q = n.queryRows[i];
            const std::vector<int64_t> a = referenceNearest(e, q, k);
            const std::vector<int64_t> b = referenceNearest(r, q, k);
            QVERIFY(std::equal(a.begin(), a.end(), n.refNeighbours.begin() + i * k));
            QVERIFY(std::equal(b.begin(), b.end(), n.reconNeighbours.begin() + i * k));
            std::vector<int64_t> sa = a, sb = b, common;
            std::sort(sa.begin(), sa.end());
            std::sort(sb.begin(), sb.end());
            std::set_intersection(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(common));
            const double recall = double(common.size()) / k;
            QVERIFY(std::abs(n.perQuery[i] - recall) < 1e-9);
            sum += recall;
        }
        QVERIFY(std::abs(n.mean - sum / 60) < 1e-9);
        QVERIFY(n.mean < 1.0); // noise 0.4 in 16 dims must move some neighbours
    }

    void seededSample()
    {
        const Matrix e = vqtest::randomMatrix(400, 4, 4);
        NeighbourRecallOptions options;
        options.queries = 50;
        RunControl a;
        a.seed = 1;
        RunControl b;
        b.seed = 1;
        RunControl c;
        c.seed = 2;
        const auto qa = computeNeighbourRecall(e, e, options, a).queryRows;
        QVERIFY(qa == computeNeighbourRecall(e, e, options, b).queryRows);
        QVERIFY(qa != computeNeighbourRecall(e, e, options, c).queryRows);
        options.queries = 1000; // more than rows: every row is a query
        QCOMPARE(computeNeighbourRecall(e, e, options, a).queryRows.size(), size_t(400));
    }

    // Zero rows are never neighbours nor queries; a row that collapses to zero in Ê has recall 0.
    void zeroRows()
    {
        Matrix e = vqtest::randomMatrix(30, 3, 5);
        std::fill(e.row(4), e.row(4) + 3, 0.f);
        Matrix r = e;
        std::fill(r.row(7), r.row(7) + 3, 0.f);
        NeighbourRecallOptions options;
        options.k = 3;
        options.queries = 100;
        const NeighbourRecall n = computeNeighbourRecall(e, r, options, nullRunControl());
        QCOMPARE(n.queryRows.size(), size_t(29));
        QVERIFY(std::find(n.queryRows.begin(), n.queryRows.end(), 4) == n.queryRows.end());
        QVERIFY(std::find(n.refNeighbours.begin(), n.refNeighbours.end(), 4) == n.refNeighbours.end());
        QVERIFY(std::find(n.reconNeighbours.begin(), n.reconNeighbours.end(), 7) == n.reconNeighbours.end());
        const size_t i7 = std::find(n.queryRows.begin(), n.queryRows.end(), 7) - n.queryRows.begin();
        QCOMPARE(n.perQuery[i7], 0.0);
        QCOMPARE(n.reconNeighbours[i7 * 3], int64_t(-1));
        QCOMPARE(n.min, 0.0);
    }

    // The E-side reference kept across fits gives the same result as the one-shot call.
    void keptReference()
    {
        const Matrix e = vqtest::randomMatrix(300, 8, 11);
        const Matrix r = vqtest::withNoise(e, 0.3, 12);
        NeighbourRecallOptions options;
        options.queries = 70;
        options.k = 7;
        const NeighbourReference ref = computeNeighbourReference(e, options, nullRunControl());
        QCOMPARE(ref.queryRows.size(), size_t(70));
        QCOMPARE(ref.neighbours.size(), size_t(70 * 7));
        const NeighbourRecall a = computeNeighbourRecall(ref, r, options, nullRunControl());
        const NeighbourRecall b = computeNeighbourRecall(e, r, options, nullRunControl());
        QVERIFY(a.perQuery == b.perQuery);
        QVERIFY(a.reconNeighbours == b.reconNeighbours);
        QCOMPARE(a.mean, b.mean);
        QVERIFY(a.mean < 1.0);
        QVERIFY_THROWS_EXCEPTION(
            Error, computeNeighbourRecall(ref, vqtest::randomMatrix(300, 9, 1), options, nullRunControl()));
    }

    void rejectsBadInput()
    {
        const Matrix e = vqtest::randomMatrix(10, 3, 6);
        NeighbourRecallOptions options;
        options.k = 10; // only 9 other rows
        QVERIFY_THROWS_EXCEPTION(Error, computeNeighbourRecall(e, e, options, nullRunControl()));
        options.k = 0;
        QVERIFY_THROWS_EXCEPTION(Error, computeNeighbourRecall(e, e, options, nullRunControl()));
        options.k = 3;
        QVERIFY_THROWS_EXCEPTION(
            Error, computeNeighbourRecall(e, vqtest::randomMatrix(9, 3, 7), options, nullRunControl()));
        RunControl control;
        control.cancel();
        QVERIFY_THROWS_EXCEPTION(Cancelled, computeNeighbourRecall(e, e, options, control));
    }

    // Real GloVe rows with growing additive noise: recall@10 falls monotonically. Measured with 1000
    // queries over the 20000 rows (element RMS about 0.54): sigma 0.05 -> 0.9084, 0.1 -> 0.8248,
    // 0.2 -> 0.6632, 0.4 -> 0.3586.
    void gloveNoise()
    {
        const Matrix e = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"));
        NeighbourRecallOptions options;
        double previous = computeNeighbourRecall(e, e, options, nullRunControl()).mean;
        QCOMPARE(previous, 1.0);
        const double sigmas[] = { 0.05, 0.1, 0.2, 0.4 };
        for (double sigma : sigmas) {
            const NeighbourRecall n
                = computeNeighbourRecall(e, vqtest::withNoise(e, sigma, 8), options, nullRunControl());
            qInfo("sigma %.2f: recall@10 %.4f (worst query %.1f)", sigma, n.mean, n.min);
            QVERIFY(n.mean < previous);
            previous = n.mean;
        }
        QVERIFY(previous > 0.3 && previous < 0.42);
    }
};

QTEST_GUILESS_MAIN(TestNeighbourRecall)
#include "tst_neighbourrecall.moc"
