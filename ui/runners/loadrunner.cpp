#include "loadrunner.h"

#include "common/error.h"
#include "common/runcontrol.h"
#include "displaytext.h"
#include "io/tensorreader.h"
#include "run/hdf5probe.h"
#include "synth/syntheticfile.h"

#include <QFile>
#include <chrono>

namespace vq {

struct LoadRunner::LoadJob : Job {
    QString path;
};

LoadRunner::LoadRunner(QObject* parent)
    : QObject(parent)
    // About 20 progress signals per second: smooth for a progress bar, cheap for the event loop.
    , m_jobs(this, std::chrono::milliseconds(50))
{
}

LoadRunner::~LoadRunner() = default;

std::shared_ptr<LoadRunner::LoadJob> LoadRunner::current() const
{
    return m_jobs.find<LoadJob>(m_job);
}

void LoadRunner::open(const QString& path)
{
    start(path, true, {}, {}, Extra {});
}

void LoadRunner::load(const QString& path, const QString& tensor, const QString& selectionReason)
{
    start(path, false, tensor, selectionReason, Extra {});
}

void LoadRunner::chooseTensor(const QString& path)
{
    start(path, true, {}, {}, Extra { true, std::nullopt });
}

void LoadRunner::generate(const SyntheticSpec& spec, DType dtype, const QString& path)
{
    start(path, false, {}, tr("generated: %1 × %2, seed %3").arg(spec.rows).arg(spec.dim).arg(spec.seed),
        Extra { false, std::make_pair(spec, dtype) });
}

void LoadRunner::cancel()
{
    m_jobs.cancel(m_job);
}

bool LoadRunner::isCancelling() const
{
    const auto job = current();
    return job && job->isCancelled();
}

QString LoadRunner::currentPath() const
{
    const auto job = current();
    return job ? job->path : QString();
}

void LoadRunner::start(
    const QString& path, bool listFirst, const QString& tensor, const QString& selectionReason, const Extra& extra)
{
    const bool wasBusy = isBusy();
    // The older job stops; whatever it produces is dropped.
    m_jobs.drop(m_job);
    auto job = m_jobs.create<LoadJob>([this](Job&, const JobProgress& p) { emit progress(p.stage, p.fraction); });
    job->path = path;
    m_job = job->id();
    if (!wasBusy)
        emit busyChanged(true);
    emit started(path);
    m_jobs.start(
        job, [this, listFirst, tensor = tensor.toStdString(), reason = selectionReason.toStdString(), extra](Job& j) {
            run(static_cast<LoadJob&>(j), listFirst, tensor, reason, extra);
        });
}

void LoadRunner::run(
    LoadJob& job, bool listFirst, const std::string& tensor, const std::string& selectionReason, const Extra& extra)
{
    // Ends the job on the GUI thread: busyChanged(false), then the one terminal signal. A job whose cancel
    // flag was raised reports cancelled() whatever it produced, so a late result never replaces the table.
    auto finish = [this, &job](auto emitResult) {
        m_jobs.finish(job, [this, emitResult](Job& ended) {
            const QString path = static_cast<LoadJob&>(ended).path;
            m_job = 0;
            emit busyChanged(false);
            if (ended.isCancelled())
                emit cancelled(path);
            else
                emitResult(path);
        });
    };

    const std::string path = display::filePath(job.path);
    RunControl& control = job.control();
    try {
        if (extra.synthetic) {
            writeSyntheticTable(path, extra.synthetic->first, extra.synthetic->second, control);
            control.throwIfCancelled();
        }
        control.report("open", 0.0);
        probeHdf5File(path, tensor, control); // libhdf5 meets an untrusted file in a helper process first
        if (listFirst) {
            auto reader = openTensorFile(path);
            auto listing = std::make_shared<TensorListing>();
            listing->path = job.path;
            listing->format = reader->formatName();
            listing->tensors = reader->tensors();
            listing->candidates = pickEmbedding(listing->tensors);
            reader.reset();
            if (listing->candidates.names.size() > 1 || (extra.alwaysAsk && !listing->candidates.names.empty())) {
                std::shared_ptr<const TensorListing> result = std::move(listing);
                finish([this, result](const QString&) { emit tensorChoiceNeeded(result); });
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
        finish([this, constTable, stats](const QString&) { emit loaded(constTable, stats); });
    } catch (const Cancelled&) {
        finish([this](const QString& p) { emit cancelled(p); });
    } catch (const Error& e) {
        const QString message = display::text(e.what());
        finish([this, message](const QString& p) { emit failed(p, message); });
    } catch (const std::exception& e) {
        // Not a vq::Error (e.g. std::bad_alloc on a huge table): name the file ourselves.
        const QString message = job.path + u": " + display::text(e.what());
        finish([this, message](const QString& p) { emit failed(p, message); });
    }
}

} // namespace vq
