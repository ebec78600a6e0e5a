// The Compare view's codebook similarity: two runs of one family align codeword by codeword (numbers
// from core's alignment of the same codebooks), runs without codebooks of the same width say why not,
// and the model passes QAbstractItemModelTester.
#include "appcontext.h"
#include "charts/histogramchart.h"
#include "explore/codebookaccess.h"
#include "models/codebookalignmentmodel.h"
#include "panels/comparepanel.h"
#include "runners/codebookrunner.h"
#include "widgets/codebooksimilaritybox.h"

#include "explorerruns.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTest>

using namespace vq;

class TestCodebookSimilarityBox : public QObject {
    Q_OBJECT

private slots:
    void alignsTwoRuns_data()
    {
        QTest::addColumn<QString>("a");
        QTest::addColumn<QString>("b");
        QTest::addColumn<int>("stage");
        QTest::addColumn<int>("group");
        QTest::newRow("grvq against carvq, stage 2 group 4")
            << QStringLiteral("grvq") << QStringLiteral("carvq") << 1 << 4;
        QTest::newRow("pq against pq shared") << QStringLiteral("pq") << QStringLiteral("pq-shared") << 0 << 3;
        QTest::newRow("aqlm against crvq") << QStringLiteral("aqlm") << QStringLiteral("crvq") << 0 << -1;
    }
    void alignsTwoRuns()
    {
        QFETCH(QString, a);
        QFETCH(QString, b);
        QFETCH(int, stage);
        QFETCH(int, group);
        CodebookSimilarityBox box;
        new QAbstractItemModelTester(
            box.alignmentModel(), QAbstractItemModelTester::FailureReportingMode::QtTest, this);
        QSignalSpy ready(box.runner(), &CodebookRunner::alignmentReady);
        const auto runA = vqtest::explorerRecord(a.toStdString());
        const auto runB = vqtest::explorerRecord(b.toStdString());
        box.setRuns(runA, runB);
        box.setSelection(0, stage, group);
        while (!box.alignment() || box.alignment()->stage != stage || box.alignment()->group != group)
            QVERIFY(vqtest::waitFor(ready, ready.count() + 1));
        const CodebookAccess ca(*runA->table, 0), cb(*runB->table, 0);
        const int g = group < 0 ? 0 : group;
        const CodebookAlignment expected = alignCodebooks(ca.codeword(stage, g, 0), ca.codewords(),
            cb.codeword(stage, g, 0), cb.codewords(), ca.width(), 40, nullRunControl());
        const CodebookAlignmentModel* m = box.alignmentModel();
        QCOMPARE(m->rowCount(), int(ca.codewords()));
        for (int i = 0; i < m->rowCount(); ++i) {
            QCOMPARE(
                m->index(i, CodebookAlignmentModel::NearestBColumn).data().toInt(), expected.nearestInB[size_t(i)]);
            QCOMPARE(m->index(i, CodebookAlignmentModel::DistanceColumn).data(Qt::UserRole).toDouble(),
                double(expected.distanceToB[size_t(i)]));
        }
        QVERIFY2(box.summaryText().startsWith(QString::number(expected.matchedA.size()) + QStringLiteral(" of ")),
            qPrintable(box.summaryText()));
        QVERIFY(box.hasChart());
        int64_t total = 0;
        for (const int64_t c : box.histogramChart()->histogram().counts)
            total += c;
        QCOMPARE(total, ca.codewords());
    }

    void differentFamilies()
    {
        CodebookSimilarityBox box;
        RunOptions options;
        options.neighbourRecall = false;
        options.logitFidelity = false;
        auto rtn = std::make_shared<RunRecord>(executeRun(*vqtest::explorerEmbedding(),
            QuantSpec { "rtn", { { "bits", 4 }, { "group", 0 }, { "mode", "sym" } } }, options, nullRunControl()));
        box.setRuns(vqtest::explorerRecord("grvq"), rtn);
        QVERIFY(box.messageText().contains(QStringLiteral("not both")));
        QVERIFY(!box.hasChart());
        box.setRuns(vqtest::explorerRecord("grvq"), nullptr);
        QVERIFY(box.messageText().contains(QStringLiteral("codes of both runs")));
    }

    // In the Compare view: a "Codebooks" page that follows runs A and B, and its chart in the report.
    void inTheCompareView()
    {
        AppContext context;
        context.setTable(vqtest::explorerEmbedding(), std::make_shared<TableStats>());
        const RunKey a = context.addRun(vqtest::explorerRecord("grvq"));
        const RunKey b = context.addRun(vqtest::explorerRecord("carvq"));
        ComparePanel panel(&context);
        context.setSelectedRuns({ a, b });
        QCOMPARE(panel.pages()->count(), 2);
        CodebookSimilarityBox* box = panel.codebookSimilarity();
        QSignalSpy ready(box->runner(), &CodebookRunner::alignmentReady);
        QVERIFY(box->alignment() || vqtest::waitFor(ready));
        // The window names runs as they arrive, so the records compared are the context's copies.
        QCOMPARE(box->alignment()->runA, context.run(a)->record);
        QCOMPARE(box->alignment()->runB, context.run(b)->record);
        QVERIFY(box->alignment()->runA->spec == vqtest::explorerRecord("grvq")->spec);
        QVERIFY(box->alignment()->runB->spec == vqtest::explorerRecord("carvq")->spec);
        // A report is of one run: the comparison of A and B is not in it.
        QVERIFY(panel.reportImages().isEmpty());
    }
};

QTEST_MAIN(TestCodebookSimilarityBox)
#include "tst_codebooksimilaritybox.moc"
