// Reductions for comparing two runs' per-token errors: ratio and spread edge cases, the tokens that differ
// most (checked against a brute-force ranking), and the rows a comparison scatter draws.
#include "common/error.h"
#include "metrics/tokendiff.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

using namespace vq;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Errors spanning decades, as a quantizer's per-token errors do.
std::vector<float> series(uint64_t seed, size_t n)
{
    std::vector<float> v(n);
    uint64_t s = seed;
    for (auto& x : v) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x = float(std::pow(10.0, -3.0 + 3.0 * double(s >> 11) / double(1ull << 53)));
    }
    return v;
}

} // namespace

class TestTokenDiff : public QObject {
    Q_OBJECT
private slots:
    void ratio_data()
    {
        QTest::addColumn<float>("a");
        QTest::addColumn<float>("b");
        QTest::addColumn<double>("ratio");
        QTest::addColumn<double>("spread");
        const double inf = std::numeric_limits<double>::infinity();
        QTest::newRow("double") << 0.5f << 1.0f << 2.0 << std::log(2.0);
        QTest::newRow("half") << 1.0f << 0.5f << 0.5 << std::log(2.0);
        QTest::newRow("equal") << 0.25f << 0.25f << 1.0 << 0.0;
        QTest::newRow("both exact") << 0.0f << 0.0f << 1.0 << 0.0;
        QTest::newRow("a exact") << 0.0f << 0.1f << inf << inf;
        QTest::newRow("b exact") << 0.1f << 0.0f << 0.0 << inf;
    }
    void ratio()
    {
        QFETCH(float, a);
        QFETCH(float, b);
        QFETCH(double, ratio);
        QFETCH(double, spread);
        QCOMPARE(tokenErrorRatio(a, b), ratio);
        QCOMPARE(tokenErrorSpread(a, b), spread);
    }

    void nanIsNeverPicked()
    {
        QVERIFY(std::isnan(tokenErrorRatio(kNaN, 1)));
        QVERIFY(std::isnan(tokenErrorSpread(1, kNaN)));
        const std::vector<float> a { 1, kNaN, 1, 1 };
        const std::vector<float> b { 1, 5, 4, kNaN };
        const std::vector<int64_t> rows = mostDifferentTokens(a, b, 10);
        QCOMPARE(rows, (std::vector<int64_t> { 2, 0 }));
    }

    void mostDifferentMatchesBruteForce()
    {
        const std::vector<float> a = series(1, 20000);
        std::vector<float> b = series(2, 20000);
        b[123] = a[123] * 1000; // far worse in B
        b[4567] = a[4567] / 1000; // far better in B
        const std::vector<int64_t> top = mostDifferentTokens(a, b, 200);
        QCOMPARE(top.size(), size_t(200));
        QCOMPARE(std::set<int64_t>({ top[0], top[1] }), std::set<int64_t>({ 123, 4567 }));

        std::vector<std::pair<double, int64_t>> all;
        for (size_t i = 0; i < a.size(); ++i)
            all.emplace_back(std::abs(std::log(double(b[i]) / double(a[i]))), int64_t(i));
        std::sort(all.begin(), all.end(), [](auto& x, auto& y) { return x.first > y.first; });
        for (size_t i = 0; i < top.size(); ++i)
            QCOMPARE(top[i], all[i].second);
    }

    void mismatchedSizesThrow()
    {
        const std::vector<float> a(3, 1.f);
        const std::vector<float> b(4, 1.f);
        QVERIFY_THROWS_EXCEPTION(Error, mostDifferentTokens(a, b, 1));
    }

    void scatterRowsJoinSampleAndExtremes()
    {
        const std::vector<float> a = series(3, 20000);
        std::vector<float> b = series(4, 20000);
        const std::vector<int64_t> rows = compareScatterRows(a, b, 3000, 200, 7);
        QVERIFY(std::is_sorted(rows.begin(), rows.end()));
        QVERIFY(std::adjacent_find(rows.begin(), rows.end()) == rows.end());
        QVERIFY(rows.size() >= 3000 && rows.size() <= 3200);
        for (int64_t r : mostDifferentTokens(a, b, 200))
            QVERIFY(std::binary_search(rows.begin(), rows.end(), r));
        // Seeded: the same rows again, other rows for another seed.
        QCOMPARE(compareScatterRows(a, b, 3000, 200, 7), rows);
        QVERIFY(compareScatterRows(a, b, 3000, 200, 8) != rows);
        // A short series is drawn whole.
        QCOMPARE(compareScatterRows(std::span(a).first(50), std::span(b).first(50), 3000, 200, 7).size(), size_t(50));
    }
};

QTEST_GUILESS_MAIN(TestTokenDiff)
#include "tst_tokendiff.moc"
