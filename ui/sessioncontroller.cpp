#include "sessioncontroller.h"

#include "appcontext.h"
#include "mainwindow.h"
#include "runners/backgroundrelease.h"

#include <QAction>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLockFile>
#include <QMenu>
#include <QMessageBox>
#include <QStandardPaths>
#include <QStatusBar>

#include <atomic>

namespace vq {

namespace {

constexpr int kAutosaveDelayMs = 30000;
constexpr int kStatusMessageMs = 5000;
const QString kSessionSuffix = QStringLiteral(".vqproj");

bool isPreviewOrEmpty(const AppContext& context)
{
    for (const RunEntry& e : context.runs())
        if (!e.preview)
            return false;
    return true;
}

// A lock file of an instance's journal; only the process holding it (alive) keeps it.
std::unique_ptr<QLockFile> journalLock(const QString& folder)
{
    auto lock = std::make_unique<QLockFile>(folder + QStringLiteral(".lock"));
    // Never stale by age: a session may stay open for days. Only a dead owner makes it stale.
    lock->setStaleLockTime(0);
    return lock;
}

// A name no other instance uses: the process and the time, and a count for instances in one process.
QString newInstanceName()
{
    static std::atomic<int> count { 0 };
    return QStringLiteral("%1-%2-%3")
        .arg(QCoreApplication::applicationPid())
        .arg(QDateTime::currentMSecsSinceEpoch())
        .arg(count.fetch_add(1));
}

} // namespace

struct SessionController::Opening {
    QString path;
    std::shared_ptr<const Session> session;
    // A journal being restored: the session file its work belongs to.
    bool journal = false;
    QString sessionPath;
    bool waitingForTable = false;
    QMetaObject::Connection aborted;
};

SessionController::SessionController(MainWindow* window)
    : QObject(window)
    , m_window(window)
    , m_context(window->context())
    , m_runner(new SessionRunner(this))
    , m_sweepWatcher(new SweepWatcher(this))
    , m_instance(newInstanceName())
{
    setObjectName(QStringLiteral("sessionController"));
    m_journal = std::make_shared<SessionJournal>(autosaveFolder().toStdString());
    m_autosaveTimer.setSingleShot(true);
    m_autosaveTimer.setInterval(kAutosaveDelayMs);
    connect(&m_autosaveTimer, &QTimer::timeout, this, &SessionController::autosave);

    connect(m_context, &AppContext::runAdded, this, &SessionController::onChanged);
    connect(m_context, &AppContext::runChanged, this, &SessionController::onChanged);
    connect(m_context, &AppContext::runRemoved, this, &SessionController::onChanged);
    connect(m_context, &AppContext::runsReset, this, &SessionController::onChanged);
    connect(m_context, &AppContext::modifiedChanged, this, &SessionController::updateTitle);
    connect(m_context, &AppContext::sessionPathChanged, this, &SessionController::updateTitle);
    connect(m_context, &AppContext::tableChanged, this, &SessionController::onTableChanged);
    // A finished run is saved at once: a crash loses at most the run in progress. A started one is listed
    // at once (the index only), so a crash shows it as interrupted.
    connect(window->runQueue(), &RunQueue::runFinished, this, &SessionController::autosave);
    connect(window->runQueue(), &RunQueue::runStarted, this, &SessionController::autosave);

    connect(m_runner, &SessionRunner::saved, this, &SessionController::onSaved);
    connect(m_runner, &SessionRunner::saveFailed, this, &SessionController::onSaveFailed);
    connect(m_runner, &SessionRunner::opened, this, &SessionController::onOpened);
    connect(m_runner, &SessionRunner::journalOpened, this, &SessionController::onJournalOpened);
    connect(m_runner, &SessionRunner::imported, this, &SessionController::onImported);
    connect(m_sweepWatcher, &SweepWatcher::runsArrived, this,
        [this](std::shared_ptr<const RunList> runs, const QStringList& warnings) {
            const bool first = m_context->runCount() == 0;
            for (const auto& r : *runs) {
                const RunKey key = m_context->addRun(r);
                if (first && key && r == runs->front())
                    m_context->setCurrentRun(key);
            }
            // A torn line is expected while shards are killed or resubmitted: the status bar, not a box.
            status(warnings.isEmpty() ? tr("%n sweep run(s) arrived from %1", nullptr, int(runs->size()))
                                            .arg(QFileInfo(m_sweepWatcher->watchedPath()).fileName())
                                      : warnings.last());
        });
    connect(m_runner, &SessionRunner::failed, this, [this](const QString& path, const QString& message) {
        if (m_opening && m_opening->path == path) {
            // A journal that cannot be read would be offered again at every start.
            if (m_opening->journal)
                forgetRestoredJournal();
            m_opening.reset();
        }
        showError(tr("Could not open %1").arg(QFileInfo(path).fileName()), message);
        emit failed(path, message);
    });
    connect(m_runner, &SessionRunner::progress, this, [this](const QString& stage, double fraction) {
        if (m_saveTag != 0 || m_opening)
            status(tr("%1… %2%").arg(stage).arg(int(fraction * 100)));
    });
    // Closing waits for the runner without blocking: the window closes once it is idle.
    connect(m_runner, &SessionRunner::busyChanged, this, [this](bool busy) {
        if (!busy && m_closing) {
            m_closing = false;
            m_window->close();
        }
    });
    updateTitle();
}

SessionController::~SessionController()
{
    // The runner first: an autosave still being written finishes before the lock is let go.
    delete m_runner;
}

void SessionController::addActions(QMenu* menu)
{
    auto add = [this, menu](const QString& text, const char* name, auto slot) {
        QAction* a = menu->addAction(text, this, slot);
        a->setObjectName(QLatin1String(name));
        return a;
    };
    add(tr("&New Session"), "newSessionAction", [this] { newSession(); });
    add(tr("Open Sess&ion…"), "openSessionAction", [this] {
        const QString path = QFileDialog::getOpenFileName(
            m_window, tr("Open Session"), QString(), tr("vqscope sessions (*.vqproj);;All files (*)"));
        if (!path.isEmpty())
            openSession(path);
    });
    add(tr("&Save Session"), "saveSessionAction", [this] { save(); })->setShortcut(QKeySequence::Save);
    add(tr("Save Session &As…"), "saveSessionAsAction", [this] {
        const QString path = QFileDialog::getSaveFileName(
            m_window, tr("Save Session As"), m_context->sessionPath(), tr("vqscope sessions (*.vqproj)"));
        if (!path.isEmpty())
            saveAs(path.endsWith(kSessionSuffix) ? path : path + kSessionSuffix);
    })->setShortcut(QKeySequence::SaveAs);
    add(tr("&Import Runs…"), "importRunsAction", [this] {
        const QString path = QFileDialog::getOpenFileName(
            m_window, tr("Import Runs"), QString(), tr("vqscope-cli results (*.vq.h5 *.jsonl);;All files (*)"));
        if (!path.isEmpty())
            importRuns(path);
    });
    add(tr("&Watch Sweep Results…"), "watchSweepAction", [this] {
        const QString path = QFileDialog::getOpenFileName(m_window, tr("Watch Sweep Results"), QString(),
            tr("Sweep results or a Slurm sweep (*.jsonl *.sweep.json);;All files (*)"));
        if (!path.isEmpty())
            watchSweep(path);
    });
    add(tr("Watch Sweep &Folder…"), "watchSweepFolderAction", [this] {
        // Every .jsonl in the folder, including shard files written after the watch starts.
        const QString folder = QFileDialog::getExistingDirectory(m_window, tr("Watch Sweep Folder"));
        if (!folder.isEmpty())
            watchSweep(folder);
    });
    menu->addSeparator();
}

QString SessionController::autosaveRoot()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation))
        .filePath(QStringLiteral("autosave"));
}

