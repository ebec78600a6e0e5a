#include "common/error.h"
#include "stats/tablestats.h"
#include "synth/synthetictable.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace {

vq::SyntheticSpec smallSpec()
{
    vq::SyntheticSpec spec;
    spec.rows = 6000;
    spec.dim = 256;
    spec.rank = 16;
    spec.seed = 42;
    return spec;
}

vq::Matrix generate(const vq::SyntheticSpec& spec, int threads)
{
    vq::RunControl control;
    control.threads = threads;
    return vq::generateSyntheticTable(spec, control);
}

double rowNorm(const vq::Matrix& m, int64_t i)
{
    double s = 0;
    for (int64_t j = 0; j < m.cols; ++j)
        s += double(m.at(i, j)) * m.at(i, j);
    return std::sqrt(s);
}

} // namespace

class TestSyntheticTable : public QObject {
    Q_OBJECT
private slots:
    void deterministicAcrossThreadCounts()
    {
        const vq::SyntheticSpec spec = smallSpec();
        const vq::Matrix one = generate(spec, 1);
        QCOMPARE(one.rows, spec.rows);
        QCOMPARE(one.cols, spec.dim);
        for (int threads : { 2, 3, 5 }) {
            const vq::Matrix other = generate(spec, threads);
            QVERIFY2(std::memcmp(one.values.data(), other.values.data(), one.values.size() * sizeof(float)) == 0,
                qPrintable(QStringLiteral("differs with %1 threads").arg(threads)));
        }
        vq::SyntheticSpec reseeded = spec;
        reseeded.seed = 43;
        QVERIFY(generate(reseeded, 2).values != one.values);
    }

    void heavyTailedRowNorms()
    {
        // Non-rare rows only: their log-norms carry Student-t(3) noise, so the far tail of the norm
        // distribution stretches well beyond what Gaussian log-norm noise of the same spread gives.
        const vq::SyntheticSpec spec = smallSpec();
        const vq::Matrix m = generate(spec, 2);
        const int64_t common = spec.rows - static_cast<int64_t>(spec.rareFraction * spec.rows);
        std::vector<double> logs;
        for (int64_t i = 0; i < common; ++i)
            logs.push_back(std::log(rowNorm(m, i)));
        double mean = 0;
        for (double x : logs)
            mean += x;
        mean /= logs.size();
        double m2 = 0, m4 = 0;
        for (double x : logs) {
            m2 += (x - mean) * (x - mean);
            m4 += std::pow(x - mean, 4);
        }
        m2 /= logs.size();
        m4 /= logs.size();
        const double kurtosis = m4 / (m2 * m2);
        // A Gaussian has kurtosis 3; a Student-t(3) sample (capped at 12 sigma of the spread) is far above.
        QVERIFY2(kurtosis > 6.0, // measured 19.6 for seed 42
            qPrintable(QString::number(kurtosis)));
        std::sort(logs.begin(), logs.end());
        const double spread = logs[logs.size() * 3 / 4] - logs[logs.size() / 4];
        const double tail = logs.back() - logs[logs.size() / 2];
        QVERIFY2(tail > 4 * spread, // measured 2.47 against an interquartile range of 0.225
            qPrintable(QStringLiteral("%1 %2").arg(tail).arg(spread)));
    }

    void outlierDimensionsAreFound()
    {
        const vq::SyntheticSpec spec = smallSpec();
        const vq::Matrix m = generate(spec, 2);
        const vq::TableStats s = vq::computeTableStats(m, vq::nullRunControl());
        QCOMPARE(static_cast<int>(s.outlierDims.size()), spec.outlierDims);
        std::vector<double> stds = s.dimStd;
        std::nth_element(stds.begin(), stds.begin() + stds.size() / 2, stds.end());
        const double medianStd = stds[stds.size() / 2];
        for (int64_t d : s.outlierDims)
            QVERIFY(s.dimStd[static_cast<size_t>(d)] > 0.5 * spec.outlierScale * medianStd); // measured 6.5x to 8.0x
    }

    void rareRowsClusterAndDimensionsCorrelate()
    {
        const vq::SyntheticSpec spec = smallSpec();
        const vq::Matrix m = generate(spec, 2);
        const int64_t firstRare = spec.rows - static_cast<int64_t>(spec.rareFraction * spec.rows);
        // Mean distance to the centroid of each group: rare rows sit in a much tighter cloud.
        const auto spreadOf = [&](int64_t a, int64_t b) {
            std::vector<double> c(static_cast<size_t>(m.cols), 0);
            for (int64_t i = a; i < b; ++i)
                for (int64_t j = 0; j < m.cols; ++j)
                    c[static_cast<size_t>(j)] += m.at(i, j) / double(b - a);
            double d = 0;
            for (int64_t i = a; i < b; ++i) {
                double s = 0;
                for (int64_t j = 0; j < m.cols; ++j)
                    s += std::pow(m.at(i, j) - c[static_cast<size_t>(j)], 2);
                d += std::sqrt(s) / double(b - a);
            }
            return d;
        };
        QVERIFY(spreadOf(firstRare, spec.rows) < 0.2 * spreadOf(0, firstRare)); // measured 0.050 vs 0.517
        // Low-rank structure: the mean |correlation| between column pairs is far above the ~1/sqrt(rows)
        // of independent columns.
        double sumAbs = 0;
        int pairs = 0;
        for (int64_t a = 0; a < 40; ++a) {
            for (int64_t b = a + 1; b < 40; ++b) {
                double ma = 0, mb = 0;
                for (int64_t i = 0; i < firstRare; ++i) {
                    ma += m.at(i, a);
                    mb += m.at(i, b);
                }
                ma /= firstRare;
                mb /= firstRare;
                double sab = 0, saa = 0, sbb = 0;
                for (int64_t i = 0; i < firstRare; ++i) {
                    sab += (m.at(i, a) - ma) * (m.at(i, b) - mb);
                    saa += std::pow(m.at(i, a) - ma, 2);
                    sbb += std::pow(m.at(i, b) - mb, 2);
                }
                sumAbs += std::abs(sab / std::sqrt(saa * sbb));
                ++pairs;
            }
        }
        QVERIFY2(sumAbs / pairs > 0.05, // measured 0.131; independent columns give about 0.01
            qPrintable(QString::number(sumAbs / pairs)));
    }

    void invalidSpecAndCancel()
    {
        vq::SyntheticSpec spec = smallSpec();
        spec.rank = spec.dim + 1;
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::generateSyntheticTable(spec, vq::nullRunControl()));
        vq::RunControl control;
        control.cancel();
        QVERIFY_THROWS_EXCEPTION(vq::Cancelled, vq::generateSyntheticTable(smallSpec(), control));
    }
};

QTEST_GUILESS_MAIN(TestSyntheticTable)
#include "tst_synthetictable.moc"
