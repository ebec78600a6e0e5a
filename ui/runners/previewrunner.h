#pragma once

#include "appcontext.h"
#include "quant/quantspec.h"
#include "run/runexecutor.h"
#include "runners/jobtracker.h"

#include <QObject>
#include <cstdint>
#include <memory>

namespace vq {

// Runs a spec on a seeded sample of the context's rows while the user tunes it, and publishes the
// result as THE preview entry of the AppContext (added once, then replaced in place with updateRun on
// the same key; selected, so the error and usage views show it). Each request gets a job id: a newer
// request cancels the running one, and a result that arrives for an older id is dropped.
//
// Token weights are resolved on the whole table and then sampled with the rows, so a Zipf prior or a
// counts file weighs each sampled token as it would in the full run.
//
// GUI thread only; the fit runs on the runner's own worker thread. Destroying the runner cancels the
// job and waits for it to stop (within about a second).
class PreviewRunner : public QObject {
    Q_OBJECT
public:
    explicit PreviewRunner(AppContext* context, QObject* parent = nullptr);
    ~PreviewRunner() override;

    // Rows in the sample (default 4096; all rows when the table has fewer).
    void setSampleRows(int64_t rows) { m_sampleRows = rows; }
    int64_t sampleRows() const { return m_sampleRows; }

    // Starts a preview of spec and returns its job id; cancels and supersedes any earlier one. The
    // sample is drawn with seed (the same seed gives the same rows), the fit uses seed and threads.
    // A refused spec or no table: the job fails at once (failed() is queued, nothing is published).
    quint64 request(const QuantSpec& spec, const RunOptions& options, uint64_t seed, int threads);
    // Cancels the running preview (its result is dropped); the published preview entry stays.
    void cancel();

    // True from request() until the latest job's result (or failure) arrived or cancel().
    bool isBusy() const { return m_current != 0; }
    quint64 latestJob() const { return m_jobs.lastId(); }
    // The key of the preview entry in the context; 0 before the first result (or after it was removed).
    RunKey previewKey() const;

    // The rows of table at sampleRows(table.rows(), count, seed), with their tokens; its source checksum
    // is that of the sample, its source tensor names the sample.
    static EmbeddingTable sampleTable(const EmbeddingTable& table, int64_t count, uint64_t seed);

signals:
    void started(quint64 job);
    // Progress of the latest job (stage of the fit or metrics, fraction of the stage in [0, 1]).
    void progress(quint64 job, const QString& stage, double fraction);
    // The latest job's record was published to the context under key (the preview entry).
    void finished(quint64 job, vq::RunKey key);
    void failed(quint64 job, const QString& message);
    // A job ended after a newer one was requested (or after cancel()); its result was not published.
    void dropped(quint64 job);
    void busyChanged(bool busy);

private:
    struct PreviewJob;
    static std::shared_ptr<RunRecord> preview(const EmbeddingTable& table, int64_t sampleCount, PreviewJob& job);
    void onDone(quint64 job, std::shared_ptr<RunRecord> record, const QString& error);

    AppContext* m_context;
    JobTracker m_jobs;
    quint64 m_current = 0; // the latest job while it runs
    RunKey m_previewKey = 0;
    int64_t m_sampleRows = 4096;
};

} // namespace vq
