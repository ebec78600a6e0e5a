#include "exportrunner.h"

#include "common/error.h"
#include "common/runcontrol.h"
#include "displaytext.h"
#include "export/artifact.h"
#include "export/dequantizedexport.h"
#include "export/patchedcheckpoint.h"
#include "io/atomicfile.h"
#include "reportwriter.h"

#include <QFile>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <sys/stat.h>

using namespace std::chrono_literals;

namespace vq {

namespace {

constexpr auto kProgressInterval = 50ms;

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The table's source as the writers want it: the loaded table's when given, else the record's provenance.
TableSource sourceOf(const ExportSource& source)
{
    if (source.table)
        return source.table->source;
    const RunProvenance& p = source.record->provenance;
    TableSource s;
    s.file = p.sourceFile;
    s.format = p.format;
    s.tensor = p.tensor;
    s.dtype = p.dtype;
    s.storedShape = { p.rows, p.dim };
    s.checksum = p.checksum;
    return s;
}

// Refuses a target that exists and is not a regular file: renaming a temporary file over a device or a
// folder would replace it rather than write into it.
void checkFileTarget(const std::string& path)
{
    struct stat st { };
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        throw Error(ErrorKind::WriteFailed, path,
            S_ISDIR(st.st_mode) ? "is a folder, not a file" : "exists and is not a regular file");
}

// The artifact of a finished run, with the same provenance keys as the CLI's `quantize --artifact`.
ArtifactContents artifactContents(const ExportSource& source, RunControl& control)
{
    const RunRecord& record = *source.record;
    ArtifactContents contents;
    contents.table = *record.table;
    contents.metrics = record.fullMetrics ? record.fullMetrics->toJson({ true, false, false }) : record.metrics;
    if (!contents.metrics.is_object())
        contents.metrics = nlohmann::json::object();
    control.seed = record.provenance.seed;
    control.threads = record.provenance.threads;
    contents.provenance = makeProvenance(sourceOf(source), control,
        { { "fitSeconds", record.timings.fitSeconds }, { "metricsSeconds", record.timings.metricsSeconds } });
    contents.provenance["runId"] = record.id;
    contents.provenance["runName"] = record.name;
    contents.provenance["rows"] = record.provenance.rows;
    contents.provenance["dim"] = record.provenance.dim;
    contents.provenance["tokenWeights"] = record.provenance.tokenWeights;
    contents.provenance["host"] = record.provenance.host;
    contents.provenance["warnings"] = record.warnings;
    return contents;
}

void writeText(const std::string& path, const std::string& text, std::string_view stage, RunControl& control)
{
    control.throwIfCancelled();
    AtomicFile file(path);
    constexpr size_t kChunk = size_t(1) << 20;
    for (size_t done = 0; done < text.size(); done += kChunk) {
        control.throwIfCancelled();
        file.write(text.data() + done, std::min(kChunk, text.size() - done));
        control.report(stage, double(done) / double(text.size()));
    }
    control.throwIfCancelled();
    file.commit();
    control.report(stage, 1.0);
}

// A CSV field: quoted when it holds a separator, a quote or a line break (RFC 4180).
void appendCsvField(std::string& out, const std::string& field)
{
    if (field.find_first_of(",\"\r\n") == std::string::npos) {
        out += field;
        return;
    }
    out += '"';
    for (char c : field) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
}

// %.9g: a float read back from the text is the same float.
void appendFloat(std::string& out, float v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", double(v));
    out += buf;
}

void writeTokenCsv(const std::string& path, const ExportSource& source, RunControl& control)
{
    const RunRecord& record = *source.record;
    if (!record.fullMetrics)
        throw Error(ErrorKind::InvalidArgument, path, "the run has no per-token metrics");
    const ReconstructionMetrics& m = record.fullMetrics->reconstruction;
    const auto rows = int64_t(m.tokenRelError.size());
    const std::vector<std::string>* tokens
        = source.table && int64_t(source.table->tokens.size()) == rows ? &source.table->tokens : nullptr;

    control.throwIfCancelled();
    AtomicFile file(path);
    std::string chunk = "row,token,rel_error,mse,cosine\n";
    constexpr int64_t kRowsPerChunk = 8192;
    for (int64_t r = 0; r < rows; ++r) {
        chunk += std::to_string(r);
        chunk += ',';
        if (tokens)
            appendCsvField(chunk, (*tokens)[size_t(r)]);
        chunk += ',';
        appendFloat(chunk, m.tokenRelError[size_t(r)]);
        chunk += ',';
        appendFloat(chunk, m.tokenMse[size_t(r)]);
        chunk += ',';
        appendFloat(chunk, m.tokenCosine[size_t(r)]);
        chunk += '\n';
        if ((r + 1) % kRowsPerChunk == 0) {
            control.throwIfCancelled();
            file.write(chunk.data(), chunk.size());
            chunk.clear();
            control.report("export", double(r + 1) / double(rows));
        }
    }
    control.throwIfCancelled();
    file.write(chunk.data(), chunk.size());
    file.commit();
    control.report("export", 1.0);
}

void writeOne(const ExportRequest& request, const ExportSource& source, RunControl& control)
{
    const std::string path = display::filePath(request.path);
    if (path.empty())
        throw Error(ErrorKind::WriteFailed, path, "no file name given");
    const RunRecord& record = *source.record;
    if (request.kind != ExportKind::PatchedCheckpoint)
        checkFileTarget(path);

    switch (request.kind) {
    case ExportKind::Artifact:
        writeArtifact(path, artifactContents(source, control), control);
        break;
    case ExportKind::ArtifactSafetensors:
        writeArtifactSafetensors(path, artifactContents(source, control), control);
        break;
    case ExportKind::Dequantized: {
        DequantizedExportOptions options;
        options.dtype = request.dtype;
        options.tensorName = request.tensorName.toStdString();
        if (endsWith(path, ".npy")) {
            exportDequantizedNpy(path, *record.table, options, control);
        } else if (endsWith(path, ".safetensors")) {
            exportDequantizedSafetensors(path, *record.table, sourceOf(source), options, control);
        } else if (endsWith(path, ".gguf")) {
            options.ggmlType = request.ggmlType.toStdString();
            if (source.table && int64_t(source.table->tokens.size()) == record.table->rows)
                options.tokens = source.table->tokens;
            exportDequantizedGguf(path, *record.table, sourceOf(source), options, control);
        } else {
            throw Error(
                ErrorKind::InvalidArgument, path, "a dequantized table is written as .npy, .safetensors or .gguf");
        }
        break;
    }
    case ExportKind::PatchedCheckpoint: {
        const TableSource tableSource = sourceOf(source);
        const std::string checkpoint
            = request.checkpoint.isEmpty() ? tableSource.file : display::filePath(request.checkpoint);
        PatchOptions options;
        options.tensorName = request.tensorName.isEmpty() ? tableSource.tensor : request.tensorName.toStdString();
        options.ggmlType = request.ggmlType.toStdString();
        options.tableSource = tableSource;
        writePatchedCheckpoint(checkpoint, path, *record.table, options, control);
        break;
    }
    case ExportKind::MetricsJson:
        writeText(path, metricsJsonText(record, request.perToken), "export", control);
        break;
    case ExportKind::TokenCsv:
        writeTokenCsv(path, source, control);
        break;
    case ExportKind::Report: {
        ReportWriter writer(source.record);
        writer.setChartImages(source.charts);
        writer.write(path, control);
        break;
    }
    }
}

} // namespace

QString exportKindLabel(ExportKind kind)
{
    switch (kind) {
    case ExportKind::Artifact:
        return QStringLiteral("artifact");
    case ExportKind::ArtifactSafetensors:
        return QStringLiteral("artifact (safetensors)");
    case ExportKind::Dequantized:
        return QStringLiteral("dequantized table");
    case ExportKind::PatchedCheckpoint:
        return QStringLiteral("patched checkpoint");
    case ExportKind::MetricsJson:
        return QStringLiteral("metrics JSON");
    case ExportKind::TokenCsv:
        return QStringLiteral("per-token CSV");
    case ExportKind::Report:
        return QStringLiteral("report");
    }
    return {};
}

std::string metricsJsonText(const RunRecord& record, bool perToken)
{
    nlohmann::json j = record.toJson();
    if (record.fullMetrics)
        j["metrics"] = record.fullMetrics->toJson({ perToken, false, false });
    return j.dump(2) + "\n";
}

struct ExportRunner::Job {
    quint64 id = 0;
    ExportSource source;
    QList<ExportRequest> requests;
    RunControl control;
    std::atomic<int> item { 0 };
    std::mutex progressMutex; // guards the throttle state: core reports from OpenMP threads
    std::string lastStage;
    int lastItem = -1;
    std::chrono::steady_clock::time_point lastReport;
};

ExportRunner::ExportRunner(QObject* parent)
    : QObject(parent)
{
    m_pool.setMaxThreadCount(1);
}

ExportRunner::~ExportRunner()
{
    if (m_job)
        m_job->control.cancel();
    m_pool.waitForDone();
}

bool ExportRunner::start(ExportSource source, QList<ExportRequest> requests)
{
    if (m_job || requests.isEmpty() || !source.record || source.record->status != RunStatus::Done
        || !source.record->table)
        return false;
    auto job = std::make_shared<Job>();
    job->id = ++m_lastJobId;
    job->source = std::move(source);
    job->requests = std::move(requests);
    Job* rawJob = job.get();
    job->control.setProgressCallback([this, rawJob](std::string_view stage, double fraction) {
        Job& j = *rawJob;
        const int item = j.item.load();
        const auto now = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(j.progressMutex);
            const bool fresh = stage != j.lastStage || item != j.lastItem;
            if (!fresh && fraction < 1.0 && now - j.lastReport < kProgressInterval)
                return;
            j.lastStage = std::string(stage);
            j.lastItem = item;
            j.lastReport = now;
        }
        const QString stageText = QString::fromUtf8(stage.data(), qsizetype(stage.size()));
        post(j.id, [this, item, stageText, fraction](Job&) { emit progress(item, stageText, fraction); });
    });
    m_job = job;
    emit busyChanged(true);
    m_pool.start([this, job] { run(job); });
    return true;
}

