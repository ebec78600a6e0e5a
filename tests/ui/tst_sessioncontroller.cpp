// Sessions end to end with the real main window offscreen and the bundled sample: save and reopen runs
// exactly, ask before unsaved runs are dropped, import CLI artifacts and sweeps, and autosave: one journal
// per instance behind a lock (two windows in this process are two instances; a crash is a window
// destroyed without closing, its lock left stale), restore only of a dead instance's journal, the
// session file kept, runs in progress back as interrupted and runnable again, closing never waiting.
#include "appcontext.h"
#include "export/artifact.h"
#include "io/atomicfile.h"
#include "io/hdf5lock.h"
#include "mainwindow.h"
#include "run/runexecutor.h"
#include "run/sessionjournal.h"
#include "runners/jobtracker.h"
#include "sessioncontroller.h"

#include "safetensorsfixture.h"
#include "testutil.h"

#include <QAction>
#include <QDir>
#include <QFile>
#include <QItemSelectionModel>
#include <QMessageBox>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QSysInfo>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

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

// A slow run (several seconds): still running when the test stops it.
QuantSpec slowSpec()
{
    return QuantSpec { "aqlm",
        { { "M", 2 }, { "B", 8 }, { "g", 4 }, { "beam", 4 }, { "maxRounds", 200 }, { "tolerance", 0.0 } } };
}

// What a crashed instance leaves: its journal folder and a lock file naming a process that is gone.
void leaveStaleLock(const QString& folder)
{
    const pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, nullptr, 0); // the pid names no process now
    QFile lock(folder + QStringLiteral(".lock"));
    QVERIFY(lock.open(QIODevice::WriteOnly | QIODevice::Truncate));
    lock.write(QByteArray::number(child) + '\n' + QCoreApplication::applicationName().toUtf8() + '\n'
        + QSysInfo::machineHostName().toUtf8() + '\n');
}

// A window whose questions are answered by the test.
struct Window {
    MainWindow window;
    SessionController* session = window.sessionController();
    int asked = 0;
    int restoreAsked = 0;
    SessionController::Decision answer = SessionController::Decision::Cancel;

    Window()
    {
        session->setDiscardQuestion([this](const QString&) {
            ++asked;
            return answer;
        });
        session->setChecksumQuestion([](const QString&) { return false; });
        session->setRestoreQuestion([this](const QString&) {
            ++restoreAsked;
            return true;
        });
    }
    bool idle()
    {
        return QTest::qWaitFor([this] { return !session->isBusy(); }, kTimeoutMs);
    }
    // Offers the journal of an instance that is gone and waits until its runs are back.
    bool restore()
    {
        QSignalSpy opened(session, &SessionController::opened);
        session->offerRestore();
        return opened.wait(kTimeoutMs);
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
    void init() { QDir(SessionController::autosaveRoot()).removeRecursively(); }

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

        // Discard closes (once an autosave being written has stopped), and a clean shutdown leaves no
        // journal and no lock behind.
        QVERIFY(QFile::exists(w.session->autosaveFolder()));
        w.answer = SessionController::Decision::Discard;
        w.window.close();
        QTRY_VERIFY(!w.window.isVisible());
        QCOMPARE(w.asked, 3);
        QVERIFY(!QFile::exists(w.session->autosaveFolder()));
        QVERIFY(!QFile::exists(w.session->autosaveFolder() + QStringLiteral(".lock")));
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
        QString folder;
        {
            Window w;
            folder = w.session->autosaveFolder();
            QVERIFY(w.load());
            QSignalSpy autosaved(w.session, &SessionController::autosaved);
            QVERIFY(w.runTwo());
            // Saved after each finished run.
            QVERIFY(waitCount(autosaved, 1));
            QVERIFY(w.idle());
            QVERIFY(QFile::exists(folder + QStringLiteral("/index.json")));
            QVERIFY(QFile::exists(folder + QStringLiteral(".lock")));
            // A change (rename) is saved after the debounce delay, in the index only.
            w.session->setAutosaveDelay(50);
            const auto runFile = std::filesystem::path(folder.toStdString()) / "run-1.vqproj";
            QVERIFY(std::filesystem::exists(runFile));
            const auto written = std::filesystem::last_write_time(runFile);
            const int count = int(autosaved.count());
            w.window.context()->renameRun(w.window.context()->runAt(0).key, QStringLiteral("renamed"));
            QVERIFY(waitCount(autosaved, count + 1));
            QVERIFY(w.idle());
            QCOMPARE(SessionJournal::read(folder.toStdString()).runs.front().name, std::string("renamed"));
            QCOMPARE(std::filesystem::last_write_time(runFile), written);
            // No clean shutdown: the window is destroyed without close(), as in a crash.
        }
        leaveStaleLock(folder);
        QVERIFY(QFile::exists(folder));
        Window w;
        QSignalSpy autosaved(w.session, &SessionController::autosaved);
        QVERIFY(w.restore());
        QCOMPARE(w.restoreAsked, 1);
        AppContext* c = w.window.context();
        QCOMPARE(c->runCount(), 2);
        QCOMPARE(c->runAt(0).record->name, std::string("renamed"));
        QVERIFY(c->runAt(1).record->fullMetrics != nullptr);
        QVERIFY(c->isModified()); // restored work is not saved anywhere yet
        QVERIFY(c->sessionPath().isEmpty());
        // Once this instance has autosaved the runs, the dead instance's journal and lock are gone.
        QVERIFY(waitCount(autosaved, 1));
        QVERIFY(!QFile::exists(folder));
        QVERIFY(!QFile::exists(folder + QStringLiteral(".lock")));
        QVERIFY(QFile::exists(w.session->autosaveFolder() + QStringLiteral("/index.json")));
    }

