// The runs table end to end with real runs on GloVe rows: RunsModel / RunsProxyModel values, numeric
// sort, filters, the selection shared with the AppContext, the panel's actions (cancel, rename, delete,
// re-run with edits, run again, save spec), CSV export and the queue's status-bar widget.
#include "appcontext.h"
#include "displaytext.h"
#include "models/runsmodel.h"
#include "models/runsproxymodel.h"
#include "panels/runspanel.h"
#include "quant/speclabel.h"
#include "runners/runqueue.h"
#include "widgets/runqueuewidget.h"
#include "widgets/tableexport.h"

#include "quantchecks.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QComboBox>
#include <QFile>
#include <QFont>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>

using namespace vq;

namespace {

constexpr int kRunTimeoutMs = 60000;

void setGloveTable(AppContext& context, int64_t rows)
{
    auto table = std::make_shared<EmbeddingTable>();
    table->values = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"), rows);
    table->source.file = vqtest::samplePath("glove-20k.npy");
    table->source.checksum = tableChecksum(table->values);
    context.setTable(table, std::make_shared<TableStats>());
}

QuantSpec rtn(int bits)
{
    return QuantSpec { "rtn", { { "bits", bits }, { "group", 0 }, { "mode", "sym" } } };
}

QuantSpec pq()
{
    return QuantSpec { "pq", { { "d", 4 }, { "bits", 6 } } };
}

// Several seconds on 4000 rows: long enough for a cancel to land while it trains.
QuantSpec slowSpec()
{
    return QuantSpec { "aqlm",
        { { "M", 2 }, { "B", 8 }, { "g", 4 }, { "beam", 4 }, { "maxRounds", 200 }, { "tolerance", 0.0 } } };
}

bool waitIdle(RunQueue& queue)
{
    if (!queue.isBusy())
        return true;
    QSignalSpy busy(&queue, &RunQueue::busyChanged);
    while (queue.isBusy())
        if (!busy.wait(kRunTimeoutMs))
            return false;
    return true;
}

// Model rows and proxy rows by key.
int sourceRow(const RunsModel& model, RunKey key)
{
    for (int r = 0; r < model.rowCount(); ++r)
        if (model.keyAt(r) == key)
            return r;
    return -1;
}

QModelIndex proxyIndex(const RunsPanel& panel, RunKey key, int column)
{
    return panel.proxy()->mapFromSource(panel.model()->index(sourceRow(*panel.model(), key), column));
}

void selectKeys(RunsPanel& panel, const QList<RunKey>& keys)
{
    QItemSelection selection;
    for (RunKey key : keys) {
        const QModelIndex index = proxyIndex(panel, key, 0);
        selection.select(index, index);
    }
    panel.view()->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

QList<RunKey> proxyKeys(const RunsProxyModel& proxy)
{
    QList<RunKey> keys;
    for (int r = 0; r < proxy.rowCount(); ++r)
        keys.append(proxy.index(r, 0).data(RunsModel::KeyRole).value<RunKey>());
    return keys;
}

double relMseOf(const AppContext& context, RunKey key)
{
    return context.run(key)->record->metrics["reconstruction"]["relMse"].get<double>();
}

} // namespace

class TestRunsPanel : public QObject {
    Q_OBJECT
private slots:
    void formatting_data()
    {
        QTest::addColumn<double>("seconds");
        QTest::addColumn<QString>("text");
        QTest::newRow("seconds") << 45.2 << QStringLiteral("45s");
        QTest::newRow("minutes") << 65.0 << QStringLiteral("1m05s");
        QTest::newRow("hours") << 7380.0 << QStringLiteral("2h03m");
        QTest::newRow("unknown") << -1.0 << QString();
    }
    void formatting()
    {
        QFETCH(double, seconds);
        QFETCH(QString, text);
        QCOMPARE(RunsModel::durationText(seconds), text);
    }

