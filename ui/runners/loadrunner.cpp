#include "loadrunner.h"

#include "common/error.h"
#include "common/runcontrol.h"
#include "displaytext.h"
#include "io/tensorreader.h"
#include "run/hdf5probe.h"

#include <QFile>
#include <chrono>
#include <mutex>

using namespace std::chrono_literals;

namespace vq {

namespace {

// About 20 progress signals per second: smooth for a progress bar, cheap for the event loop.
constexpr auto kProgressInterval = 50ms;

} // namespace

struct LoadRunner::Job {
    quint64 id = 0;
    QString path;
    RunControl control;
    // Guards the throttle state: core reports progress from OpenMP threads.
    std::mutex progressMutex;
    std::string lastStage;
    std::chrono::steady_clock::time_point lastReport;
};

LoadRunner::LoadRunner(QObject* parent)
    : QObject(parent)
{
    // One job at a time: a replaced job finishes cancelling before the next one starts reading.
    m_pool.setMaxThreadCount(1);
}

LoadRunner::~LoadRunner()
{
    if (m_job)
        m_job->control.cancel();
    m_pool.waitForDone();
}

void LoadRunner::open(const QString& path)
{
    start(path, true, {}, {});
}

void LoadRunner::load(const QString& path, const QString& tensor, const QString& selectionReason)
{
    start(path, false, tensor, selectionReason);
}

void LoadRunner::cancel()
{
    if (m_job)
        m_job->control.cancel();
}

bool LoadRunner::isCancelling() const
{
    return m_job && m_job->control.cancelled();
}

QString LoadRunner::currentPath() const
{
    return m_job ? m_job->path : QString();
}

void LoadRunner::start(const QString& path, bool listFirst, const QString& tensor, const QString& selectionReason)
{
    const bool wasBusy = isBusy();
    if (m_job)
        m_job->control.cancel(); // its result is dropped by the id check in post()

    auto job = std::make_shared<Job>();
    job->id = ++m_lastJobId;
    job->path = path;
    // A raw pointer: the callback lives inside the job, and only runs while the job's task holds it.
    Job* rawJob = job.get();
    job->control.setProgressCallback(
        [this, rawJob](std::string_view stage, double fraction) { reportProgress(*rawJob, stage, fraction); });
    m_job = job;
    if (!wasBusy)
        emit busyChanged(true);
    emit started(path);

    m_pool.start([this, job, listFirst, tensor = tensor.toStdString(), reason = selectionReason.toStdString()] {
        run(job, listFirst, tensor, reason);
    });
}

template <typename Deliver> void LoadRunner::post(quint64 jobId, Deliver deliver)
{
    QMetaObject::invokeMethod(
        this,
        [this, jobId, deliver]() {
            if (!m_job || m_job->id != jobId)
                return;
            deliver(*m_job);
        },
        Qt::QueuedConnection);
}

void LoadRunner::reportProgress(Job& job, std::string_view stage, double fraction)
{
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(job.progressMutex);
        const bool newStage = stage != job.lastStage;
        if (!newStage && fraction < 1.0 && now - job.lastReport < kProgressInterval)
            return;
        job.lastStage = std::string(stage);
        job.lastReport = now;
    }
    const QString stageText = QString::fromUtf8(stage.data(), qsizetype(stage.size()));
    post(job.id, [this, stageText, fraction](Job&) { emit progress(stageText, fraction); });
}

void LoadRunner::run(
    const std::shared_ptr<Job>& job, bool listFirst, const std::string& tensor, const std::string& selectionReason)
{
    // Ends the job on the GUI thread: busyChanged(false), then the one terminal signal. A job whose cancel
    // flag was raised reports cancelled() whatever it produced, so a late result never replaces the table.
    auto finish = [this](quint64 jobId, auto emitResult) {
        post(jobId, [this, emitResult](Job& current) {
            const QString path = current.path;
            const bool wasCancelled = current.control.cancelled();
            m_job.reset();
            emit busyChanged(false);
            if (wasCancelled)
                emit cancelled(path);
            else
                emitResult(path);
        });
    };

    const std::string path = display::filePath(job->path);
    RunControl& control = job->control;
    try {
        control.report("open", 0.0);
        probeHdf5File(path, tensor, control); // libhdf5 meets an untrusted file in a helper process first
        if (listFirst) {
            auto reader = openTensorFile(path);
            auto listing = std::make_shared<TensorListing>();
            listing->path = job->path;
            listing->format = reader->formatName();
            listing->tensors = reader->tensors();
            listing->candidates = pickEmbedding(listing->tensors);
            reader.reset();
            if (listing->candidates.names.size() > 1) {
                std::shared_ptr<const TensorListing> result = std::move(listing);
                finish(job->id, [this, result](const QString&) { emit tensorChoiceNeeded(result); });
                return;
            }
            control.throwIfCancelled();
        }

        LoadOptions options;
        options.tensor = tensor;
        auto table = std::make_shared<EmbeddingTable>(loadEmbedding(path, options, control));
        if (!selectionReason.empty())
            table->source.selectionReason = selectionReason;
        control.throwIfCancelled();
        // Switch the status text to the statistics stage even before core's first report.
        control.report("statistics", 0.0);
        auto stats = std::make_shared<const TableStats>(computeTableStats(table->values, control));
        control.throwIfCancelled();

        std::shared_ptr<const EmbeddingTable> constTable = std::move(table);
        finish(job->id, [this, constTable, stats](const QString&) { emit loaded(constTable, stats); });
    } catch (const Cancelled&) {
        finish(job->id, [this](const QString& p) { emit cancelled(p); });
    } catch (const Error& e) {
        const QString message = display::text(e.what());
        finish(job->id, [this, message](const QString& p) { emit failed(p, message); });
    } catch (const std::exception& e) {
        // Not a vq::Error (e.g. std::bad_alloc on a huge table): name the file ourselves.
        const QString message = job->path + u": " + display::text(e.what());
        finish(job->id, [this, message](const QString& p) { emit failed(p, message); });
    }
}

} // namespace vq
