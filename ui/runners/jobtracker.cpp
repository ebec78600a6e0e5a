#include "jobtracker.h"

#include "runners/workerpriority.h"

#include <QMetaObject>

namespace vq {

namespace {

std::atomic<int> g_liveJobs { 0 };

} // namespace

Job::Job()
{
    g_liveJobs.fetch_add(1, std::memory_order_relaxed);
}

Job::~Job()
{
    g_liveJobs.fetch_sub(1, std::memory_order_relaxed);
}

int Job::liveCount()
{
    return g_liveJobs.load(std::memory_order_relaxed);
}

JobTracker::JobTracker(QObject* owner, std::chrono::milliseconds progressInterval)
    : m_owner(owner)
    , m_interval(progressInterval)
{
    Q_ASSERT(owner);
    m_pool.setMaxThreadCount(1);
}

JobTracker::~JobTracker()
{
    if (m_cancelOnDestroy)
        dropAll();
    m_jobs.clear();
    m_pool.waitForDone();
}

void JobTracker::track(const std::shared_ptr<Job>& job, ProgressHandler onProgress)
{
    job->m_id = ++m_lastId;
    if (onProgress) {
        // The callback lives inside the job: it holds the job by raw pointer (see Job's lifetime rule).
        Job* raw = job.get();
        job->m_control.setProgressCallback([this, raw, onProgress = std::move(onProgress)](std::string_view stage,
                                               double fraction) { report(*raw, stage, fraction, onProgress); });
    }
    m_jobs.emplace(job->m_id, job);
}

void JobTracker::report(Job& job, std::string_view stage, double fraction, const ProgressHandler& onProgress)
{
    const auto now = Job::Clock::now();
    JobProgress progress;
    progress.step = job.step();
    {
        std::lock_guard lock(job.m_throttleMutex);
        const bool fresh = stage != job.m_stage || progress.step != job.m_lastStep;
        if (!fresh && fraction < 1.0 && now - job.m_lastReport < m_interval)
            return;
        if (fresh) {
            job.m_stage = std::string(stage);
            job.m_lastStep = progress.step;
            job.m_stageStart = now;
        }
        job.m_lastReport = now;
        progress.stageSeconds = std::chrono::duration<double>(now - job.m_stageStart).count();
    }
    progress.stage = QString::fromUtf8(stage.data(), qsizetype(stage.size()));
    progress.fraction = fraction;
    QMetaObject::invokeMethod(
        m_owner,
        [this, id = job.id(), progress, onProgress] {
            if (const std::shared_ptr<Job> tracked = find(id))
                onProgress(*tracked, progress);
        },
        Qt::QueuedConnection);
}

void JobTracker::start(std::shared_ptr<Job> job, std::function<void(Job&)> work)
{
    Q_ASSERT(job && isTracked(job->id()));
    m_pool.start([job = std::move(job), work = std::move(work), low = m_lowPriority] {
        if (low)
            lowerCurrentThreadPriority();
        work(*job);
    });
}

void JobTracker::post(const Job& job, Delivery deliver)
{
    QMetaObject::invokeMethod(
        m_owner,
        [this, id = job.id(), deliver = std::move(deliver)] {
            if (const std::shared_ptr<Job> tracked = find(id))
                deliver(*tracked);
        },
        Qt::QueuedConnection);
}

void JobTracker::finish(const Job& job, Delivery deliver, std::function<void()> dropped)
{
    QMetaObject::invokeMethod(
        m_owner,
        [this, id = job.id(), deliver = std::move(deliver), dropped = std::move(dropped)] {
            const auto it = m_jobs.find(id);
            if (it == m_jobs.end()) {
                if (dropped)
                    dropped();
                return;
            }
            const std::shared_ptr<Job> ending = std::move(it->second);
            m_jobs.erase(it);
            deliver(*ending);
        },
        Qt::QueuedConnection);
}

void JobTracker::cancel(quint64 id)
{
    if (const std::shared_ptr<Job> job = find(id))
        job->control().cancel();
}

void JobTracker::drop(quint64 id)
{
    const auto it = m_jobs.find(id);
    if (it == m_jobs.end())
        return;
    it->second->control().cancel();
    m_jobs.erase(it);
}

void JobTracker::dropAll()
{
    for (auto& [id, job] : m_jobs)
        job->control().cancel();
    m_jobs.clear();
}

} // namespace vq