    void paramsText()
    {
        // The parameters of core's spec label (specLabel), without the method the next column shows.
        QCOMPARE(RunsModel::paramsText(QuantSpec { "pq", { { "d", 4 }, { "bits", 8 }, { "shared", false } } }),
            QStringLiteral("d4 8-bit"));
        QCOMPARE(RunsModel::paramsText(QuantSpec { "grvq", { { "h", 8 }, { "R", 3 }, { "kappa", 4 }, { "beam", 1 } } }),
            QStringLiteral("h8 R3 kappa=4"));
        // Parameters away from their defaults follow the key ones, so different runs never read the same.
        QCOMPARE(RunsModel::paramsText(
                     QuantSpec { "pq", { { "d", 4 }, { "bits", 8 }, { "codebooks", 5 }, { "shared", false } } }),
            QStringLiteral("d4 8-bit codebooks=5"));
        QCOMPARE(RunsModel::paramsText(QuantSpec {
                     "grvq", { { "h", 5 }, { "R", 2 }, { "kappa", 5 }, { "shared", true }, { "beam", 4 } } }),
            QStringLiteral("h5 R2 kappa=5 shared beam=4"));
        RunEntry running;
        running.stage = QStringLiteral("adaptor");
        running.fraction = 0.456;
        running.etaSeconds = 65;
        QCOMPARE(RunsModel::progressText(running), QStringLiteral("adaptor 45% · stage ETA 1m05s"));
    }

