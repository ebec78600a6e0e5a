#pragma once

#include "export/artifact.h"
#include "io/embeddingtable.h"
#include "run/runrecord.h"
#include "run/session.h"
#include "run/sessionjournal.h"
#include "runners/jobtracker.h"

#include <QObject>
#include <QString>
#include <QStringList>
#include <memory>
#include <vector>

namespace vq {

using RunList = std::vector<std::shared_ptr<const RunRecord>>;

// Saves and opens session files and reads CLI results (artifacts, sweep JSON lines) off the GUI thread,
// one job at a time in the order asked (HDF5 serialises them anyway).
//
// All functions and signals belong to the GUI thread; every job ends with exactly one result signal
// (saved/saveFailed, opened/imported/failed). progress() is throttled (about 20 per second). Destroying
// the runner waits for the running job (a save is never cut short: the old file stays valid either way).
class SessionRunner : public QObject {
    Q_OBJECT
public:
    explicit SessionRunner(QObject* parent = nullptr);
    ~SessionRunner() override;

    // Writes session to path atomically (see writeSession). tag comes back with the result. Returns the
    // job's id.
    quint64 save(const QString& path, std::shared_ptr<const Session> session, quint64 tag);
    // Reads and validates a session file (see readSession).
    quint64 open(const QString& path);
    // Reads runs from a CLI result: a .vq.h5 artifact (one run) or a JSON-lines sweep file (any number).
    // An artifact made from table (same checksum) is measured again against it (measureQuantized) so the
    // run gets its per-token vectors and codebook usage; otherwise (table null or different) the run has
    // its metrics JSON only and a warning says why. Sweep runs never have arrays.
    quint64 importRuns(const QString& path, std::shared_ptr<const EmbeddingTable> table);

    // Autosave: brings journal's folder up to date (see SessionJournal::write; runs whose arrays were
    // written before cost nothing). Ends with saved(folder, tag) or saveFailed(folder, message, tag).
    quint64 writeJournal(std::shared_ptr<SessionJournal> journal, SessionTable table, std::string sessionPath,
        std::vector<JournalRun> runs, quint64 tag);
    // Removes journal's files, after the jobs before it; ends silently (busyChanged only).
    quint64 clearJournal(std::shared_ptr<SessionJournal> journal);
    // Reads a journal folder (see SessionJournal::read): journalOpened() or failed().
    quint64 openJournal(const QString& folder);

    bool isBusy() const { return m_jobs.count() > 0; }
    // Raises the cancel flag of a job (its id as returned by save(), open(), importRuns()). A cancelled
    // save leaves the file as it was and reports saveFailed(); a cancelled open or import, failed().
    void cancel(quint64 job) { m_jobs.cancel(job); }

signals:
    void busyChanged(bool busy);
    // stage: "save session", "open session", "import"; fraction in [0, 1].
    void progress(const QString& stage, double fraction);
    void saved(const QString& path, quint64 tag);
    void saveFailed(const QString& path, const QString& message, quint64 tag);
    void opened(const QString& path, std::shared_ptr<const vq::Session> session);
    void journalOpened(const QString& folder, std::shared_ptr<const vq::JournalContents> contents);
    void imported(const QString& path, std::shared_ptr<const vq::RunList> runs, const QStringList& warnings);
    // An open or import failed; message is vq::Error::what() ("<file>: <problem>").
    void failed(const QString& path, const QString& message);

private:
    // Starts work(job) as a job whose progress is reported under stage (core's stage names when empty).
    quint64 start(const QString& stage, std::function<void(Job&)> work);
    // Ends job on the GUI thread: busyChanged(false) when it was the last, then emitResult.
    void deliver(Job& job, std::function<void()> emitResult);
    void deliverSave(Job& job, const QString& path, const QString& error, quint64 tag);

    JobTracker m_jobs;
};

// The run an artifact describes, for importing CLI results. With measured metrics (non-null) the record
// keeps the arrays and the per-token vectors; without, only the metrics JSON of the artifact (per-token
// arrays dropped) and no arrays. Exposed for tests.
RunRecord runFromArtifact(
    const std::string& path, ArtifactContents artifact, std::shared_ptr<const RunMetrics> measured);

} // namespace vq

Q_DECLARE_METATYPE(std::shared_ptr<const vq::Session>)
Q_DECLARE_METATYPE(std::shared_ptr<const vq::JournalContents>)
Q_DECLARE_METATYPE(std::shared_ptr<const vq::RunList>)