QString SessionController::autosaveFolder() const
{
    return QDir(autosaveRoot()).filePath(m_instance);
}

bool SessionController::lockAutosave()
{
    if (m_lock)
        return true;
    QDir().mkpath(autosaveRoot());
    auto lock = journalLock(autosaveFolder());
    if (!lock->tryLock(0)) {
        status(tr("Autosave is off: cannot lock %1")
                   .arg(lock->error() == QLockFile::PermissionError ? autosaveRoot()
                                                                    : autosaveFolder() + QStringLiteral(".lock")));
        return false;
    }
    m_lock = std::move(lock);
    return true;
}

void SessionController::autosave()
{
    if (!m_context->isModified() || m_closing)
        return;
    m_autosaveTimer.stop();
    if (m_autosaveJob) {
        m_autosaveAgain = true;
        return;
    }
    // The lock before the folder: an instance's folder never exists without its owner's lock.
    if (!lockAutosave())
        return;
    m_autosaveAgain = false;
    std::vector<JournalRun> runs;
    for (const RunEntry& e : m_context->runs())
        if (!e.preview)
            runs.push_back({ e.key, e.record });
    SessionTable table;
    if (m_context->hasTable())
        table = SessionTable::of(*m_context->table());
    const quint64 tag = ++m_lastTag;
    m_autosaveJob = tag;
    m_autosaveJobId = m_runner->writeJournal(
        m_journal, std::move(table), m_context->sessionPath().toStdString(), std::move(runs), tag);
}

