// paretoFrontier: exactly the non-dominated points (checked against the definition by brute force on
// random planes with ties), in x order, for both directions; paretoSteps draws the staircase.
#include "run/pareto.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace vq;

namespace {

// The definition: q is dominated when some p is no worse in both and strictly better in one.
std::vector<size_t> bruteForce(const std::vector<ParetoPoint>& points, bool lowerIsBetter)
{
    const auto finite = [](const ParetoPoint& p) { return std::isfinite(p.x) && std::isfinite(p.y); };
    std::vector<size_t> out;
    for (size_t q = 0; q < points.size(); ++q) {
        if (!finite(points[q]))
            continue;
        bool dominated = false;
        for (size_t p = 0; p < points.size() && !dominated; ++p) {
            if (!finite(points[p]))
                continue;
            const double py = lowerIsBetter ? points[p].y : -points[p].y;
            const double qy = lowerIsBetter ? points[q].y : -points[q].y;
            dominated = points[p].x <= points[q].x && py <= qy && (points[p].x < points[q].x || py < qy);
        }
        if (!dominated)
            out.push_back(q);
    }
    return out;
}

} // namespace

class TestPareto : public QObject {
    Q_OBJECT
private slots:
    void smallCases_data()
    {
        QTest::addColumn<std::vector<double>>("xy"); // x0, y0, x1, y1, ...
        QTest::addColumn<bool>("lowerIsBetter");
        QTest::addColumn<std::vector<size_t>>("expected");

        // bits/param and relMSE of a typical sweep: rtn 8 (8.16, 0.0001), rtn 4 (4.16, 0.04), pq (2.1,
        // 0.09), a worse pq (2.5, 0.12), rtn 2 (2.16, 0.6).
        const std::vector<double> sweep { 8.16, 0.0001, 4.16, 0.04, 2.1, 0.09, 2.5, 0.12, 2.16, 0.6 };
        QTest::newRow("relMSE") << sweep << true << std::vector<size_t> { 2, 1, 0 };
        // Read as "higher is better" the same numbers flip: only the cheapest point and the one with
        // the highest y survive.
        QTest::newRow("higher better") << sweep << false << std::vector<size_t> { 2, 4 };
        QTest::newRow("empty") << std::vector<double> {} << true << std::vector<size_t> {};
        QTest::newRow("single") << std::vector<double> { 3, 1 } << true << std::vector<size_t> { 0 };
        // Equal points: neither dominates, both stay; same x with worse y and same y with larger x go.
        QTest::newRow("ties") << std::vector<double> { 2, 1, 2, 1, 2, 3, 4, 1, 1, 5 } << true
                              << std::vector<size_t> { 4, 0, 1 };
        const double inf = std::numeric_limits<double>::infinity();
        const double nan = std::numeric_limits<double>::quiet_NaN();
        QTest::newRow("non-finite") << std::vector<double> { 1, nan, 2, 0.5, 0.5, inf, 3, 0.1 } << true
                                    << std::vector<size_t> { 1, 3 };
    }

    void smallCases()
    {
        QFETCH(std::vector<double>, xy);
        QFETCH(bool, lowerIsBetter);
        QFETCH(std::vector<size_t>, expected);
        std::vector<ParetoPoint> points;
        for (size_t i = 0; i + 1 < xy.size(); i += 2)
            points.push_back({ xy[i], xy[i + 1] });
        QCOMPARE(paretoFrontier(points, lowerIsBetter), expected);
    }

    void matchesTheDefinition_data()
    {
        QTest::addColumn<bool>("lowerIsBetter");
        QTest::addColumn<int>("levels"); // distinct values per axis: few levels give many ties
        QTest::newRow("lower, continuous") << true << 0;
        QTest::newRow("higher, continuous") << false << 0;
        QTest::newRow("lower, ties") << true << 4;
        QTest::newRow("higher, ties") << false << 3;
    }

    void matchesTheDefinition()
    {
        QFETCH(bool, lowerIsBetter);
        QFETCH(int, levels);
        std::mt19937 rng(17);
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        std::uniform_int_distribution<int> level(0, std::max(levels - 1, 0));
        for (int trial = 0; trial < 200; ++trial) {
            std::vector<ParetoPoint> points(size_t(1 + trial % 40));
            for (ParetoPoint& p : points) {
                p.x = levels > 0 ? level(rng) : uniform(rng);
                p.y = levels > 0 ? level(rng) : uniform(rng);
            }
            std::vector<size_t> got = paretoFrontier(points, lowerIsBetter);
            // In x order, and along it y strictly improves except between equal points.
            for (size_t i = 1; i < got.size(); ++i) {
                const ParetoPoint& a = points[got[i - 1]];
                const ParetoPoint& b = points[got[i]];
                QVERIFY(a.x <= b.x);
                if (a.x != b.x || a.y != b.y)
                    QVERIFY(lowerIsBetter ? b.y < a.y : b.y > a.y);
            }
            std::sort(got.begin(), got.end());
            QCOMPARE(got, bruteForce(points, lowerIsBetter));
        }
    }

    void steps()
    {
        const std::vector<ParetoPoint> frontier { { 1, 5 }, { 2, 3 }, { 4, 1 } };
        const std::vector<ParetoPoint> s = paretoSteps(frontier);
        QCOMPARE(s.size(), size_t(5));
        const double expected[][2] = { { 1, 5 }, { 2, 5 }, { 2, 3 }, { 4, 3 }, { 4, 1 } };
        for (size_t i = 0; i < s.size(); ++i) {
            QCOMPARE(s[i].x, expected[i][0]);
            QCOMPARE(s[i].y, expected[i][1]);
        }
        QVERIFY(paretoSteps({}).empty());
        QCOMPARE(paretoSteps(std::vector<ParetoPoint> { { 3, 2 } }).size(), size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestPareto)
#include "tst_pareto.moc"
