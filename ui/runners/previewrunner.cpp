#include "previewrunner.h"

#include "common/error.h"
#include "metrics/rowsample.h"
#include "quant/registry.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace vq {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kProgressInterval = std::chrono::milliseconds(100);

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

} // namespace

struct PreviewRunner::PreviewJob : Job {
    QuantSpec spec;
    RunOptions options;
};

PreviewRunner::PreviewRunner(AppContext* context, QObject* parent)
    : QObject(parent)
    , m_context(context)
    , m_jobs(this, kProgressInterval)
{
    Q_ASSERT(context);
    // One preview at a time: a superseded job is cancelled and stops within a second, then the newer
    // one starts; two fits at once would only slow both down.
    m_jobs.setLowPriority(true);
    connect(m_context, &AppContext::tableChanged, this, [this] {
        // A preview of another table would be misleading next to runs of this one.
        cancel();
        if (const RunKey key = previewKey())
            m_context->removeRun(key);
        m_previewKey = 0;
    });
}

PreviewRunner::~PreviewRunner() = default;

RunKey PreviewRunner::previewKey() const
{
    const RunEntry* entry = m_context->run(m_previewKey);
    return entry && entry->preview ? m_previewKey : 0;
}

EmbeddingTable PreviewRunner::sampleTable(const EmbeddingTable& table, int64_t count, uint64_t seed)
{
    const std::vector<int64_t> rows = vq::sampleRows(table.rows(), count, seed);
    EmbeddingTable out;
    out.values = Matrix(int64_t(rows.size()), table.dim());
    for (size_t i = 0; i < rows.size(); ++i)
        std::copy_n(table.values.row(rows[i]), table.dim(), out.values.row(int64_t(i)));
    if (!table.tokens.empty()) {
        out.tokens.reserve(rows.size());
        for (int64_t r : rows)
            out.tokens.push_back(table.tokens[size_t(r)]);
    }
    for (float v : out.values.values) {
        if (std::isnan(v))
            ++out.nanCount;
        else if (std::isinf(v))
            ++out.infCount;
    }
    out.source = table.source;
    out.source.tensor += " (sample of " + std::to_string(rows.size()) + " rows, seed " + std::to_string(seed) + ")";
    out.source.checksum = tableChecksum(out.values);
    out.tokenSource = table.tokenSource;
    out.tiedHead = table.tiedHead;
    out.tiedReason = table.tiedReason;
    return out;
}

std::shared_ptr<RunRecord> PreviewRunner::preview(const EmbeddingTable& table, int64_t sampleCount, PreviewJob& job)
{
    RunControl& control = job.control();
    control.throwIfCancelled();
    const EmbeddingTable sample = sampleTable(table, sampleCount, control.seed);
    // Weights belong to the whole table's rows: resolve them there, keep the sampled ones.
    const ResolvedWeights full = resolveTokenWeights(job.options, table.rows());
    auto rows = std::make_shared<const std::vector<int64_t>>(vq::sampleRows(table.rows(), sampleCount, control.seed));
    std::vector<float> weights;
    if (!full.weights.empty()) {
        weights.reserve(rows->size());
        for (int64_t r : *rows)
            weights.push_back(full.weights[size_t(r)]);
    }
    RunOptions options = job.options;
    options.weightsFile.clear();
    options.zipf.reset();

    auto r = std::make_shared<RunRecord>(planRun(sample, job.spec, options, control));
    r->provenance.tokenWeights = full.description + (weights.empty() ? "" : " (sampled rows)");
    r->id = makeRunId(r->spec, r->provenance);
    const Quantizer& q = quantizer(r->spec.method);
    const Clock::time_point fitStart = Clock::now();
    auto fitted = std::make_shared<QuantizedTable>(q.fit(FitInput { sample.values, weights }, r->spec, control));
    r->timings.fitSeconds = secondsSince(fitStart);
    r->bits = fitted->bits();
    r->info = fitted->info;
    const Clock::time_point metricsStart = Clock::now();
    auto metrics
        = std::make_shared<RunMetrics>(measureQuantized(sample, *fitted, weights, options, r->warnings, control));
    r->timings.metricsSeconds = secondsSince(metricsStart);
    r->metrics = metrics->toJson();
    r->fullMetrics = std::move(metrics);
    r->table = std::move(fitted);
    r->sampleRows = std::move(rows);
    r->status = RunStatus::Done;
    return r;
}

quint64 PreviewRunner::request(const QuantSpec& spec, const RunOptions& options, uint64_t seed, int threads)
{
    const bool wasBusy = isBusy();
    // The older job's result is dropped (reported as dropped() when it ends).
    m_jobs.drop(m_current);
    auto job = m_jobs.create<PreviewJob>([this](Job& j, const JobProgress& p) {
        if (j.id() == m_current)
            emit progress(j.id(), p.stage, p.fraction);
    });
    job->spec = spec;
    job->options = options;
    job->control().seed = seed;
    job->control().threads = threads;
    m_current = job->id();
    if (!wasBusy)
        emit busyChanged(true);
    emit started(job->id());

    const std::shared_ptr<const EmbeddingTable> table = m_context->table();
    const int64_t sampleCount = m_sampleRows;
    m_jobs.start(job, [this, table, sampleCount](Job& j) {
        auto& previewJob = static_cast<PreviewJob&>(j);
        std::shared_ptr<RunRecord> record;
        QString error;
        try {
            if (!table)
                throw Error(ErrorKind::InvalidArgument, {}, "no table is loaded");
            record = preview(*table, sampleCount, previewJob);
        } catch (const Cancelled&) {
            // Dropped below: the job was superseded or cancelled.
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
        }
        const quint64 id = j.id();
        m_jobs.finish(
            j,
            [this, record, error](Job& ended) {
                const bool cancelled = ended.isCancelled();
                onDone(ended.id(), cancelled ? nullptr : record, cancelled ? QString() : error);
            },
            [this, id] { emit dropped(id); });
    });
    return job->id();
}

void PreviewRunner::cancel()
{
    if (!m_current)
        return;
    m_jobs.drop(m_current);
    m_current = 0;
    emit busyChanged(false);
}

void PreviewRunner::onDone(quint64 job, std::shared_ptr<RunRecord> record, const QString& error)
{
    m_current = 0;
    if (!record && error.isEmpty()) {
        // Cancelled without being dropped (a cancel raised by the fit itself): nothing to publish.
        emit dropped(job);
        emit busyChanged(false);
        return;
    }
    if (!record) {
        emit failed(job, error);
        emit busyChanged(false);
        return;
    }
    record->name = tr("Preview (%1 rows)").arg(record->provenance.rows).toStdString();
    RunKey key = previewKey();
    if (key) {
        m_context->updateRun(key, std::move(record));
    } else {
        key = m_context->addRun(std::move(record), /*preview*/ true);
        m_previewKey = key;
    }
    if (m_context->currentRun() != key)
        m_context->setCurrentRun(key);
    emit finished(job, key);
    emit busyChanged(false);
}

} // namespace vq
