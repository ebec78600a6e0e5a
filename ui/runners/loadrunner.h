#pragma once

#include "io/embeddingloader.h"
#include "io/embeddingtable.h"
#include "io/tensorinfo.h"
#include "runners/jobtracker.h"
#include "stats/tablestats.h"
#include "synth/synthetictable.h"

#include <QObject>
#include <QString>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vq {

// A file's tensors and the automatic pick, returned instead of a table when more than one tensor could
// be the embedding and the user has to choose.
struct TensorListing {
    QString path;
    std::string format;
    std::vector<TensorInfo> tensors;
    EmbeddingCandidates candidates;
};

// Loads a table and computes its statistics off the GUI thread, one job at a time.
//
// All functions and signals belong to the GUI thread. Each job ends with exactly one of
// tensorChoiceNeeded(), loaded(), failed() or cancelled(), preceded by busyChanged(false). Starting a
// job while one runs cancels the older one and drops whatever it produces (job id guard). progress()
// is throttled to about 20 signals per second. Destroying the runner cancels the job and waits for it.
class LoadRunner : public QObject {
    Q_OBJECT
public:
    explicit LoadRunner(QObject* parent = nullptr);
    ~LoadRunner() override;

    // Opens path, lists its candidate tensors and, when there is exactly one (or none: the load then
    // reports why), loads it and computes its statistics. With several candidates it emits
    // tensorChoiceNeeded() and stops; the caller then calls load() with the user's choice.
    void open(const QString& path);
    // Loads tensor of path and computes its statistics. selectionReason replaces the loader's reason
    // in the table's source (e.g. "chosen in the tensor picker"); empty keeps the loader's.
    void load(const QString& path, const QString& tensor, const QString& selectionReason = {});
    // Lists path's tensors and always emits tensorChoiceNeeded() (even with one candidate), so the user
    // can pick another tensor than the automatic one (e.g. lm_head.weight).
    void chooseTensor(const QString& path);
    // Generates spec's table (core/synth), writes it to path (.npy or .safetensors, as dtype: see
    // writeSyntheticTable) and loads it. Progress stages "generate", "export", then the load's.
    void generate(const SyntheticSpec& spec, DType dtype, const QString& path);
    // Raises the running job's cancel flag. The job stops within a fraction of a second and reports
    // cancelled(); a result that arrives after cancel() is dropped and reported as cancelled() too.
    void cancel();

    bool isBusy() const { return m_job != 0; }
    bool isCancelling() const;
    // The file of the running job; empty when idle.
    QString currentPath() const;

signals:
    void busyChanged(bool busy);
    // Every open() or load(), after busyChanged(true) when the runner was idle.
    void started(const QString& path);
    // stage: "open", "read", "tokens", "checksum", "statistics"; fraction in [0, 1].
    void progress(const QString& stage, double fraction);
    void tensorChoiceNeeded(std::shared_ptr<const vq::TensorListing> listing);
    void loaded(std::shared_ptr<const vq::EmbeddingTable> table, std::shared_ptr<const vq::TableStats> stats);
    // message is vq::Error::what(): "<file>: <problem>".
    void failed(const QString& path, const QString& message);
    void cancelled(const QString& path);

private:
    struct LoadJob;
    // What a job does besides loading: ask for the tensor whatever the candidates, or write a synthetic
    // table to the path first.
    struct Extra {
        bool alwaysAsk = false;
        std::optional<std::pair<SyntheticSpec, DType>> synthetic;
    };
    void start(
        const QString& path, bool listFirst, const QString& tensor, const QString& selectionReason, const Extra& extra);
    void run(LoadJob& job, bool listFirst, const std::string& tensor, const std::string& selectionReason,
        const Extra& extra);
    std::shared_ptr<LoadJob> current() const;

    JobTracker m_jobs;
    quint64 m_job = 0; // the current job's id
};

} // namespace vq

Q_DECLARE_METATYPE(std::shared_ptr<const vq::TensorListing>)
Q_DECLARE_METATYPE(std::shared_ptr<const vq::EmbeddingTable>)
Q_DECLARE_METATYPE(std::shared_ptr<const vq::TableStats>)
