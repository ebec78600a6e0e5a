// A sweep's runs arriving live: lines appended to a watched file (whole, cut in two, torn), shard files
// appearing in a Slurm sweep's folder, and the main window's runs table and trade-off view filling.
#include "appcontext.h"
#include "charts/tradeoffchart.h"
#include "io/embeddingloader.h"
#include "mainwindow.h"
#include "panels/tradeoffpanel.h"
#include "panelviews.h"
#include "run/runexecutor.h"
#include "runners/sweepwatcher.h"
#include "sessioncontroller.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace vq;

namespace {

constexpr int kTimeoutMs = 20000;

QString samplePath()
{
    return QString::fromStdString(vqtest::sourcePath("resources/sample/glove-20k.npy"));
}

void append(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::Append));
    QCOMPARE(f.write(bytes), bytes.size());
}

int runsIn(const QSignalSpy& spy)
{
    int n = 0;
    for (const QList<QVariant>& args : spy)
        n += int(args.at(0).value<std::shared_ptr<const RunList>>()->size());
    return n;
}

} // namespace

class TestSweepWatcher : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::vector<QByteArray> m_lines; // real run records of the sample table, rtn 2..5 bits

private slots:
    void initTestCase()
    {
        RunControl control;
        const EmbeddingTable table = loadEmbedding(samplePath().toStdString(), {}, control);
        RunOptions options;
        options.recallQueries = 0;
        options.keepTable = false;
        for (int bits = 2; bits <= 5; ++bits) {
            const RunRecord r = executeRun(
                table, { "rtn", { { "bits", bits }, { "group", 0 }, { "mode", "sym" } } }, options, control);
            m_lines.push_back(QByteArray::fromStdString(r.toJson().dump()) + '\n');
        }
    }

    void linesArriveWhenComplete()
    {
        // Watched before it exists: the first line arrives once the file is created.
        const QString file = m_dir.filePath(QStringLiteral("runs.jsonl"));
        SweepWatcher watcher;
        QSignalSpy spy(&watcher, &SweepWatcher::runsArrived);
        watcher.watch(file);
        QTest::qWait(100);
        append(file, m_lines[0]);
        QTRY_COMPARE_WITH_TIMEOUT(runsIn(spy), 1, kTimeoutMs);
        QCOMPARE(watcher.files(), QStringList { file });

        // A line and half of the next: only the whole one arrives; the rest once it is complete.
        append(file, m_lines[1] + m_lines[2].left(40));
        QTRY_COMPARE_WITH_TIMEOUT(runsIn(spy), 2, kTimeoutMs);
        append(file, m_lines[2].mid(40));
        QTRY_COMPARE_WITH_TIMEOUT(runsIn(spy), 3, kTimeoutMs);
        QCOMPARE(spy.at(2).at(0).value<std::shared_ptr<const RunList>>()->front()->spec.params["bits"].get<int>(), 4);

        // A torn line, ended by a writer that resumed, is skipped with a warning; the next run arrives.
        append(file, m_lines[3].left(25) + '\n' + m_lines[3]);
        QTRY_COMPARE_WITH_TIMEOUT(runsIn(spy), 4, kTimeoutMs);
        const QStringList warnings = spy.last().at(1).toStringList();
        QCOMPARE(warnings.size(), 1);
        QVERIFY2(warnings[0].contains(QStringLiteral("torn line of 25 bytes skipped")), qPrintable(warnings[0]));

        // The same runs again (a merged copy): nothing new.
        const int emitted = int(spy.size());
        append(file, m_lines[0]);
        QTest::qWait(300);
        QCOMPARE(runsIn(spy), 4);
        QCOMPARE(int(spy.size()), emitted); // not even an empty signal
    }

    void slurmSweepFolder()
    {
        QTemporaryDir dir;
        const QString manifest = dir.filePath(QStringLiteral("runs.sweep.json"));
        append(manifest, "{}\n");
        append(dir.filePath(QStringLiteral("other.jsonl")), m_lines[3]); // not this sweep's
        SweepWatcher watcher;
        QSignalSpy spy(&watcher, &SweepWatcher::runsArrived);
        watcher.watch(manifest);
        QTest::qWait(200);
        QCOMPARE(runsIn(spy), 0);
        // Shard files appear as the array tasks start, then the merge rewrites runs.jsonl.
        append(dir.filePath(QStringLiteral("runs.shard-1.jsonl")), m_lines[1]);
        QTRY_COMPARE_WITH_TIMEOUT(runsIn(spy), 1, kTimeoutMs);
        append(dir.filePath(QStringLiteral("runs.shard-0.jsonl")), m_lines[0]);
        QTRY_COMPARE_WITH_TIMEOUT(runsIn(spy), 2, kTimeoutMs);
        append(dir.filePath(QStringLiteral("runs.shard-0.jsonl")), m_lines[2]);
        QTRY_COMPARE_WITH_TIMEOUT(runsIn(spy), 3, kTimeoutMs);
        append(dir.filePath(QStringLiteral("runs.jsonl")), m_lines[0] + m_lines[1] + m_lines[2]);
        QTest::qWait(300);
        QCOMPARE(runsIn(spy), 3);
        QCOMPARE(watcher.files().size(), 3);
    }

    void mainWindowShowsRunsArriving()
    {
        MainWindow window;
        window.resize(1200, 800);
        QSignalSpy loaded(window.context(), &AppContext::tableChanged);
        window.openFile(samplePath());
        QVERIFY(loaded.wait(60000));
        auto* table = window.findChild<QTableView*>(QStringLiteral("runsTable"));
        QVERIFY(table);
        QAbstractItemModelTester tester(table->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto* tradeoff = window.findChild<TradeoffPanel*>();
        QVERIFY(tradeoff);

        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("live.jsonl"));
        append(file, m_lines[0]);
        window.sessionController()->watchSweep(file);
        QTRY_COMPARE_WITH_TIMEOUT(window.context()->runCount(), 1, kTimeoutMs);
        append(file, m_lines[1] + m_lines[2].left(60));
        QTRY_COMPARE_WITH_TIMEOUT(window.context()->runCount(), 2, kTimeoutMs);
        append(file, m_lines[2].mid(60) + m_lines[3]);
        QTRY_COMPARE_WITH_TIMEOUT(window.context()->runCount(), 4, kTimeoutMs);
        QCOMPARE(table->model()->rowCount(), 4);
        QTRY_COMPARE_WITH_TIMEOUT(vqtest::tradeoffViews(*tradeoff).chart->points().size(), size_t(4), kTimeoutMs);
    }
};

QTEST_MAIN(TestSweepWatcher)
#include "tst_sweepwatcher.moc"
