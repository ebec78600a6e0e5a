#include "common/error.h"
#include "io/npyreader.h"
#include "stats/tablestats.h"
#include "testutil.h"

#include <QTest>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace {

vq::Matrix gloveSlice(int64_t rows)
{
    vq::Matrix all = vq::NpyReader(vqtest::samplePath("glove-20k.npy")).readMatrix("glove-20k", vq::nullRunControl());
    all.values.resize(static_cast<size_t>(rows * all.cols));
    all.rows = rows;
    return all;
}

bool close(double a, double b, double rel = 1e-9)
{
    return std::abs(a - b) <= rel * std::max(1.0, std::abs(b));
}

} // namespace

class TestTableStats : public QObject {
    Q_OBJECT
private slots:
    void handMadeMatrix()
    {
        const float nan = std::numeric_limits<float>::quiet_NaN();
        const float inf = std::numeric_limits<float>::infinity();
        vq::Matrix m(4, 3);
        m.values = { 3, 4, 0, /**/ 0, 0, 0, /**/ 1, 2, 2, /**/ nan, 1, inf };
        const vq::TableStats s = vq::computeTableStats(m, vq::nullRunControl(), 5);
        QCOMPARE(s.rows, int64_t(4));
        QCOMPARE(s.dim, int64_t(3));
        QCOMPARE(s.nanCount, int64_t(1));
        QCOMPARE(s.infCount, int64_t(1));
        QCOMPARE(s.nonFiniteRows, int64_t(1));
        // Finite values: 3 4 0 0 0 0 1 2 2 1.
        QVERIFY(close(s.mean, 1.3));
        QVERIFY(close(s.stddev, std::sqrt((3 * 3 + 4 * 4 + 1 + 4 + 4 + 1) / 10.0 - 1.3 * 1.3)));
        QCOMPARE(s.minValue, 0.0);
        QCOMPARE(s.maxValue, 4.0);
        QVERIFY(close(s.dimMean[0], 4.0 / 3));
        QVERIFY(close(s.dimMean[1], 7.0 / 4));
        QVERIFY(close(s.dimMean[2], 2.0 / 3));
        QVERIFY(close(s.dimStd[0], std::sqrt(14.0 / 9)));
        QVERIFY(close(s.dimStd[1], std::sqrt((4 * 4 + 2 * 2 + 1) / 4.0 - 49.0 / 16)));
        QVERIFY(close(s.dimStd[2], std::sqrt(4.0 / 3 - 4.0 / 9)));
        // Row norms of the finite rows: 5, 0, 3.
        const std::vector<std::pair<double, double>> expected = { { 0, 0 }, { 1, 0.06 }, { 5, 0.3 }, { 25, 1.5 },
            { 50, 3 }, { 75, 4 }, { 95, 4.8 }, { 99, 4.96 }, { 100, 5 } };
        QCOMPARE(s.rowNormPercentiles.size(), expected.size());
        for (size_t i = 0; i < expected.size(); ++i) {
            QCOMPARE(s.rowNormPercentiles[i].p, expected[i].first);
            QVERIFY2(close(s.rowNormPercentiles[i].value, expected[i].second), qPrintable(QString::number(i)));
        }
        QCOMPARE(s.rowNormHistogram.lo, 0.0);
        QCOMPARE(s.rowNormHistogram.hi, 5.0);
        QCOMPARE(s.rowNormHistogram.counts, (std::vector<int64_t> { 1, 0, 0, 1, 1 }));
        QVERIFY(s.outlierDims.empty());
        // Every row's norm, NaN for the row holding NaN and inf.
        QCOMPARE(s.rowNorms.size(), size_t(4));
        QCOMPARE(s.rowNorms[0], 5.0f);
        QCOMPARE(s.rowNorms[1], 0.0f);
        QCOMPARE(s.rowNorms[2], 3.0f);
        QVERIFY(std::isnan(s.rowNorms[3]));
    }

    void outlierColumns()
    {
        vq::Matrix m(40, 20);
        for (int64_t i = 0; i < m.rows; ++i)
            for (int64_t j = 0; j < m.cols; ++j)
                m.at(i, j) = static_cast<float>(((i * 7 + j * 13) % 11) - 5) / 5.0f;
        for (int64_t i = 0; i < m.rows; ++i) {
            m.at(i, 7) *= 10.0f; // scale outlier
            m.at(i, 3) += 5.0f; // mean outlier
            m.at(i, 12) -= 5.0f; // mean outlier, other sign
        }
        const vq::TableStats s = vq::computeTableStats(m, vq::nullRunControl());
        QCOMPARE(s.outlierDims, (std::vector<int64_t> { 3, 7, 12 }));
        QVERIFY(!s.outlierRule.empty());
    }

