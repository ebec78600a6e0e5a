// ascendingOrder: the order a token table sorts by, exact on ties and NaN, and equal to a comparison sort.
#include "metrics/sortorder.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

class TestSortOrder : public QObject {
    Q_OBJECT
private slots:
    void nanLastTiesByPosition()
    {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const double inf = std::numeric_limits<double>::infinity();
        const std::vector<double> keys { 3, nan, -1, 3, inf, nan, -inf, 0, -0.0 };
        const std::vector<int32_t> order = vq::ascendingOrder(keys);
        QCOMPARE(order, (std::vector<int32_t> { 6, 2, 7, 8, 0, 3, 4, 1, 5 }));
        QVERIFY(vq::ascendingOrder({}).empty());
    }

    // 128256 keys of either sign with repeats and NaNs: the same order as a stable comparison sort.
    void equalsAComparisonSort()
    {
        std::mt19937 rng(5);
        std::uniform_int_distribution<int> pick(0, 999);
        std::vector<double> keys(128256);
        for (double& k : keys) {
            const int p = pick(rng);
            k = p < 10 ? std::numeric_limits<double>::quiet_NaN() : double(p % 97) / 7.0 - 5.0;
        }
        std::vector<int32_t> expected(keys.size());
        std::iota(expected.begin(), expected.end(), 0);
        std::stable_sort(expected.begin(), expected.end(), [&](int32_t a, int32_t b) {
            const bool na = std::isnan(keys[size_t(a)]);
            const bool nb = std::isnan(keys[size_t(b)]);
            if (na || nb)
                return !na && nb;
            return keys[size_t(a)] < keys[size_t(b)];
        });
        QCOMPARE(vq::ascendingOrder(keys), expected);
    }
};

QTEST_GUILESS_MAIN(TestSortOrder)
#include "tst_sortorder.moc"
