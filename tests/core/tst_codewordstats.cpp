#include "common/error.h"
#include "explore/codewordstats.h"
#include "metrics/codebookusage.h"
#include "metrics/rowsample.h"

#include "explorerfixtures.h"

#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace vq;

namespace {

// The codes of (array row, stage, group) read straight from the stored array through the method's own
// CodeLayout (codeLayouts(), default strides: [rows][groups][stages]).
int32_t storedCode(const QuantizedTable& t, int array, int64_t r, int s, int g)
{
    const CodeArrayLayout l = quantizer(t.spec.method).codeLayouts(t)[size_t(array)];
    return t.array(l.array).ints[size_t((r * l.layout.groups + g) * l.layout.stages + s)];
}

std::vector<float> perRowValues(int64_t rows, uint64_t seed)
{
    std::vector<float> v(static_cast<size_t>(rows));
    SplitMix64 random(seed);
    for (float& x : v)
        x = float(random.next() % 1000) / 100.0f; // ties on purpose
    return v;
}

} // namespace

class TestCodewordStats : public QObject {
    Q_OBJECT

private slots:
    // Every number recounted from the stored codes here, for every stage and group of every code array.
    void recountedFromTheCodes_data() { vqtest::addExplorerRows(); }
    void recountedFromTheCodes()
    {
        QFETCH(QString, run);
        const QuantizedTable& t = vqtest::explorerRun(run.toStdString());
        const std::vector<float> error = perRowValues(t.rows, 1);
        const std::vector<float> weight = perRowValues(t.rows, 2);
        for (int a = 0; a < CodebookAccess::arrayCount(t); ++a) {
            const CodebookAccess access(t, a);
            const CodeArrayLayout layout = quantizer(t.spec.method).codeLayouts(t)[size_t(a)];
            const CodebookUsage usage
                = computeCodebookUsage(t.array(layout.array).ints, layout.layout, nullRunControl());
            for (int s = 0; s < access.stages(); ++s) {
                std::vector<int> groups;
                for (int g = 0; g < access.groups(); ++g)
                    groups.push_back(g);
                if (layout.layout.sharedAcrossGroups)
                    groups.push_back(-1);
                for (const int g : groups) {
                    const CodewordStats st = computeCodewordStats(access, s, g, error, weight, 5, nullRunControl());
                    const int64_t k = access.codewords();
                    QCOMPARE(st.codewords, k);
                    // Usage as the codebook-usage metric counts it.
                    const CodeUsage& u = g < 0 ? usage.pooled[size_t(s)] : usage.at(s, g);
                    QCOMPARE(st.usage, u.counts);
                    QCOMPARE(st.deadCodes, int64_t(u.deadCodes.size()));
                    // Means and top rows recounted row by row.
                    std::vector<double> errSum(static_cast<size_t>(k)), wSum(static_cast<size_t>(k));
                    std::vector<std::vector<int64_t>> users(static_cast<size_t>(k));
                    for (int64_t r = 0; r < access.arrayRows(); ++r) {
                        const int64_t table = access.tableRow(r);
                        for (int gg = 0; gg < access.groups(); ++gg) {
                            if (g >= 0 && gg != g)
                                continue;
                            const int32_t c = storedCode(t, a, r, s, gg);
                            errSum[size_t(c)] += error[size_t(table)];
                            wSum[size_t(c)] += weight[size_t(table)];
                            if (users[size_t(c)].empty() || users[size_t(c)].back() != table)
                                users[size_t(c)].push_back(table);
                        }
                    }
                    for (int64_t c = 0; c < k; ++c) {
                        const double n = double(st.usage[size_t(c)]);
                        if (n == 0) {
                            QVERIFY(std::isnan(st.meanError[size_t(c)]));
                            QCOMPARE(st.topRows[size_t(c * 5)], int64_t(-1));
                            continue;
                        }
                        QVERIFY(std::abs(st.meanError[size_t(c)] - errSum[size_t(c)] / n) < 1e-9);
                        QVERIFY(std::abs(st.meanWeight[size_t(c)] - wSum[size_t(c)] / n) < 1e-9);
                        std::vector<int64_t> top = users[size_t(c)];
                        std::stable_sort(top.begin(), top.end(),
                            [&](int64_t x, int64_t y) { return weight[size_t(x)] > weight[size_t(y)]; });
                        top.resize(5, -1);
                        QCOMPARE(std::vector<int64_t>(st.topRows.begin() + c * 5, st.topRows.begin() + c * 5 + 5), top);
                        // Norm of the stored codeword.
                        const float* cw = access.codeword(s, g < 0 ? 0 : g, int32_t(c));
                        double n2 = 0;
                        for (int64_t j = 0; j < access.width(); ++j)
                            n2 += double(cw[j]) * cw[j];
                        QVERIFY(std::abs(st.norm[size_t(c)] - std::sqrt(n2)) < 1e-6);
                    }
                }
            }
        }
    }

