#pragma once

#include "runners/sessionrunner.h"
#include "runners/sweepwatcher.h"

#include <QObject>
#include <QString>
#include <QTimer>
#include <functional>
#include <memory>

class QAction;
class QLockFile;
class QMenu;

namespace vq {

class AppContext;
class MainWindow;

// Sessions of the main window: New/Open/Save/Save As of session files (.vqproj, see core/run/SESSION.md),
// importing CLI results (artifacts, sweep JSON lines) as runs, asking before unsaved runs are dropped,
// and autosave. Saving and reading run on a SessionRunner; the GUI thread only builds the snapshot.
//
// Autosave: each instance keeps its own journal folder (core/run/sessionjournal.h) under the
// application's data folder, next to a lock file (QLockFile) it holds while it lives. A run's arrays
// are written once when it finishes; later autosaves rewrite only the small index (a run started, a
// rename). At start, offerRestore() offers only journals whose owner is gone (a stale lock); a second
// instance never sees the first one's live work. A clean shutdown or a save removes the journal.
//
// Questions go through overridable hooks (defaults show message boxes) so that tests answer them.
class SessionController : public QObject {
    Q_OBJECT
public:
    enum class Decision { Save, Discard, Cancel };
    // why: "close the window", "open another table", ... Return what to do with the unsaved runs.
    using DiscardQuestion = std::function<Decision(const QString& why)>;
    // A yes/no question (checksum mismatch, restore autosave); text says what is asked.
    using YesNoQuestion = std::function<bool(const QString& text)>;
    // A file to save to; empty: cancelled.
    using SavePathQuestion = std::function<QString()>;

    explicit SessionController(MainWindow* window);
    ~SessionController() override;

    // Adds New Session, Open Session…, Save Session, Save Session As…, Import Runs… to menu.
    void addActions(QMenu* menu);

    // Clears the runs (after asking about unsaved ones); the table stays.
    void newSession();
    // Asks about unsaved runs, reads path in the background, loads its table when it is not the one
    // loaded (waits for it), checks the checksum (mismatch: asks), then adds its runs, unmodified.
    void openSession(const QString& path);
    // Saves to the session's path, or asks for one. false when no save was started.
    bool save();
    // Saves to path in the background; on success path becomes the session's and the session is
    // unmodified (unless it changed while saving).
    void saveAs(const QString& path);
    // Adds the runs of a .vq.h5 artifact or a sweep .jsonl file (see SessionRunner::importRuns).
    void importRuns(const QString& path);
    // Follows a sweep's run files (a .jsonl, a folder of them, or a `sweep --slurm` manifest) and adds
    // each run as its line is written (see SweepWatcher); File > Watch Sweep Results… asks for one.
    void watchSweep(const QString& path);
    SweepWatcher* sweepWatcher() const { return m_sweepWatcher; }
    // Routing for MainWindow::openFile: true when path is a session or a CLI result and was handled.
    bool openIfSessionFile(const QString& path);

    // Asks about unsaved runs before another table replaces them, then calls load (at once, after the
    // save for Save, never for Cancel). The runs of the previous table are dropped when the new one is set.
    void confirmReplaceTable(std::function<void()> load);
    // For closeEvent: true when the window may close now. Save starts a save and closes when it is done.
    // An autosave being written is cancelled, never waited for: the window closes once it has stopped.
    bool confirmClose();
    // At startup: when the journal of an instance that did not shut down cleanly exists (its lock is
    // stale), offers to restore it: its runs come back, modified, with the session file they belong to
    // (Save writes there); runs that were in progress come back Interrupted, ready to run again.
    void offerRestore();