    void showsRealRunsSortsAndFilters()
    {
        AppContext context;
        setGloveTable(context, 2000);
        RunQueue queue(&context);
        RunsPanel panel(&context, &queue);
        QAbstractItemModelTester modelTester(panel.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(panel.proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);

        const RunKey r4 = queue.enqueue(rtn(4));
        const RunKey r8 = queue.enqueue(rtn(8));
        const RunKey r2 = queue.enqueue(rtn(2));
        const RunKey p = queue.enqueue(pq());
        QCOMPARE(panel.model()->rowCount(), 4);
        // Planned before they run: bits are known, metrics are not.
        QCOMPARE(
            panel.model()->index(0, RunsModel::BitsPerParam).data(RunsModel::SortRole).toDouble(), 4.0 + 16.0 / 100.0);
        QVERIFY(!panel.model()->index(1, RunsModel::RelMse).data(RunsModel::SortRole).isValid());
        QCOMPARE(panel.model()->index(1, RunsModel::Status).data().toString(), QStringLiteral("queued"));
        QVERIFY(waitIdle(queue));

        const RunsModel& model = *panel.model();
        for (RunKey key : { r4, r8, r2, p }) {
            const int row = sourceRow(model, key);
            QVERIFY(row >= 0);
            const RunRecord& rec = *context.run(key)->record;
            QCOMPARE(rec.status, RunStatus::Done);
            // Named after the spec when queued: readable, not the run's hash.
            QCOMPARE(model.index(row, RunsModel::Name).data().toString(), display::specLabel(rec.spec));
            QCOMPARE(rec.name, vq::specLabel(rec.spec));
            QCOMPARE(model.index(row, RunsModel::Method).data().toString(), QString::fromStdString(rec.spec.method));
            QCOMPARE(model.index(row, RunsModel::BitsPerParam).data(RunsModel::SortRole).toDouble(),
                rec.bits.bitsPerParam());
            QCOMPARE(model.index(row, RunsModel::RelMse).data(RunsModel::SortRole).toDouble(),
                rec.metrics["reconstruction"]["relMse"].get<double>());
            QCOMPARE(model.index(row, RunsModel::RelMse).data().toString(),
                display::number(rec.metrics["reconstruction"]["relMse"].get<double>()));
            QCOMPARE(model.index(row, RunsModel::Recall).data(RunsModel::SortRole).toDouble(),
                rec.metrics["neighbourRecall"]["mean"].get<double>());
            QCOMPARE(model.index(row, RunsModel::Time).data(RunsModel::SortRole).toDouble(),
                rec.timings.fitSeconds + rec.timings.metricsSeconds);
            QCOMPARE(model.index(row, RunsModel::Status).data().toString(), QStringLiteral("done"));
        }
        QCOMPARE(model.index(sourceRow(model, p), RunsModel::Params).data().toString(), QStringLiteral("d4 6-bit"));
        QCOMPARE(model.index(sourceRow(model, p), RunsModel::Name).data().toString(), QStringLiteral("pq d4 6-bit"));
        QCOMPARE(
            model.index(sourceRow(model, r8), RunsModel::Params).data().toString(), QStringLiteral("8-bit group=0"));

        // Numeric sort on relMSE: 8 bits < 4 bits < 2 bits for RTN (measured on these rows: 0.00007,
        // 0.0245, 0.661); pq 6 bits per 4 dims lands between, so compare against the records.
        qInfo("relMSE: RTN 8 bits %.5f, 4 bits %.4f, 2 bits %.3f", relMseOf(context, r8), relMseOf(context, r4),
            relMseOf(context, r2));
        panel.view()->sortByColumn(RunsModel::RelMse, Qt::AscendingOrder);
        QList<RunKey> expected { r4, r8, r2, p };
        std::sort(expected.begin(), expected.end(),
            [&](RunKey a, RunKey b) { return relMseOf(context, a) < relMseOf(context, b); });
        QCOMPARE(proxyKeys(*panel.proxy()), expected);
        QCOMPARE(expected.first(), r8);
        QCOMPARE(expected.last(), r2);
        panel.view()->sortByColumn(RunsModel::RelMse, Qt::DescendingOrder);
        std::reverse(expected.begin(), expected.end());
        QCOMPARE(proxyKeys(*panel.proxy()), expected);
        // A run without a value yet sorts last either way.
        const RunKey queued = queue.enqueue(rtn(3));
        QCOMPARE(proxyKeys(*panel.proxy()).last(), queued);
        panel.view()->sortByColumn(RunsModel::RelMse, Qt::AscendingOrder);
        QCOMPARE(proxyKeys(*panel.proxy()).last(), queued);
        QVERIFY(waitIdle(queue));

        // Filters: text over name/method/params, and status.
        panel.filterEdit()->setText(QStringLiteral("PQ"));
        QCOMPARE(proxyKeys(*panel.proxy()), QList<RunKey> { p });
        panel.filterEdit()->setText(QStringLiteral("8-bit"));
        QCOMPARE(proxyKeys(*panel.proxy()), QList<RunKey> { r8 });
        panel.filterEdit()->clear();
        QCOMPARE(panel.proxy()->rowCount(), 5);
        context.renameRun(r2, QStringLiteral("two-bit baseline"));
        panel.filterEdit()->setText(QStringLiteral("baseline"));
        QCOMPARE(proxyKeys(*panel.proxy()), QList<RunKey> { r2 });
        panel.filterEdit()->clear();
        panel.statusFilterBox()->setCurrentIndex(
            panel.statusFilterBox()->findData(int(RunsProxyModel::StatusFilter::Active)));
        QCOMPARE(panel.proxy()->rowCount(), 0);
        panel.statusFilterBox()->setCurrentIndex(
            panel.statusFilterBox()->findData(int(RunsProxyModel::StatusFilter::Done)));
        QCOMPARE(panel.proxy()->rowCount(), 5);
        panel.statusFilterBox()->setCurrentIndex(0);

        // CSV export of the table as shown (sorted by relMSE ascending).
        QTemporaryDir dir;
        const QString csvPath = dir.filePath(QStringLiteral("runs.csv"));
        QCOMPARE(writeTableCsv(*panel.proxy(), csvPath), QString());
        QFile csv(csvPath);
        QVERIFY(csv.open(QIODevice::ReadOnly | QIODevice::Text));
        const QStringList lines = QString::fromUtf8(csv.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 6);
        QVERIFY(lines.at(0).startsWith(QStringLiteral("Name,Method,Parameters,Bits/param,relMSE")));
        QVERIFY2(lines.at(1).startsWith(QStringLiteral("rtn 8-bit group=0,rtn,8-bit group=0,8.160,")),
            qPrintable(lines.at(1)));
        QVERIFY(lines.at(1).contains(display::number(relMseOf(context, r8))));
        QVERIFY(lines.at(5).startsWith(QStringLiteral("two-bit baseline,rtn,2-bit group=0,")));
    }

    void finishedRunIsSelectedWhenNothingElseIs()
    {
        AppContext context;
        setGloveTable(context, 1000);
        RunQueue queue(&context);
        RunsPanel panel(&context, &queue);
        const RunKey a = queue.enqueue(rtn(4));
        QVERIFY(context.selectedRuns().isEmpty()); // queued, not done: nothing to show yet
        QVERIFY(waitIdle(queue));
        QCOMPARE(context.selectedRuns(), QList<RunKey> { a });
        QCOMPARE(panel.selectedKeys(), QList<RunKey> { a });
        // The user is looking at a run: a run finishing later does not take the view away.
        const RunKey b = queue.enqueue(rtn(8));
        QVERIFY(waitIdle(queue));
        QCOMPARE(context.selectedRuns(), QList<RunKey> { a });
        QCOMPARE(context.run(b)->record->status, RunStatus::Done);
        // A cancelled run is not selected; the one that finishes is.
        context.setSelectedRuns({});
        const RunKey c = queue.enqueue(rtn(2));
        const RunKey d = queue.enqueue(rtn(3));
        queue.cancel(d); // still queued: cancelled at once
        QCOMPARE(context.run(d)->record->status, RunStatus::Cancelled);
        QVERIFY(context.selectedRuns().isEmpty());
        QVERIFY(waitIdle(queue));
        QCOMPARE(context.selectedRuns(), QList<RunKey> { c });
    }

    void selectionFollowsBothWays()
    {
        AppContext context;
        setGloveTable(context, 1000);
        RunQueue queue(&context);
        RunsPanel panel(&context, &queue);
        const RunKey a = queue.enqueue(rtn(4));
        const RunKey b = queue.enqueue(rtn(8));
        const RunKey c = queue.enqueue(rtn(2));
        QVERIFY(waitIdle(queue));
        panel.view()->sortByColumn(RunsModel::RelMse, Qt::AscendingOrder); // b, a, c

        QSignalSpy selection(&context, &AppContext::selectionChanged);
        selectKeys(panel, { c, b });
        // View order, not click order.
        QCOMPARE(context.selectedRuns(), (QList<RunKey> { b, c }));
        QCOMPARE(context.currentRun(), b);
        QVERIFY(panel.deleteAction()->isEnabled());
        QVERIFY(!panel.renameAction()->isEnabled());
        QVERIFY(!panel.cancelAction()->isEnabled());

        context.setSelectedRuns({ a });
        QCOMPARE(panel.selectedKeys(), QList<RunKey> { a });
        QCOMPARE(panel.view()->selectionModel()->selectedRows().size(), 1);
        QCOMPARE(panel.view()->selectionModel()->selectedRows().first().row(), 1);
        QVERIFY(panel.renameAction()->isEnabled());
        context.setSelectedRuns({});
        QVERIFY(!panel.view()->selectionModel()->hasSelection());
        QVERIFY(!panel.deleteAction()->isEnabled());
    }

    void actions()
    {
        AppContext context;
        setGloveTable(context, 2000);
        RunQueue queue(&context);
        RunsPanel panel(&context, &queue);
        QAbstractItemModelTester modelTester(panel.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(panel.proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        panel.view()->sortByColumn(RunsModel::Method, Qt::AscendingOrder);
        const RunKey a = queue.enqueue(pq());
        const RunKey b = queue.enqueue(rtn(4));
        QVERIFY(waitIdle(queue));

        // The rename editor opens with the name shown, also before any rename.
        selectKeys(panel, { b });
        panel.renameAction()->trigger();
        auto* first = panel.view()->viewport()->findChild<QLineEdit*>();
        QVERIFY(first != nullptr);
        QCOMPARE(first->text(), QStringLiteral("rtn 4-bit group=0"));
        QTest::keyClick(first, Qt::Key_Escape); // cancels the edit
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete); // and the editor goes
        // Rename through the name cell (as the editor commits it) and through the action's editor.
        QVERIFY(panel.proxy()->setData(proxyIndex(panel, a, RunsModel::Name), QStringLiteral("  pq six  ")));
        QCOMPARE(context.run(a)->record->name, std::string("pq six"));
        QCOMPARE(proxyIndex(panel, a, RunsModel::Name).data().toString(), QStringLiteral("pq six"));
        QCOMPARE(proxyIndex(panel, a, RunsModel::Name).data(Qt::EditRole).toString(), QStringLiteral("pq six"));
        selectKeys(panel, { a });
        panel.renameAction()->trigger();
        auto* editor = panel.view()->viewport()->findChild<QLineEdit*>();
        QVERIFY(editor != nullptr);
        QCOMPARE(editor->text(), QStringLiteral("pq six"));
        QCOMPARE(panel.view()->currentIndex(), proxyIndex(panel, a, RunsModel::Name));

        // Re-run with edits hands the spec to whoever edits specs.
        QSignalSpy edit(&context, &AppContext::editSpecRequested);
        panel.editSpecAction()->trigger();
        QCOMPARE(edit.count(), 1);
        QCOMPARE(edit.at(0).at(0).value<QuantSpec>(), context.run(a)->record->spec);

        // Save spec: the JSON `quantize --config` reads, equal to the run's resolved spec.
        QTemporaryDir dir;
        const QString specPath = dir.filePath(QStringLiteral("pq.json"));
        QCOMPARE(RunsPanel::writeSpecFile(context.run(a)->record->spec, specPath), QString());
        QFile specFile(specPath);
        QVERIFY(specFile.open(QIODevice::ReadOnly));
        const QuantSpec saved = QuantSpec::fromJson(nlohmann::json::parse(specFile.readAll().toStdString()));
        QCOMPARE(saved, context.run(a)->record->spec);
        QCOMPARE(saved.params["d"].get<int>(), 4);
        QVERIFY(!RunsPanel::writeSpecFile(saved, dir.filePath(QStringLiteral("missing/dir/x.json"))).isEmpty());

        // Run again: the same spec and seed give the same numbers.
        selectKeys(panel, { b });
        panel.runAgainAction()->trigger();
        QCOMPARE(context.runCount(), 3);
        const RunKey again = context.runAt(2).key;
        QCOMPARE(context.run(again)->record->spec, context.run(b)->record->spec);
        // The same spec again: the same run id, and a name that tells it is the second.
        QCOMPARE(context.run(again)->record->id, context.run(b)->record->id);
        QCOMPARE(context.run(again)->record->name, std::string("rtn 4-bit group=0 #2"));
        QVERIFY(waitIdle(queue));
        QCOMPARE(context.run(again)->record->status, RunStatus::Done);
        QCOMPARE(relMseOf(context, again), relMseOf(context, b));

        // Delete removes the selected rows from model, proxy and selection.
        selectKeys(panel, { a, again });
        panel.deleteAction()->trigger();
        QCOMPARE(context.runCount(), 1);
        QCOMPARE(panel.model()->rowCount(), 1);
        QCOMPARE(panel.proxy()->rowCount(), 1);
        QCOMPARE(panel.model()->keyAt(0), b);
        QVERIFY(context.selectedRuns().isEmpty());

        // A preview is listed in italics and marked.
        const RunKey preview = context.addRun(context.run(b)->record, true);
        const QModelIndex previewName = proxyIndex(panel, preview, RunsModel::Name);
        QVERIFY(previewName.data().toString().endsWith(QStringLiteral("(preview)")));
        QVERIFY(previewName.data(Qt::FontRole).value<QFont>().italic());
        QVERIFY(!proxyIndex(panel, b, RunsModel::Name).data(Qt::FontRole).isValid());
        context.clearRuns();
        QCOMPARE(panel.proxy()->rowCount(), 0);
    }

    void cancelAndProgress()
    {
        AppContext context;
        setGloveTable(context, 4000);
        RunQueue queue(&context);
        RunsPanel panel(&context, &queue);
        QWidget statusBar; // the widget lives in a status bar, not as a window of its own
        RunQueueWidget status(&queue, &statusBar);
        QAbstractItemModelTester modelTester(panel.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(status.isHidden());
        QVERIFY(!panel.cancelAllAction()->isEnabled());

        QSignalSpy progress(&context, &AppContext::runProgress);
        const RunKey slow = queue.enqueue(slowSpec());
        const RunKey queued = queue.enqueue(slowSpec());
        const RunKey last = queue.enqueue(rtn(4));
        QVERIFY(!status.isHidden());
        QVERIFY(panel.cancelAllAction()->isEnabled());
        QVERIFY(progress.wait(kRunTimeoutMs));

        // Progress reaches the status cell only, and the widget.
        QSignalSpy changed(panel.model(), &QAbstractItemModel::dataChanged);
        QVERIFY(progress.wait(kRunTimeoutMs));
        QVERIFY(!changed.isEmpty());
        for (const QList<QVariant>& args : changed) {
            const auto from = args.at(0).value<QModelIndex>();
            const auto to = args.at(1).value<QModelIndex>();
            QCOMPARE(from.row(), sourceRow(*panel.model(), slow));
            QCOMPARE(to.row(), from.row());
            QCOMPARE(from.column(), int(RunsModel::Status));
            QCOMPARE(to.column(), int(RunsModel::Status));
        }
        const QModelIndex statusCell = proxyIndex(panel, slow, RunsModel::Status);
        QCOMPARE(statusCell.data(RunsModel::StatusRole).toInt(), int(RunStatus::Running));
        QVERIFY2(statusCell.data().toString().startsWith(context.run(slow)->stage),
            qPrintable(statusCell.data().toString()));
        QVERIFY(statusCell.data().toString().contains(u'%'));
        QCOMPARE(statusCell.data(RunsModel::FractionRole).toDouble(), context.run(slow)->fraction);
        QVERIFY2(status.statusText().startsWith(QStringLiteral("Running aqlm (2 queued) — ")),
            qPrintable(status.statusText()));

        // Cancel the selected running run; the next one starts.
        selectKeys(panel, { slow });
        QVERIFY(panel.cancelAction()->isEnabled());
        QSignalSpy finished(&queue, &RunQueue::runFinished);
        panel.cancelAction()->trigger();
        QCOMPARE(proxyIndex(panel, slow, RunsModel::Status).data().toString(), QStringLiteral("cancelling…"));
        QVERIFY(finished.wait(kRunTimeoutMs));
        QCOMPARE(context.run(slow)->record->status, RunStatus::Cancelled);
        QCOMPARE(proxyIndex(panel, slow, RunsModel::Status).data().toString(), QStringLiteral("cancelled"));
        QTRY_COMPARE_WITH_TIMEOUT(context.run(queued)->record->status, RunStatus::Running, kRunTimeoutMs);

        // Deleting the running run cancels it and drops its row; the queue goes on.
        selectKeys(panel, { queued });
        panel.deleteAction()->trigger();
        QVERIFY(context.run(queued) == nullptr);
        QCOMPARE(panel.model()->rowCount(), 2);
        QVERIFY(waitIdle(queue));
        QCOMPARE(context.run(last)->record->status, RunStatus::Done);
        QVERIFY(status.isHidden());
        QVERIFY(!panel.cancelAllAction()->isEnabled());

        // Cancel All from the status bar.
        const RunKey x = queue.enqueue(slowSpec());
        const RunKey y = queue.enqueue(rtn(2));
        QTRY_COMPARE_WITH_TIMEOUT(context.run(x)->record->status, RunStatus::Running, kRunTimeoutMs);
        QTest::mouseClick(status.cancelAllButton(), Qt::LeftButton);
        QCOMPARE(context.run(y)->record->status, RunStatus::Cancelled);
        QCOMPARE(status.statusText(), QStringLiteral("Cancelling aqlm…"));
        QVERIFY(waitIdle(queue));
        QCOMPARE(context.run(x)->record->status, RunStatus::Cancelled);
        QVERIFY(status.isHidden());
    }
};

QTEST_MAIN(TestRunsPanel)
#include "tst_runspanel.moc"