    // The rows using a code are exactly the rows whose stored code it is.
    void members_data() { vqtest::addExplorerRows(); }
    void members()
    {
        QFETCH(QString, run);
        const QuantizedTable& t = vqtest::explorerRun(run.toStdString());
        const int a = CodebookAccess::arrayCount(t) - 1;
        const CodebookAccess access(t, a);
        const int s = access.stages() - 1;
        const int g = access.layout().sharedAcrossGroups ? -1 : access.groups() - 1;
        const CodewordStats st = computeCodewordStats(access, s, g, {}, {}, 3, nullRunControl());
        const auto most = std::max_element(st.usage.begin(), st.usage.end()) - st.usage.begin();
        const CodeMembers m = findCodeMembers(access, s, g, int32_t(most), nullRunControl());
        QCOMPARE(m.totalUses, st.usage[size_t(most)]);
        std::vector<int64_t> expected;
        std::vector<int32_t> uses;
        for (int64_t r = 0; r < access.arrayRows(); ++r) {
            int32_t n = 0;
            for (int gg = 0; gg < access.groups(); ++gg)
                if ((g < 0 || gg == g) && storedCode(t, a, r, s, gg) == int32_t(most))
                    ++n;
            if (n > 0) {
                expected.push_back(access.tableRow(r));
                uses.push_back(n);
            }
        }
        QCOMPARE(m.rows, expected);
        QCOMPARE(m.uses, uses);
        // Without weights, the most frequent tokens are the lowest rows using the code.
        for (int i = 0; i < 3 && i < int(expected.size()); ++i)
            QCOMPARE(st.topRows[size_t(most * 3 + i)], expected[size_t(i)]);
        QVERIFY(std::isnan(st.meanError[size_t(most)]));
    }

    void refusesBadRequests()
    {
        const CodebookAccess access(vqtest::explorerRun("grvq"), 0);
        QVERIFY_THROWS_EXCEPTION(Error, computeCodewordStats(access, 3, 0, {}, {}, 5, nullRunControl()));
        QVERIFY_THROWS_EXCEPTION(Error, computeCodewordStats(access, 0, -1, {}, {}, 5, nullRunControl()));
        const std::vector<float> tooShort(10, 1.0f);
        QVERIFY_THROWS_EXCEPTION(Error, computeCodewordStats(access, 0, 0, tooShort, {}, 5, nullRunControl()));
        QVERIFY_THROWS_EXCEPTION(Error, findCodeMembers(access, 0, 0, 16, nullRunControl()));
        RunControl cancelled;
        cancelled.cancel();
        QVERIFY_THROWS_EXCEPTION(Cancelled, computeCodewordStats(access, 0, 0, {}, {}, 5, cancelled));
    }
};

QTEST_GUILESS_MAIN(TestCodewordStats)
#include "tst_codewordstats.moc"