    void gloveAgainstIndependentComputation()
    {
        const vq::Matrix m = gloveSlice(3000);
        const vq::TableStats s = vq::computeTableStats(m, vq::nullRunControl(), 10);

        // Straightforward two-pass reference in long double.
        long double sum = 0;
        std::vector<long double> colSum(static_cast<size_t>(m.cols), 0);
        for (int64_t i = 0; i < m.rows; ++i)
            for (int64_t j = 0; j < m.cols; ++j) {
                sum += m.at(i, j);
                colSum[static_cast<size_t>(j)] += m.at(i, j);
            }
        const long double n = static_cast<long double>(m.rows * m.cols);
        const long double mean = sum / n;
        long double ss = 0;
        std::vector<long double> colSs(static_cast<size_t>(m.cols), 0);
        std::vector<double> norms;
        for (int64_t i = 0; i < m.rows; ++i) {
            long double sq = 0;
            for (int64_t j = 0; j < m.cols; ++j) {
                const long double x = m.at(i, j);
                ss += (x - mean) * (x - mean);
                const long double d = x - colSum[static_cast<size_t>(j)] / m.rows;
                colSs[static_cast<size_t>(j)] += d * d;
                sq += x * x;
            }
            norms.push_back(static_cast<double>(std::sqrt(sq)));
        }
        std::sort(norms.begin(), norms.end());
        QVERIFY(close(s.mean, static_cast<double>(mean), 1e-9));
        QVERIFY(close(s.stddev, static_cast<double>(std::sqrt(ss / n)), 1e-9));
        for (int64_t j = 0; j < m.cols; ++j) {
            QVERIFY(close(
                s.dimMean[static_cast<size_t>(j)], static_cast<double>(colSum[static_cast<size_t>(j)] / m.rows), 1e-9));
            QVERIFY(close(s.dimStd[static_cast<size_t>(j)],
                static_cast<double>(std::sqrt(colSs[static_cast<size_t>(j)] / m.rows)), 1e-9));
        }
        QCOMPARE(s.rowNormPercentiles.front().value, norms.front());
        QCOMPARE(s.rowNormPercentiles.back().value, norms.back());
        // p50 of 3000 values: halfway between the 1500th and 1501st smallest.
        QVERIFY(close(s.rowNormPercentiles[4].value, (norms[1499] + norms[1500]) / 2, 1e-12));
        int64_t total = 0;
        for (int64_t c : s.rowNormHistogram.counts)
            total += c;
        QCOMPARE(total, int64_t(3000));
        const auto inFirstBin = std::count_if(norms.begin(), norms.end(),
            [&](double x) { return x < norms.front() + (norms.back() - norms.front()) / 10; });
        QCOMPARE(s.rowNormHistogram.counts[0], static_cast<int64_t>(inFirstBin));
        QCOMPARE(s.nanCount + s.infCount + s.nonFiniteRows, int64_t(0));
    }

    void deterministicAcrossThreadCounts()
    {
        const vq::Matrix m = gloveSlice(20000);
        vq::RunControl one, three;
        one.threads = 1;
        three.threads = 3;
        const vq::TableStats a = vq::computeTableStats(m, one);
        const vq::TableStats b = vq::computeTableStats(m, three);
        QCOMPARE(std::bit_cast<uint64_t>(a.mean), std::bit_cast<uint64_t>(b.mean));
        QCOMPARE(std::bit_cast<uint64_t>(a.stddev), std::bit_cast<uint64_t>(b.stddev));
        QVERIFY(a.dimStd == b.dimStd);
        QVERIFY(a.dimMean == b.dimMean);
        QCOMPARE(a.outlierDims, b.outlierDims);
    }

    void cancelled()
    {
        vq::RunControl control;
        control.cancel();
        QVERIFY_THROWS_EXCEPTION(vq::Cancelled, vq::computeTableStats(gloveSlice(1000), control));
    }
};

QTEST_GUILESS_MAIN(TestTableStats)
#include "tst_tablestats.moc"
