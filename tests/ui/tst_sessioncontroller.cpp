// Sessions end to end with the real main window offscreen and the bundled sample: save and reopen runs
// exactly, ask before unsaved runs are dropped, autosave and restore, import CLI artifacts and sweeps.
#include "appcontext.h"
#include "export/artifact.h"
#include "mainwindow.h"
#include "run/runexecutor.h"
#include "sessioncontroller.h"

#include "testutil.h"

#include <QFile>
#include <QMessageBox>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <fstream>

using namespace vq;

namespace {

constexpr int kTimeoutMs = 60000;

QString samplePath()
{
    return QString::fromStdString(vqtest::sourcePath("resources/sample/glove-20k.npy"));
}

QuantSpec rtn(int bits)
{
    return QuantSpec { "rtn", { { "bits", bits }, { "group", 0 }, { "mode", "sym" } } };
}

RunOptions quick()
{
    RunOptions o;
    o.recallQueries = 100;
    return o;
}

bool waitCount(QSignalSpy& spy, int count)
{
    while (spy.count() < count)
        if (!spy.wait(kTimeoutMs))
            return false;
    return true;
}

// A window whose questions are answered by the test.
struct Window {
    MainWindow window;
    SessionController* session = window.sessionController();
    int asked = 0;
    SessionController::Decision answer = SessionController::Decision::Cancel;

    Window()
    {
        session->setDiscardQuestion([this](const QString&) {
            ++asked;
            return answer;
        });
        session->setChecksumQuestion([](const QString&) { return false; });
        session->setRestoreQuestion([](const QString&) { return true; });
    }
    bool load()
    {
        QSignalSpy spy(window.context(), &AppContext::tableChanged);
        window.openFile(samplePath());
        return spy.wait(kTimeoutMs);
    }
    bool runTwo()
    {
        QSignalSpy finished(window.runQueue(), &RunQueue::runFinished);
        RunOptions a = quick();
        a.name = "rtn 4";
        window.runQueue()->enqueue(rtn(4), a);
        RunOptions b = quick();
        b.name = "pq";
        window.runQueue()->enqueue(QuantSpec { "pq", { { "d", 5 }, { "bits", 4 } } }, b);
        return waitCount(finished, 2);
    }
};

bool sameFloats(const std::vector<float>& a, const std::vector<float>& b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

} // namespace

class TestSessionController : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init() { QFile::remove(Window().session->autosavePath()); }

