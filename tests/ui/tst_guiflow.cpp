// The whole application, offscreen, as a user goes through it: open the bundled sample, run RTN and PQ from
// the method panel, select both in the runs table, check that every view shows their data, compare them,
// export the PQ run with its report, save the session and reopen it in a fresh window.
#include "appcontext.h"
#include "charts/comparescatterchart.h"
#include "charts/heatmapchart.h"
#include "charts/histogramchart.h"
#include "charts/tokenerrorchart.h"
#include "charts/tradeoffchart.h"
#include "dialogs/exportdialog.h"
#include "export/artifact.h"
#include "mainwindow.h"
#include "models/runsmodel.h"
#include "models/tokendiffmodel.h"
#include "models/tokenerrormodel.h"
#include "panels/codebookspanel.h"
#include "panels/codebookusagepanel.h"
#include "panels/comparepanel.h"
#include "panels/methodpanel.h"
#include "panels/runspanel.h"
#include "panels/tokenerrorpanel.h"
#include "panels/tradeoffpanel.h"
#include "run/session.h"
#include "runners/codebookrunner.h"
#include "runners/exportrunner.h"
#include "sessioncontroller.h"

#include "panelviews.h"
#include "testutil.h"

#include <QAction>
#include <QFile>
#include <QItemSelectionModel>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <numeric>

using namespace vq;

namespace {

// A guard against a hang, not a speed check: the PQ run and the exports take about 20 s of CPU in the
// sanitizer build, and a loaded 2-core machine can stretch that past a minute.
constexpr int kTimeoutMs = 180000;

QString samplePath()
{
    return QString::fromStdString(vqtest::sourcePath("resources/sample/glove-20k.npy"));
}

double relMse(const RunRecord& record)
{
    return record.metrics["reconstruction"]["relMse"].get<double>();
}

// A window whose questions (unsaved runs, restore) are answered without a modal dialog.
void answerQuestions(MainWindow& window)
{
    window.sessionController()->setDiscardQuestion([](const QString&) { return SessionController::Decision::Discard; });
    window.sessionController()->setRestoreQuestion([](const QString&) { return false; });
}

bool openSample(MainWindow& window)
{
    QSignalSpy loaded(window.context(), &AppContext::tableChanged);
    window.openFile(samplePath());
    return loaded.wait(kTimeoutMs) && window.context()->hasTable();
}

} // namespace