void SessionController::removeAutosave()
{
    m_autosaveTimer.stop();
    m_autosaveAgain = false;
    if (!m_lock)
        return; // nothing was ever autosaved
    // After the autosave being written, if any (the runner runs jobs in order); at once when it is idle
    // (removing a few files).
    if (m_runner->isBusy())
        m_runner->clearJournal(m_journal);
    else
        m_journal->clear();
}

void SessionController::forgetRestoredJournal()
{
    if (m_restoredFolder.isEmpty())
        return;
    QDir(m_restoredFolder).removeRecursively();
    m_restoredLock.reset(); // unlocks and removes the lock file
    m_restoredFolder.clear();
}

void SessionController::updateTitle()
{
    QString name = QFileInfo(m_context->sessionPath()).completeBaseName();
    if (name.isEmpty() && m_context->hasTable())
        name = QFileInfo(QString::fromStdString(m_context->table()->source.file)).fileName();
    if (name.isEmpty())
        name = tr("Untitled");
    m_window->setWindowTitle(tr("%1[*] — vqscope").arg(name));
    m_window->setWindowModified(m_context->isModified());
}

void SessionController::onChanged()
{
    ++m_changes;
    if (m_context->isModified())
        m_autosaveTimer.start();
}

bool SessionController::hasUnsavedRuns() const
{
    return m_context->isModified() && !isPreviewOrEmpty(*m_context);
}

void SessionController::status(const QString& text)
{
    m_window->statusBar()->showMessage(text, kStatusMessageMs);
}

void SessionController::showError(const QString& title, const QString& message)
{
    auto* box = new QMessageBox(QMessageBox::Warning, title, title, QMessageBox::Ok, m_window);
    box->setObjectName(QStringLiteral("sessionErrorBox"));
    box->setInformativeText(message);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open(); // not exec(): no nested event loop
    status(title);
}

