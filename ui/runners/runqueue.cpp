#include "runqueue.h"

#include "common/error.h"

#include <chrono>

using namespace std::chrono_literals;

namespace vq {

struct RunQueue::RunJob : Job {
    RunKey key = 0;
    QuantSpec spec;
    RunOptions options;
};

RunQueue::RunQueue(AppContext* context, QObject* parent)
    : QObject(parent)
    , m_context(context)
    // About 10 progress updates a second per run.
    , m_jobs(this, 100ms)
{
    Q_ASSERT(context);
    m_jobs.setLowPriority(true);
}

RunQueue::~RunQueue() = default;

RunKey RunQueue::enqueue(const QuantSpec& spec, const RunOptions& options)
{
    if (!m_context->hasTable())
        throw Error(ErrorKind::InvalidArgument, {}, "no table is loaded");
    RunControl planning;
    planning.seed = m_seed;
    planning.threads = m_threads;
    RunRecord planned = planRun(*m_context->table(), spec, options, planning);
    auto job = m_jobs.create<RunJob>([this](Job& j, const JobProgress& p) {
        const auto& run = static_cast<const RunJob&>(j);
        if (run.id() != m_running)
            return;
        const double eta
            = p.fraction > 0.02 && p.stageSeconds > 0.5 ? p.stageSeconds / p.fraction * (1 - p.fraction) : -1;
        m_context->setRunProgress(run.key, p.stage, p.fraction, eta);
    });
    job->options = options;
    job->control().seed = m_seed;
    job->control().threads = m_threads;
    job->spec = planned.spec;
    job->key = m_context->addRun(std::make_shared<const RunRecord>(std::move(planned)));
    const bool wasBusy = isBusy();
    m_pending.push_back(job->id());
    if (!wasBusy)
        emit busyChanged(true);
    startNext();
    return job->key;
}

std::shared_ptr<RunQueue::RunJob> RunQueue::runningJob() const
{
    return m_running ? m_jobs.find<RunJob>(m_running) : nullptr;
}

RunKey RunQueue::runningKey() const
{
    const auto job = runningJob();
    return job ? job->key : 0;
}

bool RunQueue::isCancelling(RunKey key) const
{
    const auto job = runningJob();
    return job && job->key == key && job->isCancelled();
}

void RunQueue::cancel(RunKey key)
{
    if (const auto job = runningJob(); job && job->key == key) {
        m_jobs.cancel(job->id());
        return;
    }
    for (auto it = m_pending.begin(); it != m_pending.end(); ++it) {
        const auto job = m_jobs.find<RunJob>(*it);
        if (!job || job->key != key)
            continue;
        m_pending.erase(it);
        m_jobs.drop(job->id());
        if (const RunEntry* entry = m_context->run(key)) {
            auto record = std::make_shared<RunRecord>(*entry->record);
            record->status = RunStatus::Cancelled;
            m_context->updateRun(key, std::move(record));
        }
        emit runFinished(key, RunStatus::Cancelled);
        if (!isBusy())
            emit busyChanged(false);
        return;
    }
}

void RunQueue::cancelAll()
{
    while (!m_pending.empty()) {
        const auto job = m_jobs.find<RunJob>(m_pending.back());
        if (job)
            cancel(job->key);
        else
            m_pending.pop_back();
    }
    if (m_running)
        m_jobs.cancel(m_running);
}

void RunQueue::startNext()
{
    if (m_running || m_pending.empty())
        return;
    const auto job = m_jobs.find<RunJob>(m_pending.front());
    m_pending.pop_front();
    if (!job)
        return startNext();
    m_running = job->id();
    if (const RunEntry* entry = m_context->run(job->key)) {
        auto record = std::make_shared<RunRecord>(*entry->record);
        record->status = RunStatus::Running;
        m_context->updateRun(job->key, std::move(record));
    }
    emit runStarted(job->key);
    m_jobs.start(job, [this, table = m_context->table()](Job& j) {
        auto& run = static_cast<RunJob&>(j);
        std::shared_ptr<RunRecord> record;
        QString failure;
        bool cancelled = false;
        try {
            record = std::make_shared<RunRecord>(executeRun(*table, run.spec, run.options, run.control()));
        } catch (const Cancelled&) {
            cancelled = true;
        } catch (const std::exception& e) {
            failure = QString::fromUtf8(e.what());
        }
        m_jobs.finish(run, [this, record, failure, cancelled](Job& ended) {
            finish(static_cast<RunJob&>(ended), record, failure, cancelled);
        });
    });
}

void RunQueue::finish(RunJob& job, std::shared_ptr<RunRecord> record, const QString& failure, bool cancelled)
{
    Q_ASSERT(m_running == job.id());
    const RunKey key = job.key;
    m_running = 0;
    const RunEntry* entry = m_context->run(key);
    if (!record) {
        record = entry ? std::make_shared<RunRecord>(*entry->record) : std::make_shared<RunRecord>();
        record->status = cancelled ? RunStatus::Cancelled : RunStatus::Failed;
        record->error = failure.toStdString();
    }
    // The user may have renamed the run while it was queued or running.
    if (entry)
        record->name = entry->record->name;
    const RunStatus status = record->status;
    m_context->updateRun(key, std::move(record));
    emit runFinished(key, status);
    if (!isBusy())
        emit busyChanged(false);
    startNext();
}

} // namespace vq