    // Where every instance keeps its journal folder and lock file.
    static QString autosaveRoot();
    // This instance's journal folder (exists once something was autosaved).
    QString autosaveFolder() const;
    // Delay of the debounced autosave after the last change, in ms (default 30 s).
    void setAutosaveDelay(int ms) { m_autosaveTimer.setInterval(ms); }
    // Brings the journal up to date now (if the session has unsaved changes); an autosave in progress is
    // followed by another.
    void autosave();
    // Removes this instance's journal (clean shutdown, saved session), after any autosave in progress.
    void removeAutosave();

    void setDiscardQuestion(DiscardQuestion q) { m_askDiscard = std::move(q); }
    void setChecksumQuestion(YesNoQuestion q) { m_askChecksum = std::move(q); }
    void setRestoreQuestion(YesNoQuestion q) { m_askRestore = std::move(q); }
    void setSavePathQuestion(SavePathQuestion q) { m_askSavePath = std::move(q); }

    SessionRunner* runner() const { return m_runner; }
    bool isBusy() const { return m_runner->isBusy() || m_opening != nullptr; }

signals:
    void saved(const QString& path);
    void saveFailed(const QString& path, const QString& message);
    // The session's runs are in the context.
    void opened(const QString& path);
    void imported(const QString& path, int runs);
    // An open or import failed or was abandoned (message names the file, empty when the user cancelled).
    void failed(const QString& path, const QString& message);
    // An autosave brought the journal folder up to date.
    void autosaved(const QString& folder);
    // An autosave could not be written (message names the file); the journal keeps its earlier state and
    // the next change tries again.
    void autosaveFailed(const QString& folder, const QString& message);

private:
    struct Opening;
    void updateTitle();
    void onChanged();
    void startSave(const QString& path);
    std::shared_ptr<const Session> snapshot() const;
    void onSaved(const QString& path, quint64 tag);
    void onSaveFailed(const QString& path, const QString& message, quint64 tag);
    void onOpened(const QString& path, std::shared_ptr<const Session> session);
    void onJournalOpened(const QString& folder, std::shared_ptr<const JournalContents> contents);
    bool lockAutosave();
    // The close question (Save / Discard / Cancel); true: close now.
    bool askClose();
    void forgetRestoredJournal();
    void continueOpening();
    void finishOpening();
    void abandonOpening(const QString& message);
    void onTableChanged();
    void onImported(const QString& path, std::shared_ptr<const RunList> runs, const QStringList& warnings);
    void showError(const QString& title, const QString& message);
    void status(const QString& text);
    // Save / Discard / Cancel, then calls proceed (after a successful save for Save). false: cancelled
    // or waiting for the save.
    bool askThen(const QString& why, std::function<void()> proceed);
    bool hasUnsavedRuns() const;

    MainWindow* m_window;
    AppContext* m_context;
    SessionRunner* m_runner;
    SweepWatcher* m_sweepWatcher;
    QTimer m_autosaveTimer;
    QString m_instance; // the name of this instance's journal folder and lock
    std::unique_ptr<QLockFile> m_lock; // held while the journal exists
    std::shared_ptr<SessionJournal> m_journal;
    quint64 m_autosaveJob = 0; // the tag of the autosave being written
    quint64 m_autosaveJobId = 0; // its job in the runner
    bool m_autosaveAgain = false; // something changed while it was written
    bool m_closeConfirmed = false; // the user agreed to close
    bool m_closing = false; // the window closes once the runner is idle
    // The journal of a dead instance being restored, removed once this one has autosaved the runs.
    QString m_restoredFolder;
    std::unique_ptr<QLockFile> m_restoredLock;
    quint64 m_changes = 0; // bumped on every change of the runs
    quint64 m_lastTag = 0;
    quint64 m_saveTag = 0; // tag of the explicit save in flight
    quint64 m_saveChanges = 0; // m_changes when it started
    std::function<void()> m_afterSave;
    std::unique_ptr<Opening> m_opening;

    DiscardQuestion m_askDiscard;
    YesNoQuestion m_askChecksum;
    YesNoQuestion m_askRestore;
    SavePathQuestion m_askSavePath;
};

} // namespace vq
