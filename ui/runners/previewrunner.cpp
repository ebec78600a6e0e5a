#include "previewrunner.h"

#include "common/error.h"
#include "metrics/rowsample.h"
#include "quant/registry.h"
#include "runners/workerpriority.h"

#include <algorithm>
#include <atomic>
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

struct PreviewRunner::Job {
    quint64 id = 0;
    QuantSpec spec;
    RunOptions options;
    RunControl control;
    std::atomic<int64_t> lastReportNs { 0 };
};

PreviewRunner::PreviewRunner(AppContext* context, QObject* parent)
    : QObject(parent)
    , m_context(context)
{
    Q_ASSERT(context);
    // One preview at a time: a superseded job is cancelled and stops within a second, then the newer
    // one starts; two fits at once would only slow both down.
    m_pool.setMaxThreadCount(1);
    connect(m_context, &AppContext::tableChanged, this, [this] {
        // A preview of another table would be misleading next to runs of this one.
        cancel();
        if (const RunKey key = previewKey())
            m_context->removeRun(key);
        m_previewKey = 0;
    });
}

PreviewRunner::~PreviewRunner()
{
    if (m_current)
        m_current->control.cancel();
    m_pool.waitForDone();
}

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

quint64 PreviewRunner::request(const QuantSpec& spec, const RunOptions& options, uint64_t seed, int threads)
{
    if (m_current)
        m_current->control.cancel();
    const bool wasBusy = isBusy();
    auto job = std::make_shared<Job>();
    job->id = ++m_latest;
    job->spec = spec;
    job->options = options;
    job->control.seed = seed;
    job->control.threads = threads;
    m_current = job;
    if (!wasBusy)
        emit busyChanged(true);
    emit started(job->id);

    auto table = m_context->table();
    if (!table) {
        QMetaObject::invokeMethod(
            this, [this, job] { onDone(job, nullptr, tr("no table is loaded")); }, Qt::QueuedConnection);
        return job->id;
    }
    job->control.setProgressCallback([this, job](std::string_view stage, double fraction) {
        const int64_t now
            = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
        const int64_t last = job->lastReportNs.load(std::memory_order_relaxed);
        if (fraction < 1 && now - last < std::chrono::nanoseconds(kProgressInterval).count())
            return;
        job->lastReportNs.store(now, std::memory_order_relaxed);
        const QString stageText = QString::fromUtf8(stage.data(), qsizetype(stage.size()));
        QMetaObject::invokeMethod(
            this,
            [this, id = job->id, stageText, fraction] {
                if (id == m_latest && m_current)
                    emit progress(id, stageText, fraction);
            },
            Qt::QueuedConnection);
    });
    const int64_t sampleCount = m_sampleRows;
    m_pool.start([this, job, table, sampleCount] {
        lowerCurrentThreadPriority();
        std::shared_ptr<RunRecord> record;
        QString error;
        try {
            job->control.throwIfCancelled();
            const EmbeddingTable sample = sampleTable(*table, sampleCount, job->control.seed);
            auto rows = std::make_shared<const std::vector<int64_t>>(
                vq::sampleRows(table->rows(), sampleCount, job->control.seed));
            // Weights belong to the whole table's rows: resolve them there, keep the sampled ones.
            const ResolvedWeights full = resolveTokenWeights(job->options, table->rows());
            std::vector<float> weights;
            if (!full.weights.empty()) {
                weights.reserve(rows->size());
                for (int64_t r : *rows)
                    weights.push_back(full.weights[size_t(r)]);
            }
            RunOptions options = job->options;
            options.weightsFile.clear();
            options.zipf.reset();

            auto r = std::make_shared<RunRecord>(planRun(sample, job->spec, options, job->control));
            r->provenance.tokenWeights = full.description + (weights.empty() ? "" : " (sampled rows)");
            r->id = makeRunId(r->spec, r->provenance);
            const Quantizer& q = quantizer(r->spec.method);
            const Clock::time_point fitStart = Clock::now();
            auto fitted
                = std::make_shared<QuantizedTable>(q.fit(FitInput { sample.values, weights }, r->spec, job->control));
            r->timings.fitSeconds = secondsSince(fitStart);
            r->bits = fitted->bits();
            r->info = fitted->info;
            const Clock::time_point metricsStart = Clock::now();
            auto metrics = std::make_shared<RunMetrics>(
                measureQuantized(sample, *fitted, weights, options, r->warnings, job->control));
            r->timings.metricsSeconds = secondsSince(metricsStart);
            r->metrics = metrics->toJson();
            r->fullMetrics = std::move(metrics);
            r->table = std::move(fitted);
            r->sampleRows = std::move(rows);
            r->status = RunStatus::Done;
            record = std::move(r);
        } catch (const Cancelled&) {
            // Dropped below: the job was superseded or cancelled.
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
        }
        QMetaObject::invokeMethod(
            this, [this, job, record, error] { onDone(job, record, error); }, Qt::QueuedConnection);
    });
    return job->id;
}

void PreviewRunner::cancel()
{
    if (!m_current)
        return;
    m_current->control.cancel();
    m_current.reset();
    emit busyChanged(false);
}

void PreviewRunner::onDone(const std::shared_ptr<Job>& job, std::shared_ptr<RunRecord> record, const QString& error)
{
    if (job != m_current || job->control.cancelled()) {
        emit dropped(job->id);
        return;
    }
    m_current.reset();
    if (!record) {
        emit failed(job->id, error);
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
    emit finished(job->id, key);
    emit busyChanged(false);
}

} // namespace vq
