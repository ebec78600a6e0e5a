// Code-count reductions for plots: buckets of consecutive codes (heat map columns) and counts sorted by
// rank, thinned (usage bar chart), on random counts with dead codes and a single hot code.
#include "metrics/usageplot.h"

#include <QtTest>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

using namespace vq;

class TestUsagePlot : public QObject {
    Q_OBJECT
private slots:
    void buckets_data()
    {
        QTest::addColumn<int>("codes");
        QTest::addColumn<int>("maxBuckets");
        QTest::addColumn<int>("codesPerBucket");
        QTest::newRow("fits") << 256 << 1024 << 1;
        QTest::newRow("exactly") << 1024 << 1024 << 1;
        QTest::newRow("2^16 to 1024") << 65536 << 1024 << 64;
        QTest::newRow("2^12 to 1000") << 4096 << 1000 << 8;
        QTest::newRow("partial last") << 10 << 4 << 4;
        QTest::newRow("one bucket") << 7 << 0 << 8;
    }

    void buckets()
    {
        QFETCH(int, codes);
        QFETCH(int, maxBuckets);
        QFETCH(int, codesPerBucket);
        std::mt19937 rng(3);
        std::uniform_int_distribution<int> count(-3, 9); // about a quarter zero
        std::vector<int64_t> counts(static_cast<size_t>(codes), 0);
        for (int64_t& c : counts)
            c = std::max(0, count(rng));
        const CodeBuckets b = bucketCodes(counts, maxBuckets);
        QCOMPARE(b.codesPerBucket, int64_t(codesPerBucket));
        const size_t n = size_t((codes + codesPerBucket - 1) / codesPerBucket);
        QCOMPARE(b.sums.size(), n);
        QCOMPARE(b.dead.size(), n);
        QVERIFY(int(n) <= std::max(maxBuckets, 1));
        for (size_t i = 0; i < n; ++i) {
            const size_t lo = i * size_t(codesPerBucket);
            const size_t hi = std::min(counts.size(), lo + size_t(codesPerBucket));
            QCOMPARE(b.sums[i], std::accumulate(counts.begin() + long(lo), counts.begin() + long(hi), int64_t(0)));
            QCOMPARE(b.dead[i], int64_t(std::count(counts.begin() + long(lo), counts.begin() + long(hi), int64_t(0))));
        }
    }

    void sortedCounts()
    {
        const std::vector<int64_t> counts { 4, 9, 0, 9, 1 };
        const std::vector<RankedCount> all = sortedCountsForPlot(counts, 100);
        QCOMPARE(all.size(), size_t(5));
        // Descending, ties in code order.
        const int32_t codes[] = { 1, 3, 0, 4, 2 };
        for (size_t i = 0; i < all.size(); ++i) {
            QCOMPARE(all[i].rank, int64_t(i));
            QCOMPARE(all[i].code, codes[i]);
            QCOMPARE(all[i].count, counts[size_t(codes[i])]);
        }
    }

    void thinnedKeepsTheExtremes()
    {
        std::mt19937 rng(5);
        std::geometric_distribution<int> count(0.01);
        std::vector<int64_t> counts(65536);
        for (int64_t& c : counts)
            c = count(rng);
        counts[1234] = 100000; // one hot code
        counts[777] = 0;
        const std::vector<RankedCount> thin = sortedCountsForPlot(counts, 1000);
        QCOMPARE(thin.size(), size_t(1000));
        QCOMPARE(thin.front().count, int64_t(100000));
        QCOMPARE(thin.front().code, 1234);
        QCOMPARE(thin.front().rank, int64_t(0));
        QCOMPARE(thin.back().count, *std::min_element(counts.begin(), counts.end()));
        QCOMPARE(thin.back().rank, int64_t(65535));
        for (size_t i = 1; i < thin.size(); ++i) {
            QVERIFY(thin[i].rank > thin[i - 1].rank);
            QVERIFY(thin[i].count <= thin[i - 1].count);
            QCOMPARE(thin[i].count, counts[size_t(thin[i].code)]);
        }
    }
};

QTEST_GUILESS_MAIN(TestUsagePlot)
#include "tst_usageplot.moc"
