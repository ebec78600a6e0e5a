#pragma once

#include "explore/codebookalignment.h"
#include "explore/codewordmap.h"
#include "explore/codewordstats.h"
#include "explore/tokenpath.h"
#include "io/embeddingtable.h"
#include "run/runrecord.h"

#include <QObject>
#include <QString>
#include <QThreadPool>
#include <array>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace vq {

// A codeword map as the views show it: the map of one codebook of a run, with what its colours mean.
struct CodewordMapResult {
    std::shared_ptr<const RunRecord> run;
    int array = 0;
    int stage = 0;
    int group = 0; // -1: every group of a shared codebook
    CodewordMap map;
    bool hasErrors = false; // meanError holds the run's per-token relative errors
    std::string weightsLabel; // what meanWeight averages ("zipf s=1.1"; a Zipf prior when the run had none)
};

struct CodeMembersResult {
    std::shared_ptr<const RunRecord> run;
    CodeMembers members;
};

struct TokenPathResult {
    std::shared_ptr<const RunRecord> run;
    std::shared_ptr<const EmbeddingTable> table;
    QString search; // what was searched ("" for a row request)
    TokenPath path;
};

struct TokenNeighboursResult {
    std::shared_ptr<const RunRecord> run;
    std::shared_ptr<const EmbeddingTable> table;
    TokenNeighbours neighbours;
};

struct CodebookAlignmentResult {
    std::shared_ptr<const RunRecord> runA;
    std::shared_ptr<const RunRecord> runB;
    int array = 0;
    int stage = 0;
    int group = 0;
    CodebookAlignment alignment;
};

// Computes the codebook explorer's numbers (core/explore) on its own worker threads and caches them per
// run, so going back to a codebook or a token already seen costs the GUI thread one queued signal.
// Each kind of request (map, members, path, alignment) has its own latest job: a newer request of a kind
// cancels the older one and a result for an older job id is dropped (not emitted). Results are immutable
// and shared. The table given with a request is used only when it is the one the run was made from
// (same rows and checksum): codeword samples, token paths and neighbours need it.
// GUI thread only. Destroying the runner cancels its jobs and waits for them (within about a second).
class CodebookRunner : public QObject {
    Q_OBJECT
public:
    // Sampled uses projected with each map, and the seed of the sample and of the projection.
    static constexpr int64_t kSampleUses = 2000;
    static constexpr uint64_t kSeed = 0x5eed;
    static constexpr int kNeighbours = 10;

    explicit CodebookRunner(QObject* parent = nullptr);
    ~CodebookRunner() override;

    // Each returns the job id its result (or failure) will carry.
    quint64 requestMap(std::shared_ptr<const RunRecord> run, std::shared_ptr<const EmbeddingTable> table, int array,
        int stage, int group);
    quint64 requestMembers(std::shared_ptr<const RunRecord> run, int array, int stage, int group, int code);
    // A token by table row, or by search text (see findTokenRow); the path comes first, then the neighbours.
    quint64 requestPath(std::shared_ptr<const RunRecord> run, std::shared_ptr<const EmbeddingTable> table, qint64 row);
    quint64 requestPath(
        std::shared_ptr<const RunRecord> run, std::shared_ptr<const EmbeddingTable> table, const QString& search);
    quint64 requestAlignment(
        std::shared_ptr<const RunRecord> runA, std::shared_ptr<const RunRecord> runB, int array, int stage, int group);

    // True while a job of any kind runs.
    bool isBusy() const;
    // The table when it is the one run was made from, else null.
    static std::shared_ptr<const EmbeddingTable> matchingTable(
        const RunRecord& run, const std::shared_ptr<const EmbeddingTable>& table);

signals:
    void mapReady(quint64 job, std::shared_ptr<const vq::CodewordMapResult> result);
    void membersReady(quint64 job, std::shared_ptr<const vq::CodeMembersResult> result);
    void pathReady(quint64 job, std::shared_ptr<const vq::TokenPathResult> result);
    void neighboursReady(quint64 job, std::shared_ptr<const vq::TokenNeighboursResult> result);
    void alignmentReady(quint64 job, std::shared_ptr<const vq::CodebookAlignmentResult> result);
    // A job failed (message names the problem) or found nothing (a search without a match).
    void failed(quint64 job, const QString& message);
    void busyChanged(bool busy);

private:
    enum Kind { Map, Members, Path, Alignment, KindCount };
    struct Job;
    struct CacheEntry {
        std::string key;
        std::vector<std::weak_ptr<const void>> owners; // the runs (and table) the result belongs to
        std::shared_ptr<const void> result;
        std::shared_ptr<const void> extra; // a path's neighbours
    };

    std::shared_ptr<Job> startJob(Kind kind);
    // Runs work on the pool; work returns the result to cache and deliver (or throws). Delivered on the GUI
    // thread through deliver, unless the job is no longer the latest of its kind.
    template <typename Work, typename Deliver>
    void launch(const std::shared_ptr<Job>& job, std::string key, std::vector<std::weak_ptr<const void>> owners,
        Work work, Deliver deliver);
    void finish(const std::shared_ptr<Job>& job);
    CacheEntry* cached(Kind kind, const std::string& key);
    void store(Kind kind, CacheEntry entry);

    QThreadPool m_pool;
    quint64 m_lastId = 0;
    std::array<std::shared_ptr<Job>, KindCount> m_latest;
    std::array<std::list<CacheEntry>, KindCount> m_cache;
};

} // namespace vq

Q_DECLARE_METATYPE(std::shared_ptr<const vq::CodewordMapResult>)
Q_DECLARE_METATYPE(std::shared_ptr<const vq::CodeMembersResult>)
Q_DECLARE_METATYPE(std::shared_ptr<const vq::TokenPathResult>)
Q_DECLARE_METATYPE(std::shared_ptr<const vq::TokenNeighboursResult>)
Q_DECLARE_METATYPE(std::shared_ptr<const vq::CodebookAlignmentResult>)
