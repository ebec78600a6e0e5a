#include "sessionrunner.h"

#include "common/error.h"
#include "export/artifact.h"
#include "run/hdf5probe.h"
#include "run/runexecutor.h"
#include "run/sweep.h"

#include <QFileInfo>
#include <QMetaObject>
#include <QPointer>
#include <exception>

namespace vq {

namespace {

QString errorText(const std::exception& e)
{
    return QString::fromStdString(e.what());
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
{
    m_pool.setMaxThreadCount(1);
}

SessionRunner::~SessionRunner()
{
    m_pool.waitForDone();
}

template <typename Work> void SessionRunner::start(Work work)
{
    if (m_jobs++ == 0)
        emit busyChanged(true);
    m_pool.start([this, work = std::move(work)]() mutable { work(); });
}

void SessionRunner::finishJob()
{
    if (--m_jobs == 0)
        emit busyChanged(false);
}

void SessionRunner::save(const QString& path, std::shared_ptr<const Session> session, quint64 tag)
{
    start([this, path, session = std::move(session), tag] {
        RunControl control;
        control.setProgressCallback([this](std::string_view stage, double f) {
            const QString s = QString::fromUtf8(stage.data(), qsizetype(stage.size()));
            QMetaObject::invokeMethod(
                this, [this, s, f] { emit progress(s, f); }, Qt::QueuedConnection);
        });
        QString error;
        try {
            writeSession(path.toStdString(), *session, control);
        } catch (const std::exception& e) {
            error = errorText(e);
        }
        QMetaObject::invokeMethod(
            this,
            [this, path, error, tag] {
                finishJob();
                if (error.isEmpty())
                    emit saved(path, tag);
                else
                    emit saveFailed(path, error, tag);
            },
            Qt::QueuedConnection);
    });
}

void SessionRunner::open(const QString& path)
{
    start([this, path] {
        RunControl control;
        control.setProgressCallback([this](std::string_view, double f) {
            QMetaObject::invokeMethod(
                this, [this, f] { emit progress(QStringLiteral("open session"), f); }, Qt::QueuedConnection);
        });
        std::shared_ptr<const Session> session;
        QString error;
        try {
            probeHdf5File(path.toStdString(), {}, control); // libhdf5 meets the file in a helper process first
            session = std::make_shared<const Session>(readSession(path.toStdString(), control));
        } catch (const std::exception& e) {
            error = errorText(e);
        }
        QMetaObject::invokeMethod(
            this,
            [this, path, session, error] {
                finishJob();
                if (session)
                    emit opened(path, session);
                else
                    emit failed(path, error);
            },
            Qt::QueuedConnection);
    });
}

void SessionRunner::importRuns(const QString& path, std::shared_ptr<const EmbeddingTable> table)
{
    start([this, path, table = std::move(table)] {
        auto runs = std::make_shared<RunList>();
        QStringList warnings;
        QString error;
        try {
            const std::string file = path.toStdString();
            if (endsWith(path, ".h5") || endsWith(path, ".hdf5")) {
                probeHdf5File(file);
                ArtifactContents artifact = readArtifact(file);
                const std::string recorded = artifact.provenance.value("sourceChecksum", std::string());
                const bool sameTable = table && !recorded.empty() && table->source.checksum == recorded
                    && table->rows() == artifact.table.rows && table->dim() == artifact.table.dim;
                std::shared_ptr<const RunMetrics> measured;
                if (sameTable) {
                    RunControl control;
                    control.setProgressCallback([this](std::string_view, double f) {
                        QMetaObject::invokeMethod(
                            this, [this, f] { emit progress(QStringLiteral("import"), f); }, Qt::QueuedConnection);
                    });
                    RunOptions options;
                    std::vector<std::string> skipped;
                    measured = std::make_shared<const RunMetrics>(
                        measureQuantized(*table, artifact.table, {}, options, skipped, control));
                } else {
                    warnings << QStringLiteral(
                        "%1 was made from another table (checksum %2, loaded table %3): its metrics are "
                        "imported, its arrays are not.")
                                    .arg(QFileInfo(path).fileName(), QString::fromStdString(recorded),
                                        table ? QString::fromStdString(table->source.checksum)
                                              : QStringLiteral("none"));
                }
                runs->push_back(
                    std::make_shared<const RunRecord>(runFromArtifact(file, std::move(artifact), measured)));
            } else {
                for (RunRecord& r : readRunLines(file))
                    runs->push_back(std::make_shared<const RunRecord>(std::move(r)));
            }
        } catch (const std::exception& e) {
            error = errorText(e);
        }
        QMetaObject::invokeMethod(
            this,
            [this, path, runs, warnings, error] {
                finishJob();
                if (error.isEmpty())
                    emit imported(path, runs, warnings);
                else
                    emit failed(path, error);
            },
            Qt::QueuedConnection);
    });
}

} // namespace vq
