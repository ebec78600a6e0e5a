#pragma once

#include "common/runcontrol.h"

#include <QObject>
#include <QString>
#include <QThreadPool>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace vq {

// Progress of a job as its runner receives it on the GUI thread.
struct JobProgress {
    QString stage; // core's stage name ("fit", "export", ...)
    double fraction = 0; // of the stage, in [0, 1]
    double stageSeconds = 0; // since the stage (or step) began
    int step = 0; // the part of a multi-part job (Job::setStep), 0 otherwise
};

// One background job of a runner: its id, the RunControl core sees (cancel flag, progress callback, seed,
// threads) and the state of its progress throttle. Runners derive from it to carry their inputs.
//
// Lifetime: a JobTracker owns a job from create() until its finish() is delivered or it is dropped, and
// the task running it holds it while it runs. Nothing else keeps one: code inside a job (its progress
// callback) refers to it by raw pointer or id, never by shared_ptr, so a job never keeps itself alive.
class Job {
public:
    Job();
    virtual ~Job();
    Job(const Job&) = delete;
    Job& operator=(const Job&) = delete;

    quint64 id() const { return m_id; }
    RunControl& control() { return m_control; }
    bool isCancelled() const { return m_control.cancelled(); }
    // The part of a multi-part job now being worked on (an export's request); any thread. A new step
    // starts a new progress stage.
    void setStep(int step) { m_step.store(step, std::memory_order_relaxed); }
    int step() const { return m_step.load(std::memory_order_relaxed); }

    // Jobs that exist in this process (every runner's), for leak checks.
    static int liveCount();

private:
    friend class JobTracker;
    using Clock = std::chrono::steady_clock;

    quint64 m_id = 0;
    RunControl m_control;
    std::atomic<int> m_step { 0 };
    // The throttle, guarded: core reports from OpenMP threads.
    std::mutex m_throttleMutex;
    std::string m_stage;
    int m_lastStep = -1;
    Clock::time_point m_stageStart;
    Clock::time_point m_lastReport;
};

// The one job mechanism of the runners (load, run queue, preview, export, session): ids and the guard
// that drops what a job delivers once it is no longer tracked (superseded, dropped, its runner gone),
// one throttled progress path from core's RunControl to the GUI thread, one worker thread pool, and the
// lifetime rule of Job.
//
// Everything but post() and finish() belongs to the owner's thread (the GUI thread); post() and finish()
// are called from the job's task and deliver on the owner's thread.
class JobTracker {
public:
    using ProgressHandler = std::function<void(Job& job, const JobProgress& progress)>;

    // owner: the runner, on whose thread deliveries run. Progress is passed on for a new stage or step,
    // at the end of a stage (fraction 1), and otherwise at most once per progressInterval.
    explicit JobTracker(QObject* owner, std::chrono::milliseconds progressInterval = std::chrono::milliseconds(50));
    // Drops every job (cancelling them unless setCancelOnDestroy(false)) and waits for the running one.
    ~JobTracker();
    JobTracker(const JobTracker&) = delete;
    JobTracker& operator=(const JobTracker&) = delete;

    // Tasks at a time (default 1: jobs run one after another, in the order started).
    void setMaxThreads(int threads) { m_pool.setMaxThreadCount(threads); }
    // Tasks run at a lower priority than the GUI thread (see lowerCurrentThreadPriority).
    void setLowPriority(bool low) { m_lowPriority = low; }
    // Whether the destructor cancels the jobs it waits for (default true). A session save is never cut short.
    void setCancelOnDestroy(bool cancel) { m_cancelOnDestroy = cancel; }

    // A new tracked job with the next id; its progress goes to onProgress (if any) while it is tracked.
    template <typename J> std::shared_ptr<J> create(ProgressHandler onProgress = {})
    {
        auto job = std::make_shared<J>();
        track(job, std::move(onProgress));
        return job;
    }
    // Runs work(job) on the worker thread; the task holds the job until work returns.
    void start(std::shared_ptr<Job> job, std::function<void(Job&)> work);

    using Delivery = std::function<void(Job& job)>;
    // Runs deliver on the owner's thread if the job is tracked then; otherwise nothing. Any thread.
    void post(const Job& job, Delivery deliver);
    // The job's last delivery: on the owner's thread, untracks the job and runs deliver with it (kept
    // alive for the call), or runs dropped when it was not tracked any more. Any thread.
    void finish(const Job& job, Delivery deliver, std::function<void()> dropped = {});

    // Raises the job's cancel flag; it stays tracked, so its finish() is delivered.
    void cancel(quint64 id);
    // Raises the job's cancel flag and untracks it: nothing it posts is delivered any more.
    void drop(quint64 id);
    void dropAll();

    bool isTracked(quint64 id) const { return m_jobs.count(id) > 0; }
    template <typename J = Job> std::shared_ptr<J> find(quint64 id) const
    {
        const auto it = m_jobs.find(id);
        return it == m_jobs.end() ? nullptr : std::static_pointer_cast<J>(it->second);
    }
    int count() const { return int(m_jobs.size()); }
    quint64 lastId() const { return m_lastId; }
    // Blocks until no task runs (deliveries still arrive later, queued). For shutdown and tests.
    void waitForDone() { m_pool.waitForDone(); }

private:
    void track(const std::shared_ptr<Job>& job, ProgressHandler onProgress);
    void report(Job& job, std::string_view stage, double fraction, const ProgressHandler& onProgress);

    QObject* m_owner;
    std::chrono::milliseconds m_interval;
    QThreadPool m_pool;
    std::map<quint64, std::shared_ptr<Job>> m_jobs;
    quint64 m_lastId = 0;
    bool m_lowPriority = false;
    bool m_cancelOnDestroy = true;
};

} // namespace vq
