#pragma once

#include "io/embeddingtable.h"
#include "run/runrecord.h"
#include "stats/tablestats.h"

#include <QList>
#include <QObject>
#include <QString>
#include <memory>
#include <vector>

namespace vq {

// Stable handle of a run in this session (unique even when two runs share a RunRecord::id, e.g. a
// re-run of the same spec). 0 means "no run".
using RunKey = quint64;

// A run as the GUI knows it: its record (replaced whole when it changes, so views may keep the old
// pointer while a new one is published) and, while it runs, its live progress.
struct RunEntry {
    RunKey key = 0;
    std::shared_ptr<const RunRecord> record;
    // A preview (seeded sample of rows while tuning): listed and shown like a run, never saved, replaced
    // by the next preview.
    bool preview = false;
    // Live progress while status is Running: stage name, fraction of the stage in [0, 1], seconds left
    // in the stage (< 0: unknown).
    QString stage;
    double fraction = 0;
    double etaSeconds = -1;
};

// The state every panel observes: the table being compressed, its statistics, the runs made on it and
// which of them are selected. Panels read it and connect to its signals instead of calling each other.
// Lives on the GUI thread; not thread-safe (runners post their results to it).
class AppContext : public QObject {
    Q_OBJECT
public:
    explicit AppContext(QObject* parent = nullptr);

    // Null until a table has been loaded. Both are immutable and may be shared with worker threads.
    const std::shared_ptr<const EmbeddingTable>& table() const { return m_table; }
    const std::shared_ptr<const TableStats>& stats() const { return m_stats; }
    bool hasTable() const { return m_table != nullptr; }

    // Replaces the current table and its statistics (both non-null, or both null to clear) and
    // emits tableChanged(). Runs are kept: the caller decides (see clearRuns()).
    void setTable(std::shared_ptr<const EmbeddingTable> table, std::shared_ptr<const TableStats> stats);

    // --- Runs, in the order they were added.
    int runCount() const { return int(m_runs.size()); }
    const RunEntry& runAt(int row) const { return m_runs[size_t(row)]; }
    // -1 when key is not a run.
    int rowOf(RunKey key) const;
    // nullptr when key is not a run.
    const RunEntry* run(RunKey key) const;
    const std::vector<RunEntry>& runs() const { return m_runs; }

    // Records (and the table) are kept through releasedInBackground: whoever drops the last reference, the
    // arrays are freed off the GUI thread.
    // Appends a run and emits runAdded(); returns its key. Marks the session modified unless preview.
    // A run without a name (not a preview) is named after its spec (display::specLabel), with " #2",
    // " #3" ... when a run already has that name (a re-run of the same spec).
    RunKey addRun(std::shared_ptr<const RunRecord> record, bool preview = false);
    // name, or name followed by " #2", " #3" ...: the first that no run has.
    QString uniqueRunName(const QString& name) const;
    // A run (not a preview) with this RunRecord::id that is queued, running or done; 0 when none. Same
    // id: same spec, table, token weights and seed, so the same result.
    RunKey findRun(const std::string& id) const;
    // Replaces a run's record (status, metrics, ...) and emits runChanged(). Unknown keys are ignored.
    void updateRun(RunKey key, std::shared_ptr<const RunRecord> record);
    // Sets the live progress of a running run and emits runProgress(). Unknown keys are ignored.
    void setRunProgress(RunKey key, const QString& stage, double fraction, double etaSeconds);
    // Changes RunRecord::name (a copy of the record is published).
    void renameRun(RunKey key, const QString& name);
    // Emits runAboutToBeRemoved(row) then runRemoved(key); drops it from the selection.
    void removeRun(RunKey key);
    // Removes every run (previews included); emits runsReset().
    void clearRuns();

    // --- Selection: what the views show. The first key is the current run; compare views use the first
    // two. Keys that are not runs are dropped.
    const QList<RunKey>& selectedRuns() const { return m_selection; }
    RunKey currentRun() const { return m_selection.isEmpty() ? 0 : m_selection.first(); }
    const RunEntry* currentEntry() const { return run(currentRun()); }
    void setSelectedRuns(const QList<RunKey>& keys);
    void setCurrentRun(RunKey key) { setSelectedRuns(key ? QList<RunKey> { key } : QList<RunKey> {}); }

    // --- Session state: modified since the last save/open (runs added, renamed, removed or finished).
    bool isModified() const { return m_modified; }
    void setModified(bool modified);
    // The project file of the session; empty until saved or opened.
    QString sessionPath() const { return m_sessionPath; }
    void setSessionPath(const QString& path);

    // Asks the method panel to load spec into its form (e.g. "re-run with edits" in the runs table).
    void requestEditSpec(const QuantSpec& spec) { emit editSpecRequested(spec); }

    // Asks the codebook explorer to show a code of the current run (code array, stage, group -1 for all
    // groups of a shared codebook, code) or a token's path through the stages (table row); the window
    // brings the explorer to the front.
    void requestCode(int array, int stage, int group, int code) { emit codeRequested(array, stage, group, code); }
    void requestTokenPath(qint64 row) { emit tokenPathRequested(row); }

signals:
    void tableChanged();
    void runAdded(vq::RunKey key);
    void runChanged(vq::RunKey key);
    void runProgress(vq::RunKey key);
    void runAboutToBeRemoved(int row);
    void runRemoved(vq::RunKey key);
    void runsReset();
    void selectionChanged();
    void modifiedChanged(bool modified);
    void sessionPathChanged(const QString& path);
    void editSpecRequested(const vq::QuantSpec& spec);
    void codeRequested(int array, int stage, int group, int code);
    void tokenPathRequested(qint64 row);

private:
    RunEntry* mutableRun(RunKey key);

    std::shared_ptr<const EmbeddingTable> m_table;
    std::shared_ptr<const TableStats> m_stats;
    std::vector<RunEntry> m_runs;
    RunKey m_lastKey = 0;
    QList<RunKey> m_selection;
    bool m_modified = false;
    QString m_sessionPath;
};

} // namespace vq