    void saveAndReopenGivesTheSameRuns()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("two.vqproj"));
        std::vector<std::shared_ptr<const RunRecord>> before;
        {
            Window w;
            QVERIFY(w.load());
            QVERIFY(w.runTwo());
            QVERIFY(w.window.context()->isModified());
            QVERIFY(w.window.isWindowModified());
            QSignalSpy saved(w.session, &SessionController::saved);
            w.session->saveAs(file);
            QVERIFY(saved.wait(kTimeoutMs));
            QVERIFY(!w.window.context()->isModified());
            QCOMPARE(w.window.context()->sessionPath(), file);
            QVERIFY(w.window.windowTitle().startsWith(QStringLiteral("two[*]")));
            for (const RunEntry& e : w.window.context()->runs())
                before.push_back(e.record);
        }
        Window w;
        QSignalSpy opened(w.session, &SessionController::opened);
        w.window.openFile(file); // routed to Open Session; loads the sample recorded in it
        QVERIFY(opened.wait(kTimeoutMs));
        AppContext* c = w.window.context();
        QVERIFY(c->hasTable());
        QCOMPARE(c->table()->source.checksum, before[0]->provenance.checksum);
        QCOMPARE(c->runCount(), 2);
        QVERIFY(!c->isModified());
        QVERIFY(!w.window.isWindowModified());
        for (int i = 0; i < 2; ++i) {
            const RunRecord& a = *before[size_t(i)];
            const RunRecord& b = *c->runAt(i).record;
            QCOMPARE(b.name, a.name);
            QCOMPARE(b.toJson().dump(), a.toJson().dump());
            QVERIFY(b.table && b.fullMetrics);
            QCOMPARE(b.fullMetrics->reconstruction.tokenMse.size(), size_t(20000));
            QVERIFY(
                sameFloats(b.fullMetrics->reconstruction.tokenRelError, a.fullMetrics->reconstruction.tokenRelError));
        }
        QCOMPARE(c->runAt(1).record->spec.method, std::string("pq"));
    }

    void closeAsksAndCancelKeepsTheWindow()
    {
        Window w;
        QVERIFY(w.load());
        w.window.show();
        QVERIFY(w.runTwo());
        w.answer = SessionController::Decision::Cancel;
        QVERIFY(!w.window.close());
        QCOMPARE(w.asked, 1);
        QVERIFY(w.window.isVisible());
        QCOMPARE(w.window.context()->runCount(), 2);

        // Opening another table asks too; Cancel keeps the runs.
        w.window.openFile(samplePath());
        QCOMPARE(w.asked, 2);
        QVERIFY(!w.window.loadRunner()->isBusy());

        // Discard closes, and a clean shutdown leaves no autosave.
        w.answer = SessionController::Decision::Discard;
        QVERIFY(w.window.close());
        QVERIFY(!QFile::exists(w.session->autosavePath()));
    }

    void saveAnswerSavesThenCloses()
    {
        QTemporaryDir dir;
        Window w;
        QVERIFY(w.load());
        w.window.show();
        QVERIFY(w.runTwo());
        const QString file = dir.filePath(QStringLiteral("onclose.vqproj"));
        w.session->setSavePathQuestion([file] { return file; });
        w.answer = SessionController::Decision::Save;
        QSignalSpy saved(w.session, &SessionController::saved);
        QVERIFY(!w.window.close()); // waits for the save
        QVERIFY(saved.wait(kTimeoutMs));
        QVERIFY(!w.window.isVisible());
        QCOMPARE(readSession(file.toStdString()).runs.size(), size_t(2));
    }

    void autosaveAppearsAndRestores()
    {
        QString autosave;
        {
            Window w;
            autosave = w.session->autosavePath();
            QVERIFY(w.load());
            QSignalSpy autosaved(w.session, &SessionController::autosaved);
            QVERIFY(w.runTwo());
            // Saved after each finished run.
            QVERIFY(waitCount(autosaved, 1));
            QVERIFY(QFile::exists(autosave));
            // A change (rename) is saved after the debounce delay.
            w.session->setAutosaveDelay(50);
            const int count = int(autosaved.count());
            w.window.context()->renameRun(w.window.context()->runAt(0).key, QStringLiteral("renamed"));
            QVERIFY(waitCount(autosaved, count + 1));
            while (w.session->isBusy())
                QVERIFY(QTest::qWaitFor([&] { return !w.session->isBusy(); }, kTimeoutMs));
            // No clean shutdown: the window is destroyed without close(), as in a crash.
        }
        QVERIFY(QFile::exists(autosave));
        Window w;
        QSignalSpy opened(w.session, &SessionController::opened);
        w.session->offerRestore();
        QVERIFY(opened.wait(kTimeoutMs));
        AppContext* c = w.window.context();
        QCOMPARE(c->runCount(), 2);
        QCOMPARE(c->runAt(0).record->name, std::string("renamed"));
        QVERIFY(c->runAt(1).record->fullMetrics != nullptr);
        QVERIFY(c->isModified()); // restored work is not saved anywhere yet
        QVERIFY(c->sessionPath().isEmpty());
    }

    void importsArtifactsAndSweeps()
    {
        QTemporaryDir dir;
        Window w;
        QVERIFY(w.load());
        const EmbeddingTable& table = *w.window.context()->table();
        RunControl control;
        RunOptions options = quick();
        options.name = "cli rtn";
        const RunRecord run = executeRun(table, rtn(3), options, control);

        // An artifact as the CLI writes it, made from the loaded table: arrays and per-token metrics.
        ArtifactContents contents;
        contents.table = *run.table;
        contents.metrics = run.metrics;
        contents.provenance = makeProvenance(table.source, control);
        contents.provenance["runName"] = run.name;
        const QString artifact = dir.filePath(QStringLiteral("cli.vq.h5"));
        writeArtifact(artifact.toStdString(), contents);
        // The same from another table: metrics only.
        contents.provenance["sourceChecksum"] = "xxh64:0000000000000000";
        const QString other = dir.filePath(QStringLiteral("other.vq.h5"));
        writeArtifact(other.toStdString(), contents);
        // A sweep file of two lines.
        const QString sweep = dir.filePath(QStringLiteral("sweep.jsonl"));
        {
            std::ofstream out(sweep.toStdString());
            RunRecord a = run;
            a.name = "line 1";
            RunRecord b = run;
            b.name = "line 2";
            b.spec = rtn(5);
            out << a.toJson().dump() << "\n" << b.toJson().dump() << "\n";
        }

        QSignalSpy imported(w.session, &SessionController::imported);
        w.window.openFile(artifact);
        QVERIFY(imported.wait(kTimeoutMs));
        AppContext* c = w.window.context();
        QCOMPARE(c->runCount(), 1);
        const RunRecord& fromArtifact = *c->runAt(0).record;
        QCOMPARE(fromArtifact.name, std::string("cli rtn"));
        QVERIFY(fromArtifact.table && fromArtifact.fullMetrics);
        // Measured again on the same table: the same per-token errors as the run.
        QVERIFY(
            sameFloats(fromArtifact.fullMetrics->reconstruction.tokenMse, run.fullMetrics->reconstruction.tokenMse));
        QCOMPARE(fromArtifact.bits.totalBits(), run.bits.totalBits());

        w.session->importRuns(other);
        QVERIFY(waitCount(imported, 2));
        const RunRecord& metricsOnly = *c->runAt(1).record;
        QVERIFY(!metricsOnly.table && !metricsOnly.fullMetrics);
        QCOMPARE(metricsOnly.metrics["reconstruction"]["relMse"].get<double>(),
            run.metrics["reconstruction"]["relMse"].get<double>());
        QVERIFY(w.window.findChild<QMessageBox*>(QStringLiteral("importWarningBox")) != nullptr);

        w.window.openFile(sweep);
        QVERIFY(waitCount(imported, 3));
        QCOMPARE(imported.at(2).at(1).toInt(), 2);
        QCOMPARE(c->runCount(), 4);
        QCOMPARE(c->runAt(3).record->name, std::string("line 2"));
        QVERIFY(!c->runAt(3).record->table);
        QVERIFY(c->isModified());
    }
};

QTEST_MAIN(TestSessionController)
#include "tst_sessioncontroller.moc"