    // Two instances at once: neither offers the other's live work nor writes into its journal. When the
    // first one dies, a third instance offers exactly its runs.
    void twoInstancesKeepTheirOwnJournals()
    {
        auto first = std::make_unique<Window>();
        QVERIFY(first->load());
        QSignalSpy firstSaved(first->session, &SessionController::autosaved);
        QVERIFY(first->runTwo());
        QVERIFY(waitCount(firstSaved, 1));
        QVERIFY(first->idle());
        const QString firstFolder = first->session->autosaveFolder();

        Window second;
        QVERIFY(second.session->autosaveFolder() != firstFolder);
        second.session->offerRestore();
        QCOMPARE(second.restoreAsked, 0); // the first instance is alive
        QVERIFY(second.load());
        QSignalSpy secondSaved(second.session, &SessionController::autosaved);
        QSignalSpy finished(second.window.runQueue(), &RunQueue::runFinished);
        RunOptions options = quick();
        options.name = "second's";
        second.window.runQueue()->enqueue(rtn(2), options);
        QVERIFY(waitCount(finished, 1));
        QVERIFY(waitCount(secondSaved, 1));
        QVERIFY(second.idle());
        // The first journal still holds the first instance's two runs only.
        QCOMPARE(SessionJournal::read(firstFolder.toStdString()).runs.size(), size_t(2));

        // The first instance crashes; the second lives on.
        first.reset();
        leaveStaleLock(firstFolder);
        Window third;
        QVERIFY(third.restore());
        QCOMPARE(third.restoreAsked, 1);
        QCOMPARE(third.window.context()->runCount(), 2);
        QCOMPARE(third.window.context()->runAt(0).record->name, std::string("rtn 4"));
        // The second instance's journal is untouched and still its own.
        QCOMPARE(SessionJournal::read(second.session->autosaveFolder().toStdString()).runs.size(), size_t(1));
    }

