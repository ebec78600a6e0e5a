// codebookUsageFromJson reads back what toJson(CodebookUsage) writes, with and without counts, and
// refuses JSON that does not describe a usage.
#include "common/error.h"
#include "metrics/codebookusagejson.h"
#include "metrics/runmetrics.h"

#include <QtTest>

#include <random>
#include <vector>

using namespace vq;

namespace {

// 3 stages x 5 groups of 6-bit codes over 400 rows, skewed so some codes are dead.
CodebookUsage sampleUsage()
{
    CodeLayout layout;
    layout.rows = 400;
    layout.groups = 5;
    layout.stages = 3;
    layout.bits = 6;
    std::mt19937 rng(11);
    std::binomial_distribution<int> code(63, 0.3);
    std::vector<uint32_t> codes(size_t(layout.rows * layout.groups * layout.stages));
    for (uint32_t& c : codes)
        c = uint32_t(code(rng));
    return computeCodebookUsage(codes, layout, nullRunControl());
}

void compareUsage(const CodeUsage& a, const CodeUsage& b, bool counts)
{
    QCOMPARE(a.stage, b.stage);
    QCOMPARE(a.group, b.group);
    QCOMPARE(a.total, b.total);
    QCOMPARE(a.entropyBits, b.entropyBits);
    QCOMPARE(a.perplexity, b.perplexity);
    QCOMPARE(a.entropyRatio, b.entropyRatio);
    QCOMPARE(a.deadCodes, b.deadCodes);
    if (counts)
        QCOMPARE(a.counts, b.counts);
    else
        QVERIFY(a.counts.empty());
}

} // namespace

class TestCodebookUsageJson : public QObject {
    Q_OBJECT
private slots:
    void roundTrip_data()
    {
        QTest::addColumn<bool>("counts");
        QTest::newRow("with counts") << true;
        QTest::newRow("without counts") << false;
    }

    void roundTrip()
    {
        QFETCH(bool, counts);
        const CodebookUsage u = sampleUsage();
        QVERIFY(!u.at(0, 0).deadCodes.empty()); // the test means something only with dead codes
        RunMetrics m;
        m.codebookUsage = { u, u };
        const std::vector<CodebookUsage> back
            = codebookUsagesFromMetricsJson(m.toJson(MetricsJsonOptions { false, false, counts }));
        QCOMPARE(back.size(), size_t(2));
        const CodebookUsage& r = back[1];
        QCOMPARE(r.layout.rows, u.layout.rows);
        QCOMPARE(r.layout.groups, u.layout.groups);
        QCOMPARE(r.layout.stages, u.layout.stages);
        QCOMPARE(r.layout.bits, u.layout.bits);
        QCOMPARE(r.layout.sharedAcrossGroups, u.layout.sharedAcrossGroups);
        QCOMPARE(r.perGroup.size(), u.perGroup.size());
        QCOMPARE(r.pooled.size(), u.pooled.size());
        for (size_t i = 0; i < u.perGroup.size(); ++i)
            compareUsage(r.perGroup[i], u.perGroup[i], counts);
        for (size_t i = 0; i < u.pooled.size(); ++i)
            compareUsage(r.pooled[i], u.pooled[i], counts);
        QCOMPARE(hasCounts(r), counts);
        QVERIFY(hasCounts(u));
    }

    void noUsage()
    {
        QVERIFY(codebookUsagesFromMetricsJson(RunMetrics {}.toJson()).empty());
        QVERIFY(codebookUsagesFromMetricsJson(nlohmann::json()).empty());
    }

    void malformed_data()
    {
        QTest::addColumn<QString>("pointer");
        QTest::addColumn<QString>("replacement"); // JSON, or empty to remove the key
        QTest::newRow("no bits") << "/bits"
                                 << "";
        QTest::newRow("bits as text") << "/bits"
                                      << "\"6\"";
        QTest::newRow("bits 30") << "/bits"
                                 << "30";
        QTest::newRow("one group too few") << "/groups"
                                           << "6";
        QTest::newRow("no entropy") << "/perGroup/3/entropyBits"
                                    << "";
        QTest::newRow("short counts") << "/pooled/1/counts"
                                      << "[1, 2]";
        QTest::newRow("pooled not an array") << "/pooled"
                                             << "{}";
    }

    void malformed()
    {
        QFETCH(QString, pointer);
        QFETCH(QString, replacement);
        nlohmann::json j = toJson(sampleUsage(), true);
        const nlohmann::json::json_pointer p(pointer.toStdString());
        if (replacement.isEmpty())
            j[p.parent_pointer()].erase(p.back());
        else
            j[p] = nlohmann::json::parse(replacement.toStdString());
        try {
            codebookUsageFromJson(j);
            QFAIL("accepted");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::Malformed);
        }
    }
};

QTEST_GUILESS_MAIN(TestCodebookUsageJson)
#include "tst_codebookusagejson.moc"
