#include "runqueue.h"

#include "common/error.h"
#include "runners/workerpriority.h"

#include <chrono>
#include <mutex>
#include <string>

using namespace std::chrono_literals;

namespace vq {

namespace {

constexpr auto kProgressInterval = 100ms;

} // namespace

struct RunQueue::Job {
    RunKey key = 0;
    QuantSpec spec;
    RunOptions options;
    RunControl control;
    // Core reports progress from OpenMP threads: the throttle state is guarded.
    std::mutex progressMutex;
    std::string stage;
    std::chrono::steady_clock::time_point stageStart;
    std::chrono::steady_clock::time_point lastReport;
};

RunQueue::RunQueue(AppContext* context, QObject* parent)
    : QObject(parent)
    , m_context(context)
{
    Q_ASSERT(context);
    m_pool.setMaxThreadCount(1);
}

RunQueue::~RunQueue()
{
    m_pending.clear();
    if (m_running)
        m_running->control.cancel();
    m_pool.waitForDone();
}

RunKey RunQueue::enqueue(const QuantSpec& spec, const RunOptions& options)
{
    if (!m_context->hasTable())
        throw Error(ErrorKind::InvalidArgument, {}, "no table is loaded");
    auto job = std::make_shared<Job>();
    job->options = options;
    job->control.seed = m_seed;
    job->control.threads = m_threads;
    RunRecord planned = planRun(*m_context->table(), spec, options, job->control);
    job->spec = planned.spec;
    job->key = m_context->addRun(std::make_shared<const RunRecord>(std::move(planned)));
    const bool wasBusy = isBusy();
    m_pending.push_back(job);
    if (!wasBusy)
        emit busyChanged(true);
    startNext();
    return job->key;
}

RunKey RunQueue::runningKey() const
{
    return m_running ? m_running->key : 0;
}

bool RunQueue::isCancelling(RunKey key) const
{
    return m_running && m_running->key == key && m_running->control.cancelled();
}

void RunQueue::cancel(RunKey key)
{
    if (m_running && m_running->key == key) {
        m_running->control.cancel();
        return;
    }
    for (auto it = m_pending.begin(); it != m_pending.end(); ++it) {
        if ((*it)->key != key)
            continue;
        m_pending.erase(it);
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
    while (!m_pending.empty())
        cancel(m_pending.back()->key);
    if (m_running)
        m_running->control.cancel();
}

void RunQueue::startNext()
{
    if (m_running || m_pending.empty())
        return;
    m_running = m_pending.front();
    m_pending.pop_front();
    if (const RunEntry* entry = m_context->run(m_running->key)) {
        auto record = std::make_shared<RunRecord>(*entry->record);
        record->status = RunStatus::Running;
        m_context->updateRun(m_running->key, std::move(record));
    }
    emit runStarted(m_running->key);
    auto table = m_context->table();
    auto job = m_running;
    job->control.setProgressCallback([this, job](std::string_view stage, double fraction) {
        const auto now = std::chrono::steady_clock::now();
        double eta = -1;
        {
            std::lock_guard lock(job->progressMutex);
            if (stage != job->stage) {
                job->stage = std::string(stage);
                job->stageStart = now;
            } else if (now - job->lastReport < kProgressInterval && fraction < 1) {
                return;
            }
            job->lastReport = now;
            const double elapsed = std::chrono::duration<double>(now - job->stageStart).count();
            if (fraction > 0.02 && elapsed > 0.5)
                eta = elapsed / fraction * (1 - fraction);
        }
        const QString stageText = QString::fromUtf8(stage.data(), qsizetype(stage.size()));
        QMetaObject::invokeMethod(
            this,
            [this, key = job->key, stageText, fraction, eta] {
                if (m_running && m_running->key == key)
                    m_context->setRunProgress(key, stageText, fraction, eta);
            },
            Qt::QueuedConnection);
    });
    m_pool.start([this, job, table] {
        lowerCurrentThreadPriority();
        std::shared_ptr<RunRecord> record;
        QString failure;
        bool cancelled = false;
        try {
            record = std::make_shared<RunRecord>(executeRun(*table, job->spec, job->options, job->control));
        } catch (const Cancelled&) {
            cancelled = true;
        } catch (const std::exception& e) {
            failure = QString::fromUtf8(e.what());
        }
        QMetaObject::invokeMethod(
            this,
            [this, job, record, failure, cancelled] {
                std::shared_ptr<RunRecord> result = record;
                const RunEntry* entry = m_context->run(job->key);
                if (!result) {
                    result = entry ? std::make_shared<RunRecord>(*entry->record) : std::make_shared<RunRecord>();
                    result->status = cancelled ? RunStatus::Cancelled : RunStatus::Failed;
                    result->error = failure.toStdString();
                }
                // The user may have renamed the run while it was queued or running.
                if (entry)
                    result->name = entry->record->name;
                finish(job, std::move(result));
            },
            Qt::QueuedConnection);
    });
}

void RunQueue::finish(const std::shared_ptr<Job>& job, std::shared_ptr<const RunRecord> record)
{
    Q_ASSERT(m_running == job);
    const RunStatus status = record->status;
    m_running.reset();
    m_context->updateRun(job->key, std::move(record));
    emit runFinished(job->key, status);
    if (!isBusy())
        emit busyChanged(false);
    startNext();
}

} // namespace vq
