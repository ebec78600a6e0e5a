#pragma once

#include "io/embeddingtable.h"
#include "io/tensorinfo.h"
#include "run/runrecord.h"

#include <QImage>
#include <QList>
#include <QObject>
#include <QPair>
#include <QString>
#include <QThreadPool>
#include <memory>

namespace vq {

// What one export writes.
enum class ExportKind {
    Artifact, // compressed artifact, HDF5 (.vq.h5)
    ArtifactSafetensors, // the artifact's safetensors twin
    Dequantized, // decoded table, .npy, .safetensors or .gguf (by the path's extension)
    PatchedCheckpoint, // copy of a safetensors or GGUF checkpoint with the embedding replaced
    MetricsJson, // RunRecord::toJson with the full metrics
    TokenCsv, // per-token errors: row, token, rel_error, mse, cosine
    Report, // self-contained HTML report (see ReportWriter)
};

// "artifact", "artifact (safetensors)", "dequantized table", "patched checkpoint", "metrics JSON",
// "per-token CSV", "report".
QString exportKindLabel(ExportKind kind);

struct ExportRequest {
    ExportKind kind = ExportKind::Artifact;
    QString path; // file to write; PatchedCheckpoint from a sharded set: the output folder
    // Dequantized: F32/F16 for .npy, F32/F16/BF16 for .safetensors.
    DType dtype = DType::F32;
    // Dequantized .safetensors: the tensor's name (empty: the source tensor's). PatchedCheckpoint: the
    // tensor to replace (empty: the run's source tensor).
    QString tensorName;
    // PatchedCheckpoint: the source checkpoint, a .safetensors or .gguf file, an index JSON or a folder
    // (empty: the run's source file).
    QString checkpoint;
    // Dequantized .gguf and PatchedCheckpoint of a GGUF file: how the table is stored, a writable ggml
    // type ("f16", "q8_0"; io/ggmlwritable.h).
    QString ggmlType = QStringLiteral("f16");
    bool perToken = false; // MetricsJson: include the per-token vectors
};

// What every request of a job exports from.
struct ExportSource {
    std::shared_ptr<const RunRecord> record; // status Done with its arrays (table non-null)
    // The table the run was made on: token strings for the CSV and a standalone GGUF, and the source for
    // file metadata. May be null (no token strings then; the source comes from the record's provenance).
    std::shared_ptr<const EmbeddingTable> table;
    QList<QPair<QString, QImage>> charts; // Report: (title, image), in order
};

// Writes exports of a finished run off the GUI thread, one job (a list of requests written in order) at
// a time. Every file goes through core's atomic writers: a file is either complete or absent, and on
// cancel or failure the file being written is not left behind (files of earlier requests of the job
// are complete and stay). A target that exists and is not a regular file (a device, a folder where a
// file is asked for) is refused before anything is written.
//
// All functions and signals belong to the GUI thread. Each job ends with exactly one of finished(),
// failed() or cancelled(), preceded by busyChanged(false). progress() is throttled to about 20 signals
// per second. Destroying the runner cancels the job and waits for it to stop.
class ExportRunner : public QObject {
    Q_OBJECT
public:
    explicit ExportRunner(QObject* parent = nullptr);
    ~ExportRunner() override;

    // Starts writing requests in order. Returns false (and starts nothing) while a job runs, for an
    // empty list, or when source.record is not a Done run with its arrays.
    bool start(ExportSource source, QList<ExportRequest> requests);
    // Raises the job's cancel flag: the file being written is dropped and the job reports cancelled().
    void cancel();

    bool isBusy() const { return m_job != nullptr; }
    bool isCancelling() const;

signals:
    void busyChanged(bool busy);
    // item: index of the request being written; stage: core's stage name ("export", "decode", ...);
    // fraction of that request in [0, 1].
    void progress(int item, const QString& stage, double fraction);
    // Request item is complete at path.
    void written(int item, const QString& path);
    // Every request was written.
    void finished();
    // message is "<file>: <problem>", naming the file that could not be written.
    void failed(int item, const QString& path, const QString& message);
    void cancelled(int item, const QString& path);

private:
    struct Job;
    void run(const std::shared_ptr<Job>& job);
    template <typename Deliver> void post(quint64 jobId, Deliver deliver);

    QThreadPool m_pool;
    std::shared_ptr<Job> m_job;
    quint64 m_lastJobId = 0;
};

// The metrics document of a run: RunRecord::toJson() whose "metrics" are the full metrics
// (RunMetrics::toJson, per-token vectors when perToken) when the record has them. Pretty-printed.
std::string metricsJsonText(const RunRecord& record, bool perToken);

} // namespace vq

Q_DECLARE_METATYPE(vq::ExportKind)
