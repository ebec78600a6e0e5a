#pragma once

#include "runners/sessionrunner.h"
#include "runners/sweepwatcher.h"

#include <QObject>
#include <QString>
#include <QTimer>
#include <functional>
#include <memory>

class QAction;
class QMenu;

namespace vq {

class AppContext;
class MainWindow;

// Sessions of the main window: New/Open/Save/Save As of session files (.vqproj, see core/run/SESSION.md),
// importing CLI results (artifacts, sweep JSON lines) as runs, asking before unsaved runs are dropped,
// and autosave. Saving and reading run on a SessionRunner; the GUI thread only builds the snapshot.
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
    bool confirmClose();
    // At startup: when an autosave exists, offers to restore it (its runs come back, modified).
    void offerRestore();

    QString autosavePath() const;
    // Delay of the debounced autosave after the last change, in ms (default 30 s).
    void setAutosaveDelay(int ms) { m_autosaveTimer.setInterval(ms); }
    // Removes the autosave file (clean shutdown, saved session).
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
    void autosaved(const QString& path);

private:
    struct Opening;
    void updateTitle();
    void onChanged();
    void startSave(const QString& path, bool autosave);
    std::shared_ptr<const Session> snapshot() const;
    void onSaved(const QString& path, quint64 tag);
    void onSaveFailed(const QString& path, const QString& message, quint64 tag);
    void onOpened(const QString& path, std::shared_ptr<const Session> session);
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
    quint64 m_changes = 0; // bumped on every change of the runs
    quint64 m_lastTag = 0;
    quint64 m_saveTag = 0; // tag of the explicit save in flight
    quint64 m_saveChanges = 0; // m_changes when it started
    std::function<void()> m_afterSave;
    std::unique_ptr<Opening> m_opening;
    bool m_restoring = false;

    DiscardQuestion m_askDiscard;
    YesNoQuestion m_askChecksum;
    YesNoQuestion m_askRestore;
    SavePathQuestion m_askSavePath;
};

} // namespace vq