void ExportRunner::cancel()
{
    if (m_job)
        m_job->control.cancel();
}

bool ExportRunner::isCancelling() const
{
    return m_job && m_job->control.cancelled();
}

template <typename Deliver> void ExportRunner::post(quint64 jobId, Deliver deliver)
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

void ExportRunner::run(const std::shared_ptr<Job>& job)
{
    // Ends the job on the GUI thread: busyChanged(false), then its one terminal signal.
    auto finish = [this](quint64 jobId, auto emitResult) {
        post(jobId, [this, emitResult](Job&) {
            m_job.reset();
            emit busyChanged(false);
            emitResult();
        });
    };

    for (int i = 0; i < job->requests.size(); ++i) {
        job->item.store(i);
        const ExportRequest& request = job->requests[i];
        const QString path = request.path;
        try {
            job->control.throwIfCancelled();
            job->control.report("export", 0.0);
            writeOne(request, job->source, job->control);
            post(job->id, [this, i, path](Job&) { emit written(i, path); });
        } catch (const Cancelled&) {
            finish(job->id, [this, i, path] { emit cancelled(i, path); });
            return;
        } catch (const Error& e) {
            // Core's errors name the file already; others get the target's name.
            const QString message
                = e.path().empty() ? path + u": " + display::text(e.message()) : display::text(e.what());
            finish(job->id, [this, i, path, message] { emit failed(i, path, message); });
            return;
        } catch (const std::exception& e) {
            const QString message = path + u": " + display::text(e.what());
            finish(job->id, [this, i, path, message] { emit failed(i, path, message); });
            return;
        }
    }
    finish(job->id, [this] { emit finished(); });
}

} // namespace vq