class TestGuiFlow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void runCompareExportSaveReopen()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        MainWindow window;
        answerQuestions(window);
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(openSample(window));
        AppContext* context = window.context();
        QCOMPARE(context->table()->rows(), 20000);

        // Two runs from the method panel, as a user queues them: RTN int4 per row and PQ d4 8-bit.
        auto* method = window.findChild<MethodPanel*>();
        QVERIFY(method);
        QSignalSpy finished(window.runQueue(), &RunQueue::runFinished);
        QVERIFY(method->setMethod(QStringLiteral("rtn")));
        QVERIFY(method->loadSpec(QuantSpec { "rtn", { { "bits", 4 }, { "group", 0 }, { "mode", "sym" } } }));
        QVERIFY(method->runButton()->isEnabled());
        QTest::mouseClick(method->runButton(), Qt::LeftButton);
        QVERIFY(method->setMethod(QStringLiteral("pq")));
        QVERIFY(method->loadSpec(QuantSpec { "pq", { { "d", 4 }, { "bits", 8 } } }));
        QTest::mouseClick(method->runButton(), Qt::LeftButton);
        while (finished.count() < 2)
            QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(context->runCount(), 2);
        const RunKey rtn = context->runAt(0).key;
        const RunKey pq = context->runAt(1).key;
        QCOMPARE(context->run(rtn)->record->status, RunStatus::Done);
        QCOMPARE(context->run(pq)->record->status, RunStatus::Done);
        // Measured on the sample: RTN int4 per row 0.0154 at 4.16 bits, PQ d4 8-bit 0.0819 at 2.205 bits.
        QVERIFY(relMse(*context->run(rtn)->record) < 0.02);
        QVERIFY(relMse(*context->run(pq)->record) < 0.09);

        // The runs table lists both; selecting PQ, then RTN with Ctrl, makes PQ current and RTN second.
        auto* runs = window.findChild<RunsPanel*>();
        QVERIFY(runs);
        QCOMPARE(runs->view()->model()->rowCount(), 2);
        const auto rowOf = [&](RunKey key) {
            for (int r = 0; r < runs->view()->model()->rowCount(); ++r) {
                const QModelIndex index = runs->view()->model()->index(r, 0);
                if (index.data(RunsModel::KeyRole).value<RunKey>() == key)
                    return index;
            }
            return QModelIndex();
        };
        QItemSelectionModel* selection = runs->view()->selectionModel();
        selection->select(rowOf(pq), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        selection->select(rowOf(rtn), QItemSelectionModel::Select | QItemSelectionModel::Rows);
        QCOMPARE(context->selectedRuns(), (QList<RunKey> { pq, rtn }));

        // Token errors: PQ's 20000 per-token errors, histogram over all of them, the row scatter thinned.
        // Each view is looked at on its tab, as a user does (hidden tabs rebuild when shown).
        auto* tokens = window.findChild<TokenErrorPanel*>();
        QVERIFY(tokens);
        window.tabs()->setCurrentWidget(tokens);
        QTRY_COMPARE(tokens->shownKey(), pq);
        QCOMPARE(vqtest::tokenErrorViews(*tokens).model->rowCount(), 20000);
        const PlotHistogram& histogram = vqtest::tokenErrorViews(*tokens).histogram->histogram();
        QCOMPARE(std::accumulate(histogram.counts.begin(), histogram.counts.end(), int64_t(0)) + histogram.below
                + histogram.above + histogram.nonFinite,
            int64_t(20000));
        QVERIFY(!vqtest::tokenErrorViews(*tokens).rows->plotted().empty());
        QVERIFY(int64_t(vqtest::tokenErrorViews(*tokens).rows->plotted().size())
            <= vqtest::tokenErrorViews(*tokens).rows->pointBudget());

        // Codebook usage: PQ's 25 positions x 256 codes, counts summing to the rows per position.
        auto* usage = window.findChild<CodebookUsagePanel*>();
        QVERIFY(usage);
        window.tabs()->setCurrentWidget(usage);
        QTRY_VERIFY(usage->usages() && !usage->usages()->empty());
        QVERIFY(usage->heatmap()->rowCount() >= 25);
        QCOMPARE(usage->heatmap()->columnCount(), 256);
        int64_t firstRow = 0;
        for (int c = 0; c < 256; ++c)
            firstRow += usage->heatmap()->value(0, c);
        QCOMPARE(firstRow, int64_t(20000));

        // Trade-off: one point per run at its bits/param and relMSE; clicking RTN's point selects it.
        auto* tradeoff = window.findChild<TradeoffPanel*>();
        QVERIFY(tradeoff);
        QTRY_COMPARE(vqtest::tradeoffViews(*tradeoff).chart->points().size(), size_t(2));
        for (const TradeoffPoint& point : vqtest::tradeoffViews(*tradeoff).chart->points()) {
            const RunRecord& record = *context->run(point.key)->record;
            QCOMPARE(point.bitsPerParam, record.bits.bitsPerParam());
            QCOMPARE(point.value, relMse(record));
        }

        // Compare: A = PQ, B = RTN, every token in the table, RTN better on the token that differs most.
        auto* compare = window.findChild<ComparePanel*>();
        QVERIFY(compare);
        window.tabs()->setCurrentWidget(compare);
        QTRY_COMPARE(compare->runA(), pq);
        QCOMPARE(compare->runB(), rtn);
        QVERIFY(!compare->isShowingEmptyState());
        QCOMPARE(compare->diffModel()->rowCount(), 20000);
        QVERIFY(compare->scatterChart()->pointCount() > 1000);

        // Export PQ (the current run): artifact and report through the dialog of the File menu, once the
        // codebook explorer has drawn the run's codeword map and first token path.
        QTRY_VERIFY_WITH_TIMEOUT(!window.findChild<CodebooksPanel*>()->runner()->isBusy(), kTimeoutMs);
        window.exportRunAction()->trigger();
        auto* dialog = window.findChild<ExportDialog*>();
        QVERIFY(dialog);
        for (ExportKind kind : { ExportKind::Artifact, ExportKind::ArtifactSafetensors, ExportKind::Dequantized,
                 ExportKind::PatchedCheckpoint, ExportKind::MetricsJson, ExportKind::TokenCsv, ExportKind::Report })
            dialog->setChecked(kind, false);
        const QString artifact = dir.filePath(QStringLiteral("pq.vq.h5"));
        const QString report = dir.filePath(QStringLiteral("pq.html"));
        dialog->setChecked(ExportKind::Artifact, true);
        dialog->setPath(ExportKind::Artifact, artifact);
        dialog->setChecked(ExportKind::Report, true);
        dialog->setPath(ExportKind::Report, report);
        QSignalSpy exported(dialog->runner(), &ExportRunner::finished);
        dialog->startExport();
        QVERIFY(exported.wait(kTimeoutMs));
        const ArtifactContents contents = readArtifact(artifact.toStdString());
        QCOMPARE(contents.table.spec.method, std::string("pq"));
        QFile html(report);
        QVERIFY(html.open(QIODevice::ReadOnly));
        const QByteArray page = html.readAll();
        // The dialog's histogram plus the views' charts of the run (summary 1, token errors 2, usage 3,
        // codebooks 2, trade-off 1); not compare's run A against run B: a report is of one run.
        QCOMPARE(page.count("data:image/png;base64,"), 10);
        QVERIFY(!page.contains("against run B"));
        dialog->close();

        // Save the session, then reopen it in a fresh window: same runs, same numbers, unmodified.
        const QString sessionFile = dir.filePath(QStringLiteral("flow.vqproj"));
        window.sessionController()->setSavePathQuestion([sessionFile] { return sessionFile; });
        QSignalSpy saved(window.sessionController(), &SessionController::saved);
        window.sessionController()->save();
        QVERIFY(saved.wait(kTimeoutMs));
        QVERIFY(!context->isModified());

        MainWindow again;
        answerQuestions(again);
        QSignalSpy opened(again.sessionController(), &SessionController::opened);
        again.sessionController()->openSession(sessionFile);
        QVERIFY(opened.wait(kTimeoutMs));
        AppContext* reopened = again.context();
        QCOMPARE(reopened->runCount(), 2);
        QVERIFY(!reopened->isModified());
        for (int i = 0; i < 2; ++i) {
            const RunRecord& before = *context->runAt(i).record;
            const RunRecord& after = *reopened->runAt(i).record;
            QCOMPARE(after.spec, before.spec);
            QCOMPARE(relMse(after), relMse(before));
            QVERIFY(after.fullMetrics && after.table);
            QCOMPARE(after.fullMetrics->reconstruction.tokenRelError, before.fullMetrics->reconstruction.tokenRelError);
        }
        // The reopened runs feed the views again.
        reopened->setSelectedRuns({ reopened->runAt(1).key, reopened->runAt(0).key });
        auto* reopenedTokens = again.findChild<TokenErrorPanel*>();
        again.tabs()->setCurrentWidget(reopenedTokens);
        QTRY_COMPARE(reopenedTokens->shownKey(), reopened->runAt(1).key);
        QCOMPARE(vqtest::tokenErrorViews(*reopenedTokens).model->rowCount(), 20000);
        window.close();
    }
};

QTEST_MAIN(TestGuiFlow)
#include "tst_guiflow.moc"