    // Work on a saved session, then a crash: the restored session still belongs to its file, and Save
    // writes there without asking.
    void restoreKeepsTheSessionFile()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("kept.vqproj"));
        QString folder;
        {
            Window w;
            QVERIFY(w.load());
            QVERIFY(w.runTwo());
            QSignalSpy saved(w.session, &SessionController::saved);
            w.session->saveAs(file);
            QVERIFY(saved.wait(kTimeoutMs));
            QVERIFY(w.idle());
            // A saved session needs no journal.
            QVERIFY(!QFile::exists(w.session->autosaveFolder() + QStringLiteral("/index.json")));
            QSignalSpy autosaved(w.session, &SessionController::autosaved);
            QSignalSpy finished(w.window.runQueue(), &RunQueue::runFinished);
            w.window.runQueue()->enqueue(rtn(3), quick());
            QVERIFY(waitCount(finished, 1));
            QVERIFY(waitCount(autosaved, 1));
            QVERIFY(w.idle());
            folder = w.session->autosaveFolder();
        }
        leaveStaleLock(folder);
        Window w;
        QVERIFY(w.restore());
        AppContext* c = w.window.context();
        QCOMPARE(c->runCount(), 3);
        QCOMPARE(c->sessionPath(), file);
        QVERIFY(c->isModified());
        QVERIFY(w.window.windowTitle().startsWith(QStringLiteral("kept[*]")));
        // Save goes to the session's file: no question asked.
        int asked = 0;
        w.session->setSavePathQuestion([&asked] {
            ++asked;
            return QString();
        });
        QSignalSpy saved(w.session, &SessionController::saved);
        QVERIFY(w.session->save());
        QVERIFY(saved.wait(kTimeoutMs));
        QCOMPARE(asked, 0);
        QCOMPARE(readSession(file.toStdString()).runs.size(), size_t(3));
        QVERIFY(!c->isModified());
    }

    // A run in progress at the crash comes back interrupted, with its spec, and Run Again runs it.
    void interruptedRunComesBackAndRunsAgain()
    {
        QString folder;
        QuantSpec spec;
        {
            Window w;
            QVERIFY(w.load());
            QSignalSpy autosaved(w.session, &SessionController::autosaved);
            QSignalSpy started(w.window.runQueue(), &RunQueue::runStarted);
            const RunKey key = w.window.runQueue()->enqueue(slowSpec(), quick());
            spec = w.window.context()->run(key)->record->spec;
            QVERIFY(waitCount(started, 1));
            // Listed as soon as it started.
            QVERIFY(waitCount(autosaved, 1));
            QVERIFY(w.idle());
            folder = w.session->autosaveFolder();
            QCOMPARE(w.window.context()->run(key)->record->status, RunStatus::Running);
        }
        leaveStaleLock(folder);
        Window w;
        QVERIFY(w.restore());
        AppContext* c = w.window.context();
        QCOMPARE(c->runCount(), 1);
        const RunRecord& interrupted = *c->runAt(0).record;
        QCOMPARE(interrupted.status, RunStatus::Interrupted);
        QCOMPARE(interrupted.spec.toJson().dump(), spec.toJson().dump());

        // Run Again (the runs table's action) queues the same spec.
        c->setCurrentRun(c->runAt(0).key);
        auto* runAgain = w.window.findChild<QAction*>(QStringLiteral("runAgainAction"));
        QVERIFY(runAgain);
        QTRY_VERIFY(runAgain->isEnabled());
        QSignalSpy queued(c, &AppContext::runAdded);
        runAgain->trigger();
        QCOMPARE(queued.count(), 1);
        QCOMPARE(c->runCount(), 2);
        QCOMPARE(c->runAt(1).record->spec.toJson().dump(), spec.toJson().dump());
        QVERIFY(w.window.runQueue()->isBusy());
        w.window.runQueue()->cancelAll();
        QTRY_VERIFY(!w.window.runQueue()->isBusy());
    }

    // Closing while an autosave is being written (held here on the HDF5 lock) neither blocks nor waits:
    // close() returns at once, the autosave is cancelled, and the window closes once it has stopped,
    // leaving no journal.
    void closingDoesNotWaitForAnAutosave()
    {
        Window w;
        QVERIFY(w.load());
        w.window.show();
        QVERIFY(w.runTwo());
        QVERIFY(w.idle());
        // A finished run the journal has not written yet.
        RunRecord copy = *w.window.context()->runAt(0).record;
        copy.name = "copy";
        w.window.context()->addRun(std::make_shared<const RunRecord>(std::move(copy)));
        {
            const std::lock_guard hold(hdf5Mutex());
            w.session->autosave();
            QTRY_VERIFY(w.session->isBusy());
            w.answer = SessionController::Decision::Discard;
            QVERIFY(!w.window.close()); // returns while the autosave waits for the lock
            QVERIFY(w.window.isVisible());
        }
        QTRY_VERIFY(!w.window.isVisible());
        QVERIFY(!QFile::exists(w.session->autosaveFolder()));
        QVERIFY(!QFile::exists(w.session->autosaveFolder() + QStringLiteral(".lock")));
    }

    // Every job the session and run runners made is freed.
    void cleanupTestCase() { QTRY_COMPARE(Job::liveCount(), 0); }

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

    // A full disk while saving and autosaving: the saved file and the journal keep their earlier bytes,
    // the error names the file and says why, the session stays unsaved.
    void aFullDiskKeepsWhatWasSavedAndSaysSo()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("full.vqproj"));
        const QString noSpace = QString::fromUtf8(std::strerror(ENOSPC));
        Window w;
        w.session->setAutosaveDelay(3600 * 1000); // autosaves only when the test asks
        AppContext* c = w.window.context();
        QVERIFY(w.load());
        QVERIFY(w.runTwo());
        QVERIFY(w.idle());
        QSignalSpy saved(w.session, &SessionController::saved);
        w.session->saveAs(file);
        QVERIFY(saved.wait(kTimeoutMs));
        QVERIFY(w.idle());
        const QByteArray savedBytes = vqtest::readAll(file.toStdString());

        c->renameRun(c->runAt(0).key, QStringLiteral("renamed"));
        QVERIFY(c->isModified());
        {
            const AtomicFileFault fault(AtomicFileFault::Op::Sync, 1, ENOSPC);
            QSignalSpy failed(w.session, &SessionController::saveFailed);
            QVERIFY(w.session->save());
            QVERIFY(failed.wait(kTimeoutMs));
            QVERIFY(w.idle());
            QCOMPARE(failed.at(0).at(0).toString(), file);
            const QString message = failed.at(0).at(1).toString();
            QVERIFY2(message.contains(file) && message.contains(noSpace), qPrintable(message));
            const auto* box = w.window.findChild<QMessageBox*>(QStringLiteral("sessionErrorBox"));
            QVERIFY(box);
            QCOMPARE(box->informativeText(), message);
        }
        QCOMPARE(vqtest::readAll(file.toStdString()), savedBytes);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList { QStringLiteral("full.vqproj") });
        QVERIFY(c->isModified());
        QVERIFY(w.window.isWindowModified());

        // The journal: written once, then a change whose index cannot be written.
        QSignalSpy autosaved(w.session, &SessionController::autosaved);
        w.session->autosave();
        QVERIFY(autosaved.wait(kTimeoutMs));
        QVERIFY(w.idle());
        const QString index = w.session->autosaveFolder() + QStringLiteral("/index.json");
        const QByteArray indexBytes = vqtest::readAll(index.toStdString());
        QVERIFY(!indexBytes.isEmpty());
        c->renameRun(c->runAt(1).key, QStringLiteral("renamed too"));
        {
            const AtomicFileFault fault(AtomicFileFault::Op::Write, 1, ENOSPC);
            QSignalSpy failed(w.session, &SessionController::autosaveFailed);
            w.session->autosave();
            QVERIFY(failed.wait(kTimeoutMs));
            QVERIFY(w.idle());
            QCOMPARE(failed.at(0).at(0).toString(), w.session->autosaveFolder());
            const QString message = failed.at(0).at(1).toString();
            QVERIFY2(message.contains(index) && message.contains(noSpace), qPrintable(message));
        }
        QCOMPARE(vqtest::readAll(index.toStdString()), indexBytes);
        QCOMPARE(SessionJournal::read(w.session->autosaveFolder().toStdString()).runs.at(1).name, std::string("pq"));
        QVERIFY(c->isModified());
        // room again: the next autosave writes the change
        w.session->autosave();
        QVERIFY(autosaved.wait(kTimeoutMs));
        QCOMPARE(SessionJournal::read(w.session->autosaveFolder().toStdString()).runs.at(1).name,
            std::string("renamed too"));
    }
};

QTEST_MAIN(TestSessionController)
#include "tst_sessioncontroller.moc"