bool SessionController::askThen(const QString& why, std::function<void()> proceed)
{
    if (!hasUnsavedRuns()) {
        proceed();
        return true;
    }
    Decision d = Decision::Cancel;
    if (m_askDiscard) {
        d = m_askDiscard(why);
    } else {
        const auto answer = QMessageBox::question(m_window, tr("Unsaved runs"),
            tr("The session has unsaved runs. Save them before you %1?").arg(why),
            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
        d = answer == QMessageBox::Save      ? Decision::Save
            : answer == QMessageBox::Discard ? Decision::Discard
                                             : Decision::Cancel;
    }
    if (d == Decision::Discard) {
        proceed();
        return true;
    }
    if (d == Decision::Save) {
        m_afterSave = std::move(proceed);
        if (!save())
            m_afterSave = nullptr;
    }
    return false;
}

void SessionController::newSession()
{
    askThen(tr("start a new session"), [this] {
        m_window->runQueue()->cancelAll();
        m_context->clearRuns();
        m_context->setSessionPath(QString());
        m_context->setModified(false);
        removeAutosave();
    });
}

void SessionController::openSession(const QString& path)
{
    askThen(tr("open another session"), [this, path] {
        m_opening = std::make_unique<Opening>();
        m_opening->path = path;
        status(tr("Opening %1…").arg(QFileInfo(path).fileName()));
        m_runner->open(path);
    });
}

bool SessionController::openIfSessionFile(const QString& path)
{
    if (path.endsWith(kSessionSuffix, Qt::CaseInsensitive)) {
        openSession(path);
        return true;
    }
    if (path.endsWith(QLatin1String(".vq.h5"), Qt::CaseInsensitive)
        || path.endsWith(QLatin1String(".jsonl"), Qt::CaseInsensitive)) {
        importRuns(path);
        return true;
    }
    return false;
}

void SessionController::onJournalOpened(const QString& folder, std::shared_ptr<const JournalContents> contents)
{
    if (!m_opening || m_opening->path != folder || !m_opening->journal)
        return;
    auto session = std::make_shared<Session>();
    session->table = contents->table;
    session->runs = contents->runs;
    m_opening->sessionPath = QString::fromStdString(contents->sessionPath);
    onOpened(folder, std::move(session));
    if (!contents->warnings.empty()) {
        QStringList lines;
        for (const std::string& w : contents->warnings)
            lines << QString::fromStdString(w);
        showError(tr("Some autosaved results were lost; those runs can be run again"), lines.join(u'\n'));
    }
}

void SessionController::onOpened(const QString& path, std::shared_ptr<const Session> session)
{
    if (!m_opening || m_opening->path != path)
        return;
    m_opening->session = std::move(session);
    const SessionTable& t = m_opening->session->table;
    const bool sameTable = m_context->hasTable() && m_context->table()->source.checksum == t.checksum;
    if (t.file.empty() || sameTable) {
        continueOpening();
        return;
    }
    m_opening->waitingForTable = true;
    m_opening->aborted = connect(m_window, &MainWindow::loadAborted, this,
        [this](const QString&, const QString& message) { abandonOpening(message); });
    m_window->loadRunner()->load(
        QString::fromStdString(t.file), QString::fromStdString(t.tensor), tr("recorded in the session"));
}

void SessionController::onTableChanged()
{
    updateTitle();
    if (m_opening && m_opening->waitingForTable) {
        continueOpening();
        return;
    }
    if (m_opening || !m_context->hasTable())
        return;
    // Another table: the runs made on the previous one no longer apply (the user was asked).
    const std::string& checksum = m_context->table()->source.checksum;
    for (const RunEntry& e : m_context->runs()) {
        if (!e.preview && e.record->provenance.checksum != checksum) {
            m_window->runQueue()->cancelAll();
            m_context->clearRuns();
            m_context->setSessionPath(QString());
            m_context->setModified(false);
            return;
        }
    }
}

void SessionController::continueOpening()
{
    m_opening->waitingForTable = false;
    disconnect(m_opening->aborted);
    const SessionTable& t = m_opening->session->table;
    if (!t.file.empty() && m_context->hasTable() && m_context->table()->source.checksum != t.checksum) {
        const QString text
            = tr("The table %1 is not the one the session's runs were made on (checksum %2, "
                 "recorded %3). Open the runs anyway?")
                  .arg(QString::fromStdString(t.file), QString::fromStdString(m_context->table()->source.checksum),
                      QString::fromStdString(t.checksum));
        const bool go = m_askChecksum
            ? m_askChecksum(text)
            : QMessageBox::question(m_window, tr("Different table"), text) == QMessageBox::Yes;
        if (!go) {
            abandonOpening(QString());
            return;
        }
    }
    finishOpening();
}

void SessionController::finishOpening()
{
    const std::unique_ptr<Opening> opening = std::move(m_opening);
    m_window->runQueue()->cancelAll();
    m_context->clearRuns();
    for (const RunRecord& r : opening->session->runs)
        m_context->addRun(std::make_shared<const RunRecord>(r));
    if (opening->journal) {
        // Restored work is not saved anywhere yet; it belongs to the session file it was saved to, if any.
        // Once this instance has autosaved it, the dead instance's journal goes.
        m_context->setSessionPath(opening->sessionPath);
        m_context->setModified(true);
        autosave();
    } else {
        m_context->setSessionPath(opening->path);
        m_context->setModified(false);
        m_autosaveTimer.stop();
        removeAutosave();
    }
    if (m_context->runCount() > 0)
        m_context->setCurrentRun(m_context->runAt(0).key);
    if (opening->journal)
        status(tr("Restored %n run(s)", nullptr, int(opening->session->runs.size())));
    else
        status(tr("Opened %1: %n run(s)", nullptr, int(opening->session->runs.size()))
                   .arg(QFileInfo(opening->path).fileName()));
    // The file's records, copied into the context above; what only they held goes off the GUI thread.
    releaseInBackground(std::move(opening->session));
    emit opened(opening->path);
}

void SessionController::abandonOpening(const QString& message)
{
    if (!m_opening)
        return;
    const QString path = m_opening->path;
    disconnect(m_opening->aborted);
    if (m_opening->journal)
        forgetRestoredJournal();
    m_opening.reset();
    status(tr("Did not open %1").arg(QFileInfo(path).fileName()));
    emit failed(path, message);
}

void SessionController::confirmReplaceTable(std::function<void()> load)
{
    askThen(tr("open another table"), std::move(load));
}

bool SessionController::save()
{
    QString path = m_context->sessionPath();
    if (path.isEmpty()) {
        path = m_askSavePath
            ? m_askSavePath()
            : QFileDialog::getSaveFileName(m_window, tr("Save Session"), QString(), tr("vqscope sessions (*.vqproj)"));
        if (path.isEmpty())
            return false;
        if (!path.endsWith(kSessionSuffix))
            path += kSessionSuffix;
    }
    saveAs(path);
    return true;
}

void SessionController::saveAs(const QString& path)
{
    startSave(path);
}

std::shared_ptr<const Session> SessionController::snapshot() const
{
    auto s = std::make_shared<Session>();
    if (m_context->hasTable())
        s->table = SessionTable::of(*m_context->table());
    for (const RunEntry& e : m_context->runs()) {
        if (e.preview)
            continue;
        RunRecord r = *e.record; // arrays are shared, not copied
        if (r.status == RunStatus::Queued || r.status == RunStatus::Running) {
            r.status = RunStatus::Cancelled;
            r.error = "not finished when the session was saved";
        }
        s->runs.push_back(std::move(r));
    }
    return s;
}

void SessionController::startSave(const QString& path)
{
    const quint64 tag = ++m_lastTag;
    m_saveTag = tag;
    m_saveChanges = m_changes;
    status(tr("Saving %1…").arg(QFileInfo(path).fileName()));
    m_runner->save(path, snapshot(), tag);
}

void SessionController::onSaved(const QString& path, quint64 tag)
{
    if (tag == m_autosaveJob) {
        m_autosaveJob = 0;
        // The restored work is in this instance's journal now.
        forgetRestoredJournal();
        emit autosaved(path);
        if (m_autosaveAgain)
            autosave();
        return;
    }
    if (tag != m_saveTag)
        return;
    m_saveTag = 0;
    m_context->setSessionPath(path);
    if (m_changes == m_saveChanges) {
        m_context->setModified(false);
        removeAutosave();
    }
    status(tr("Saved %1").arg(QFileInfo(path).fileName()));
    emit saved(path);
    if (auto after = std::exchange(m_afterSave, nullptr))
        after();
}

void SessionController::onSaveFailed(const QString& path, const QString& message, quint64 tag)
{
    if (tag == m_autosaveJob) {
        m_autosaveJob = 0;
        if (!m_closing)
            status(tr("Autosave failed: %1").arg(message));
        emit autosaveFailed(path, message);
        if (m_autosaveAgain)
            autosave();
        return;
    }
    if (tag != m_saveTag)
        return;
    m_saveTag = 0;
    m_afterSave = nullptr;
    showError(tr("Could not save %1").arg(QFileInfo(path).fileName()), message);
    emit saveFailed(path, message);
}

bool SessionController::confirmClose()
{
    if (m_closing)
        return false; // already closing: waiting for the runner
    if (!m_closeConfirmed) {
        if (!askClose())
            return false;
        m_closeConfirmed = true;
        // A clean shutdown leaves no journal behind.
        removeAutosave();
    }
    // An autosave being written is cancelled; the GUI thread never waits for it: the window closes once
    // the runner is idle.
    if (m_runner->isBusy()) {
        if (m_autosaveJob)
            m_runner->cancel(m_autosaveJobId);
        m_closing = true;
        status(tr("Closing once the autosave has stopped…"));
        return false;
    }
    m_closeConfirmed = false;
    m_lock.reset();
    return true;
}

bool SessionController::askClose()
{
    bool close = !hasUnsavedRuns();
    if (!close) {
        Decision d = Decision::Cancel;
        if (m_askDiscard) {
            d = m_askDiscard(tr("close the window"));
        } else {
            const auto answer = QMessageBox::question(m_window, tr("Unsaved runs"),
                tr("The session has unsaved runs. Save them before closing?"),
                QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
            d = answer == QMessageBox::Save      ? Decision::Save
                : answer == QMessageBox::Discard ? Decision::Discard
                                                 : Decision::Cancel;
        }
        if (d == Decision::Save) {
            m_afterSave = [this] { m_window->close(); };
            if (!save())
                m_afterSave = nullptr;
            return false;
        }
        close = d == Decision::Discard;
    }
    return close;
}

void SessionController::offerRestore()
{
    // The newest journal whose owner is gone; a live instance's lock cannot be taken.
    const QDir root(autosaveRoot());
    QString chosen;
    std::unique_ptr<QLockFile> chosenLock;
    QDateTime newest;
    for (const QFileInfo& dir : root.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        const QString folder = dir.absoluteFilePath();
        if (folder == autosaveFolder())
            continue;
        auto lock = journalLock(folder);
        if (!lock->tryLock(0))
            continue;
        const QFileInfo index(QString::fromStdString(SessionJournal::indexPath(folder.toStdString())));
        if (!index.exists()) {
            // A journal that was being cleared or never written: nothing to restore.
            QDir(folder).removeRecursively();
            continue;
        }
        if (chosen.isEmpty() || index.lastModified() > newest) {
            chosen = folder;
            chosenLock = std::move(lock);
            newest = index.lastModified();
        }
    }
    if (chosen.isEmpty())
        return;
    m_restoredFolder = chosen;
    m_restoredLock = std::move(chosenLock);
    const QString text = tr("vqscope did not shut down cleanly. Restore the unsaved runs of the last session?");
    const bool restore = m_askRestore
        ? m_askRestore(text)
        : QMessageBox::question(m_window, tr("Restore unsaved runs"), text) == QMessageBox::Yes;
    if (!restore) {
        forgetRestoredJournal();
        return;
    }
    m_opening = std::make_unique<Opening>();
    m_opening->path = chosen;
    m_opening->journal = true;
    m_runner->openJournal(chosen);
}

void SessionController::importRuns(const QString& path)
{
    status(tr("Importing %1…").arg(QFileInfo(path).fileName()));
    m_runner->importRuns(path, m_context->table());
}

void SessionController::watchSweep(const QString& path)
{
    m_sweepWatcher->watch(path);
    status(tr("Watching %1 for sweep runs").arg(QFileInfo(path).fileName()));
}

void SessionController::onImported(
    const QString& path, std::shared_ptr<const RunList> runs, const QStringList& warnings)
{
    RunKey first = 0;
    for (const auto& r : *runs) {
        const RunKey key = m_context->addRun(r);
        if (!first)
            first = key;
    }
    if (first)
        m_context->setCurrentRun(first);
    if (!warnings.isEmpty()) {
        auto* box = new QMessageBox(QMessageBox::Information, tr("Imported %1").arg(QFileInfo(path).fileName()),
            warnings.join(QLatin1Char('\n')), QMessageBox::Ok, m_window);
        box->setObjectName(QStringLiteral("importWarningBox"));
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    }
    status(tr("Imported %n run(s) from %1", nullptr, int(runs->size())).arg(QFileInfo(path).fileName()));
    emit imported(path, int(runs->size()));
}

} // namespace vq
