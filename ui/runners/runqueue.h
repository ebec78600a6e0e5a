#pragma once

#include "appcontext.h"
#include "quant/quantspec.h"
#include "run/runexecutor.h"
#include "runners/jobtracker.h"

#include <QObject>
#include <deque>
#include <memory>

namespace vq {

// Executes runs in the background, one at a time, in the order queued; every run is an entry of the
// AppContext from the moment it is queued (status Queued -> Running -> Done/Failed/Cancelled), with its
// live progress (stage, fraction, ETA of the stage) published to the context about 10 times a second.
//
// All functions and signals belong to the GUI thread. The fit and the metrics run on a worker thread
// with the OpenMP thread count of threads(); the GUI thread only receives queued results. Destroying
// the queue cancels everything and waits for the running run to stop (within about a second).
class RunQueue : public QObject {
    Q_OBJECT
public:
    explicit RunQueue(AppContext* context, QObject* parent = nullptr);
    ~RunQueue() override;

    // Plans the run on the context's table (validation and exact bit estimate, no training: see
    // planRun), adds it to the context as Queued and starts it when the worker is free. Returns its
    // key. Throws vq::Error(InvalidArgument) naming the parameter when the spec or options are refused
    // (nothing is added then), and Error(InvalidArgument) when no table is loaded.
    RunKey enqueue(const QuantSpec& spec, const RunOptions& options = {});

    // A queued run becomes Cancelled at once; the running one stops within about a second and is then
    // reported Cancelled. Finished runs and unknown keys are ignored.
    void cancel(RunKey key);
    void cancelAll();

    bool isBusy() const { return m_running != 0 || !m_pending.empty(); }
    RunKey runningKey() const;
    // Runs waiting to start (the running one not included).
    int pendingCount() const { return int(m_pending.size()); }
    // True once cancel() was called for the running run and it has not stopped yet.
    bool isCancelling(RunKey key) const;

    // OpenMP threads per run (0: all cores) and the seed of runs queued from now on.
    void setThreads(int threads) { m_threads = threads; }
    int threads() const { return m_threads; }
    void setSeed(uint64_t seed) { m_seed = seed; }
    uint64_t seed() const { return m_seed; }

    AppContext* context() const { return m_context; }

signals:
    void busyChanged(bool busy);
    void runStarted(vq::RunKey key);
    // After the context's record has its final status.
    void runFinished(vq::RunKey key, vq::RunStatus status);

private:
    struct RunJob;
    void startNext();
    void finish(RunJob& job, std::shared_ptr<RunRecord> record, const QString& failure, bool cancelled);
    std::shared_ptr<RunJob> runningJob() const;

    AppContext* m_context;
    // Declared after the context: destroyed first, so the running job stops before anything it uses.
    JobTracker m_jobs;
    // Job ids, in queue order; every one is tracked by m_jobs until it ends.
    std::deque<quint64> m_pending;
    quint64 m_running = 0;
    int m_threads = 0;
    uint64_t m_seed = 0x5eed;
};

} // namespace vq
