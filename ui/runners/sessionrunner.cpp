#include "sessionrunner.h"

#include "common/error.h"
#include "export/artifact.h"
#include "run/hdf5probe.h"
#include "run/runexecutor.h"
#include "run/sweep.h"

#include <QFileInfo>
#include <exception>

namespace vq {

namespace {

// Runs work; returns what went wrong ("<file>: <problem>"), empty when nothing did.
template <typename Work> QString attempt(const QString& target, Work&& work)
{
    try {
        work();
        return {};
    } catch (const Cancelled&) {
        return target + QStringLiteral(": cancelled");
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
}

bool endsWith(const QString& path, const char* suffix)
{
    return path.endsWith(QLatin1String(suffix), Qt::CaseInsensitive);
}

} // namespace

RunRecord runFromArtifact(
    const std::string& path, ArtifactContents artifact, std::shared_ptr<const RunMetrics> measured)
{
    const nlohmann::json& prov = artifact.provenance;
    RunRecord r;
    r.spec = artifact.table.spec;
    r.status = RunStatus::Done;
    r.name = prov.value("runName", std::string());
    if (r.name.empty())
        r.name = QFileInfo(QString::fromStdString(path)).fileName().toStdString();
    r.bits = artifact.table.bits();
    r.info = artifact.table.info;
    r.provenance.sourceFile = prov.value("sourceFile", std::string());
    r.provenance.tensor = prov.value("tensor", std::string());
    r.provenance.format = prov.value("sourceFormat", std::string());
    r.provenance.dtype = prov.value("sourceDtype", std::string());
    r.provenance.checksum = prov.value("sourceChecksum", std::string());
    r.provenance.rows = artifact.table.rows;
    r.provenance.dim = artifact.table.dim;
    r.provenance.tokenWeights = prov.value("tokenWeights", std::string("uniform"));
    r.provenance.appVersion = prov.value("appVersion", std::string());
    r.provenance.seed = prov.value("seed", uint64_t(0));
    r.provenance.threads = prov.value("threads", 0);
    r.provenance.host = prov.value("host", std::string());
    r.provenance.date = prov.value("created", std::string());
    if (prov.contains("timings") && prov["timings"].is_object()) {
        r.timings.fitSeconds = prov["timings"].value("fitSeconds", 0.0);
        r.timings.metricsSeconds = prov["timings"].value("metricsSeconds", 0.0);
    }
    if (prov.contains("warnings") && prov["warnings"].is_array())
        for (const auto& w : prov["warnings"])
            if (w.is_string())
                r.warnings.push_back(w.get<std::string>());
    r.id = prov.value("runId", std::string());
    if (r.id.empty())
        r.id = makeRunId(r.spec, r.provenance);
    if (measured) {
        r.metrics = measured->toJson();
        r.fullMetrics = std::move(measured);
        r.table = std::make_shared<const QuantizedTable>(std::move(artifact.table));
    } else {
        r.metrics = std::move(artifact.metrics);
        if (r.metrics.contains("reconstruction") && r.metrics["reconstruction"].is_object())
            r.metrics["reconstruction"].erase("perToken");
    }
    return r;
}

SessionRunner::SessionRunner(QObject* parent)
    : QObject(parent)
    , m_jobs(this)
{
    // HDF5 serialises every call anyway; a save must never be cut short at shutdown.
    m_jobs.setCancelOnDestroy(false);
}

SessionRunner::~SessionRunner() = default;

quint64 SessionRunner::start(const QString& stage, std::function<void(Job&)> work)
{
    const bool wasBusy = isBusy();
    auto job = m_jobs.create<Job>(
        [this, stage](Job&, const JobProgress& p) { emit progress(stage.isEmpty() ? p.stage : stage, p.fraction); });
    if (!wasBusy)
        emit busyChanged(true);
    m_jobs.start(job, std::move(work));
    return job->id();
}

void SessionRunner::deliver(Job& job, std::function<void()> emitResult)
{
    m_jobs.finish(job, [this, emitResult = std::move(emitResult)](Job&) {
        if (!isBusy())
            emit busyChanged(false);
        if (emitResult)
            emitResult();
    });
}

void SessionRunner::deliverSave(Job& job, const QString& path, const QString& error, quint64 tag)
{
    deliver(job, [this, path, error, tag] {
        if (error.isEmpty())
            emit saved(path, tag);
        else
            emit saveFailed(path, error, tag);
    });
}

quint64 SessionRunner::save(const QString& path, std::shared_ptr<const Session> session, quint64 tag)
{
    return start({}, [this, path, session = std::move(session), tag](Job& job) {
        const QString error = attempt(path, [&] { writeSession(path.toStdString(), *session, job.control()); });
        deliverSave(job, path, error, tag);
    });
}

quint64 SessionRunner::open(const QString& path)
{
    return start(QStringLiteral("open session"), [this, path](Job& job) {
        std::shared_ptr<const Session> session;
        const QString error = attempt(path, [&] {
            probeHdf5File(path.toStdString(), {}, job.control()); // libhdf5 meets the file in a helper process first
            session = std::make_shared<const Session>(readSession(path.toStdString(), job.control()));
        });
        deliver(job, [this, path, session, error] {
            if (session)
                emit opened(path, session);
            else
                emit failed(path, error);
        });
    });
}

quint64 SessionRunner::importRuns(const QString& path, std::shared_ptr<const EmbeddingTable> table)
{
    return start(QStringLiteral("import"), [this, path, table = std::move(table)](Job& job) {
        auto runs = std::make_shared<RunList>();
        QStringList warnings;
        const QString error = attempt(path, [&] {
            const std::string file = path.toStdString();
            if (!endsWith(path, ".h5") && !endsWith(path, ".hdf5")) {
                std::vector<std::string> torn;
                for (RunRecord& r : readRunLines(file, &torn))
                    runs->push_back(std::make_shared<const RunRecord>(std::move(r)));
                for (const std::string& w : torn)
                    warnings << QString::fromStdString(w);
                return;
            }
            probeHdf5File(file);
            ArtifactContents artifact = readArtifact(file);
            const std::string recorded = artifact.provenance.value("sourceChecksum", std::string());
            const bool sameTable = table && !recorded.empty() && table->source.checksum == recorded
                && table->rows() == artifact.table.rows && table->dim() == artifact.table.dim;
            std::shared_ptr<const RunMetrics> measured;
            if (sameTable) {
                RunOptions options;
                std::vector<std::string> skipped;
                measured = std::make_shared<const RunMetrics>(
                    measureQuantized(*table, artifact.table, {}, options, skipped, job.control()));
            } else {
                warnings << QStringLiteral("%1 was made from another table (checksum %2, loaded table %3): its "
                                           "metrics are imported, its arrays are not.")
                                .arg(QFileInfo(path).fileName(), QString::fromStdString(recorded),
                                    table ? QString::fromStdString(table->source.checksum) : QStringLiteral("none"));
            }
            runs->push_back(std::make_shared<const RunRecord>(runFromArtifact(file, std::move(artifact), measured)));
        });
        deliver(job, [this, path, runs, warnings, error] {
            if (error.isEmpty())
                emit imported(path, runs, warnings);
            else
                emit failed(path, error);
        });
    });
}

quint64 SessionRunner::writeJournal(std::shared_ptr<SessionJournal> journal, SessionTable table,
    std::string sessionPath, std::vector<JournalRun> runs, quint64 tag)
{
    const QString folder = QString::fromStdString(journal->folder());
    return start({},
        [this, journal = std::move(journal), table = std::move(table), sessionPath = std::move(sessionPath),
            runs = std::move(runs), folder, tag](Job& job) {
            const QString error = attempt(folder, [&] { journal->write(table, sessionPath, runs, job.control()); });
            deliverSave(job, folder, error, tag);
        });
}

quint64 SessionRunner::clearJournal(std::shared_ptr<SessionJournal> journal)
{
    return start({}, [this, journal = std::move(journal)](Job& job) {
        journal->clear();
        deliver(job, {});
    });
}

quint64 SessionRunner::openJournal(const QString& folder)
{
    return start(QStringLiteral("open autosave"), [this, folder](Job& job) {
        std::shared_ptr<const JournalContents> contents;
        const QString error = attempt(folder, [&] {
            contents
                = std::make_shared<const JournalContents>(SessionJournal::read(folder.toStdString(), job.control()));
        });
        deliver(job, [this, folder, contents, error] {
            if (contents)
                emit journalOpened(folder, contents);
            else
                emit failed(folder, error);
        });
    });
}

} // namespace vq
