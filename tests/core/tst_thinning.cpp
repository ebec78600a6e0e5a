#include "common/error.h"
#include "metrics/thinning.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <random>

using namespace vq;

class TestThinning : public QObject {
    Q_OBJECT

private slots:
    void shortSeriesIsKept()
    {
        const std::vector<float> v { 3, 1, std::numeric_limits<float>::quiet_NaN(), 2 };
        const std::vector<PlotPoint> p = thinForPlot(v, 10);
        QCOMPARE(p.size(), size_t(3));
        QCOMPARE(p[0].index, int64_t(0));
        QCOMPARE(p[2].index, int64_t(3));
        QCOMPARE(p[2].value, 2.f);
    }

    // A table-sized series with one spike and one dip: both survive a reduction to 1000 points.
    void spikesSurvive_data()
    {
        QTest::addColumn<qint64>("maxPoints");
        QTest::newRow("1000") << qint64(1000);
        QTest::newRow("2") << qint64(2);
        QTest::newRow("999") << qint64(999);
    }

    void spikesSurvive()
    {
        QFETCH(qint64, maxPoints);
        std::vector<float> v(128256, 0.5f);
        v[77777] = 5.f;
        v[100] = -3.f;
        const std::vector<PlotPoint> p = thinForPlot(v, maxPoints);
        QVERIFY(static_cast<qint64>(p.size()) <= maxPoints);
        bool spike = false;
        bool dip = false;
        for (size_t i = 0; i < p.size(); ++i) {
            spike = spike || (p[i].index == 77777 && p[i].value == 5.f);
            dip = dip || (p[i].index == 100 && p[i].value == -3.f);
            if (i > 0)
                QVERIFY(p[i].index > p[i - 1].index);
        }
        QVERIFY(spike);
        QVERIFY(dip);
    }

    // Every bucket's min and max against a direct computation, on random data.
    void bucketExtremes()
    {
        std::mt19937 rng(3);
        std::uniform_real_distribution<float> u(0, 1);
        std::vector<float> v(10007);
        for (float& x : v)
            x = u(rng);
        const int64_t buckets = 50;
        const std::vector<PlotPoint> p = thinForPlot(v, 2 * buckets);
        QCOMPARE(p.size(), size_t(2 * buckets)); // random data: min and max never coincide
        for (int64_t b = 0; b < buckets; ++b) {
            const int64_t begin = b * 10007 / buckets, end = (b + 1) * 10007 / buckets;
            const auto [mn, mx] = std::minmax_element(v.begin() + begin, v.begin() + end);
            const PlotPoint& first = p[2 * b];
            const PlotPoint& second = p[2 * b + 1];
            QCOMPARE(std::min(first.value, second.value), *mn);
            QCOMPARE(std::max(first.value, second.value), *mx);
            QVERIFY(first.index >= begin && second.index < end);
        }
    }

    void nanBucketsAreSkipped()
    {
        std::vector<float> v(100, std::numeric_limits<float>::quiet_NaN());
        v[95] = 1.f;
        const std::vector<PlotPoint> p = thinForPlot(v, 10); // 5 buckets of 20, only the last has a value
        QCOMPARE(p.size(), size_t(1));
        QCOMPARE(p[0].index, int64_t(95));
    }

    void linearHistogram()
    {
        std::vector<float> v;
        for (int i = 0; i < 100; ++i)
            v.push_back(static_cast<float>(i));
        v.push_back(std::numeric_limits<float>::infinity());
        v.push_back(std::numeric_limits<float>::quiet_NaN());
        HistogramOptions o;
        o.bins = 11; // range [0, 99], width 9: bin i holds 9i..9i+8, the last also 99
        const PlotHistogram h = makeHistogram(v, o);
        QCOMPARE(h.lo, 0.0);
        QCOMPARE(h.hi, 99.0);
        std::vector<int64_t> expected(11, 9);
        expected.back() = 10;
        QCOMPARE(h.counts, expected);
        QCOMPARE(h.nonFinite, int64_t(2));
        QCOMPARE(h.edge(1), 9.0);
        QCOMPARE(h.edge(11), 99.0);

        o.bins = 4;
        o.lo = 10;
        o.hi = 50; // the last bin includes 50
        const PlotHistogram r = makeHistogram(v, o);
        QCOMPARE(r.counts, (std::vector<int64_t> { 10, 10, 10, 11 }));
        QCOMPARE(r.below, int64_t(10));
        QCOMPARE(r.above, int64_t(49));
    }

    void logHistogram()
    {
        const std::vector<float> v { 0.f, -1.f, 1.f, 5.f, 10.f, 99.f, 100.f, 1000.f };
        HistogramOptions o;
        o.bins = 3;
        o.logScale = true;
        const PlotHistogram h = makeHistogram(v, o);
        QCOMPARE(h.lo, 1.0);
        QCOMPARE(h.hi, 1000.0);
        QCOMPARE(h.counts, (std::vector<int64_t> { 2, 2, 2 }));
        QCOMPARE(h.below, int64_t(2));
        QVERIFY(std::abs(h.edge(1) - 10.0) < 1e-12);
    }

    void degenerateRanges()
    {
        const std::vector<float> same { 2.f, 2.f };
        const PlotHistogram h = makeHistogram(same, {});
        QCOMPARE(h.lo, 2.0);
        QCOMPARE(h.hi, 3.0);
        QCOMPARE(h.counts.front(), int64_t(2));
        const PlotHistogram e = makeHistogram({}, {});
        QCOMPARE(e.hi, 1.0);
        HistogramOptions bad;
        bad.bins = 0;
        QVERIFY_THROWS_EXCEPTION(Error, makeHistogram(same, bad));
        bad.bins = 4;
        bad.lo = 3;
        bad.hi = 3;
        QVERIFY_THROWS_EXCEPTION(Error, makeHistogram(same, bad));
        HistogramOptions log;
        log.logScale = true;
        log.lo = 0;
        QVERIFY_THROWS_EXCEPTION(Error, makeHistogram(same, log));
    }
};

QTEST_GUILESS_MAIN(TestThinning)
#include "tst_thinning.moc"
