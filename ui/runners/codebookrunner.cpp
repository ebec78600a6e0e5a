#include "codebookrunner.h"

#include "common/error.h"
#include "explore/codebookaccess.h"
#include "explore/tokensearch.h"
#include "quant/tokenweights.h"
#include "run/runexecutor.h"
#include "runners/workerpriority.h"

#include <QMetaObject>

namespace vq {

namespace {

// Results kept per kind: enough to flip between the codebooks and tokens of a few runs.
constexpr size_t kCacheSize[] = { 32, 8, 16, 8 };

std::string pointerKey(const void* p)
{
    return std::to_string(reinterpret_cast<uintptr_t>(p));
}

// What a cached result belongs to: it is stale once any of them is gone (a null owner is no owner).
std::vector<std::weak_ptr<const void>> ownersOf(std::initializer_list<std::shared_ptr<const void>> owners)
{
    std::vector<std::weak_ptr<const void>> out;
    for (const auto& o : owners)
        if (o)
            out.push_back(o);
    return out;
}

struct Weights {
    std::vector<float> values;
    std::string label;
};

// The run's token weights, or, for a run with uniform weights, a Zipf prior on the row (frequency-ordered
// vocabularies), so "mean token weight" still ranks codes by how common their tokens are.
Weights weightsOf(const RunRecord& run, int64_t rows)
{
    RunOptions options;
    applyTokenWeightsDescription(run.provenance.tokenWeights, options);
    try {
        ResolvedWeights r = resolveTokenWeights(options, rows);
        if (!r.weights.empty())
            return { std::move(r.weights), r.description };
    } catch (const Error&) {
        // A counts file that moved or changed: fall back to the prior below.
    }
    return { zipfTokenWeights(rows, 1.0), "Zipf prior s=1 on the row index (the run has uniform weights)" };
}

std::span<const float> rowErrorsOf(const RunRecord& run)
{
    if (!run.fullMetrics || !run.table
        || run.fullMetrics->reconstruction.tokenRelError.size() != static_cast<size_t>(run.table->rows))
        return {};
    return run.fullMetrics->reconstruction.tokenRelError;
}

const QuantizedTable& arraysOf(const RunRecord& run)
{
    if (!run.table)
        throw Error(ErrorKind::InvalidArgument, "",
            "the run's codes are not in memory (it was read from a results file): open its artifact to explore its "
            "codebooks");
    return *run.table;
}

} // namespace

struct CodebookRunner::Job {
    quint64 id = 0;
    Kind kind = Map;
    RunControl control;
};

CodebookRunner::CodebookRunner(QObject* parent)
    : QObject(parent)
{
    // A map and a path may run side by side; each job is short or cancellable.
    m_pool.setMaxThreadCount(2);
}

CodebookRunner::~CodebookRunner()
{
    for (const auto& job : m_latest)
        if (job)
            job->control.cancel();
    m_pool.waitForDone();
}

bool CodebookRunner::isBusy() const
{
    for (const auto& job : m_latest)
        if (job)
            return true;
    return false;
}

std::shared_ptr<const EmbeddingTable> CodebookRunner::matchingTable(
    const RunRecord& run, const std::shared_ptr<const EmbeddingTable>& table)
{
    if (!table || !run.table || table->rows() != run.table->rows || table->dim() != run.table->dim)
        return nullptr;
    if (!run.provenance.checksum.empty() && !table->source.checksum.empty()
        && run.provenance.checksum != table->source.checksum)
        return nullptr;
    return table;
}

std::shared_ptr<CodebookRunner::Job> CodebookRunner::startJob(Kind kind)
{
    const bool wasBusy = isBusy();
    if (m_latest[kind])
        m_latest[kind]->control.cancel();
    auto job = std::make_shared<Job>();
    job->id = ++m_lastId;
    job->kind = kind;
    m_latest[kind] = job;
    if (!wasBusy)
        emit busyChanged(true);
    return job;
}

void CodebookRunner::finish(const std::shared_ptr<Job>& job)
{
    if (m_latest[job->kind] != job)
        return;
    m_latest[job->kind].reset();
    if (!isBusy())
        emit busyChanged(false);
}

CodebookRunner::CacheEntry* CodebookRunner::cached(Kind kind, const std::string& key)
{
    std::list<CacheEntry>& list = m_cache[kind];
    for (auto it = list.begin(); it != list.end(); ++it) {
        if (it->key != key)
            continue;
        bool alive = true;
        for (const auto& owner : it->owners)
            alive = alive && !owner.expired();
        if (!alive) {
            list.erase(it);
            return nullptr;
        }
        list.splice(list.begin(), list, it); // most recently used first
        return &list.front();
    }
    return nullptr;
}

void CodebookRunner::store(Kind kind, CacheEntry entry)
{
    std::list<CacheEntry>& list = m_cache[kind];
    list.remove_if([&](const CacheEntry& e) { return e.key == entry.key; });
    list.push_front(std::move(entry));
    while (list.size() > kCacheSize[kind])
        list.pop_back();
}

template <typename Work, typename Deliver>
void CodebookRunner::launch(const std::shared_ptr<Job>& job, std::string key,
    std::vector<std::weak_ptr<const void>> owners, Work work, Deliver deliver)
{
    using Result = typename decltype(work(job->control))::element_type;
    if (CacheEntry* hit = cached(job->kind, key)) {
        auto result = std::static_pointer_cast<const Result>(hit->result);
        QMetaObject::invokeMethod(
            this,
            [this, job, result, deliver] {
                if (m_latest[job->kind] != job)
                    return;
                deliver(job->id, result);
                finish(job);
            },
            Qt::QueuedConnection);
        return;
    }
    m_pool.start([this, job, key = std::move(key), owners = std::move(owners), work, deliver] {
        lowerCurrentThreadPriority();
        std::shared_ptr<const Result> result;
        QString error;
        try {
            result = work(job->control);
        } catch (const Cancelled&) {
            // Superseded: nothing to deliver.
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
        }
        QMetaObject::invokeMethod(
            this,
            [this, job, key, owners, result, error, deliver] {
                if (result)
                    store(job->kind, { key, owners, result, nullptr });
                if (m_latest[job->kind] != job)
                    return;
                if (result)
                    deliver(job->id, result);
                else if (!error.isEmpty())
                    emit failed(job->id, error);
                finish(job);
            },
            Qt::QueuedConnection);
    });
}

quint64 CodebookRunner::requestMap(
    std::shared_ptr<const RunRecord> run, std::shared_ptr<const EmbeddingTable> table, int array, int stage, int group)
{
    const auto job = startJob(Map);
    table = run ? matchingTable(*run, table) : nullptr;
    const std::string key = pointerKey(run.get()) + ':' + pointerKey(table.get()) + ':' + std::to_string(array) + ':'
        + std::to_string(stage) + ':' + std::to_string(group);
    launch(
        job, key, ownersOf({ run, table }),
        [run, table, array, stage, group](RunControl& control) {
            if (!run)
                throw Error(ErrorKind::InvalidArgument, "", "no run");
            const QuantizedTable& q = arraysOf(*run);
            const Weights weights = weightsOf(*run, q.rows);
            auto r = std::make_shared<CodewordMapResult>();
            r->run = run;
            r->array = array;
            r->stage = stage;
            r->group = group;
            r->weightsLabel = weights.label;
            CodewordMapOptions o;
            o.sampleUses = table ? kSampleUses : 0;
            o.seed = kSeed;
            o.rowError = rowErrorsOf(*run);
            o.rowWeight = weights.values;
            r->hasErrors = !o.rowError.empty();
            r->map = computeCodewordMap(q, table ? &table->values : nullptr, array, stage, group, o, control);
            return std::shared_ptr<const CodewordMapResult>(std::move(r));
        },
        [this](quint64 id, const std::shared_ptr<const CodewordMapResult>& r) { emit mapReady(id, r); });
    return job->id;
}

quint64 CodebookRunner::requestMembers(std::shared_ptr<const RunRecord> run, int array, int stage, int group, int code)
{
    const auto job = startJob(Members);
    const std::string key = pointerKey(run.get()) + ':' + std::to_string(array) + ':' + std::to_string(stage) + ':'
        + std::to_string(group) + ':' + std::to_string(code);
    launch(
        job, key, ownersOf({ run }),
        [run, array, stage, group, code](RunControl& control) {
            if (!run)
                throw Error(ErrorKind::InvalidArgument, "", "no run");
            const CodebookAccess access(arraysOf(*run), array);
            auto r = std::make_shared<CodeMembersResult>();
            r->run = run;
            r->members = findCodeMembers(access, stage, group, code, control);
            return std::shared_ptr<const CodeMembersResult>(std::move(r));
        },
        [this](quint64 id, const std::shared_ptr<const CodeMembersResult>& r) { emit membersReady(id, r); });
    return job->id;
}

quint64 CodebookRunner::requestPath(
    std::shared_ptr<const RunRecord> run, std::shared_ptr<const EmbeddingTable> table, qint64 row)
{
    return requestPath(std::move(run), std::move(table), QLatin1Char('#') + QString::number(row));
}

quint64 CodebookRunner::requestPath(
    std::shared_ptr<const RunRecord> run, std::shared_ptr<const EmbeddingTable> table, const QString& search)
{
    const auto job = startJob(Path);
    table = run ? matchingTable(*run, table) : nullptr;
    const std::string key = pointerKey(run.get()) + ':' + pointerKey(table.get()) + ':' + search.toStdString();
    const auto deliverPath = [this, job](const std::shared_ptr<const TokenPathResult>& path) {
        if (m_latest[Path] == job)
            emit pathReady(job->id, path);
    };
    const auto deliverNeighbours = [this, job](const std::shared_ptr<const TokenNeighboursResult>& n) {
        if (m_latest[Path] != job)
            return;
        emit neighboursReady(job->id, n);
        finish(job);
    };
    if (CacheEntry* hit = cached(Path, key)) {
        auto path = std::static_pointer_cast<const TokenPathResult>(hit->result);
        auto neighbours = std::static_pointer_cast<const TokenNeighboursResult>(hit->extra);
        QMetaObject::invokeMethod(
            this,
            [deliverPath, deliverNeighbours, path, neighbours] {
                deliverPath(path);
                deliverNeighbours(neighbours);
            },
            Qt::QueuedConnection);
        return job->id;
    }
    m_pool.start([this, job, run, table, search, key, deliverPath, deliverNeighbours] {
        lowerCurrentThreadPriority();
        const auto fail = [this, job](const QString& message) {
            QMetaObject::invokeMethod(
                this,
                [this, job, message] {
                    if (m_latest[Path] != job)
                        return;
                    if (!message.isEmpty())
                        emit failed(job->id, message);
                    finish(job);
                },
                Qt::QueuedConnection);
        };
        try {
            if (!run)
                throw Error(ErrorKind::InvalidArgument, "", "no run");
            const QuantizedTable& q = arraysOf(*run);
            if (!table)
                throw Error(ErrorKind::InvalidArgument, "",
                    "the table this run was made from is not loaded: a token's path needs its original vector");
            const int64_t row = findTokenRow(table->tokens, table->rows(), search.toStdString());
            if (row < 0)
                throw Error(ErrorKind::InvalidArgument, "", "no token matches '" + search.toStdString() + "'");
            auto path = std::make_shared<TokenPathResult>();
            path->run = run;
            path->table = table;
            path->search = search;
            path->path = computeTokenPath(q, table->values, row);
            std::shared_ptr<const TokenPathResult> shared = path;
            QMetaObject::invokeMethod(
                this, [deliverPath, shared] { deliverPath(shared); }, Qt::QueuedConnection);
            auto neighbours = std::make_shared<TokenNeighboursResult>();
            neighbours->run = run;
            neighbours->table = table;
            neighbours->neighbours = computeTokenNeighbours(q, table->values, row, kNeighbours, job->control);
            std::shared_ptr<const TokenNeighboursResult> sharedNeighbours = neighbours;
            QMetaObject::invokeMethod(
                this,
                [this, key, run, table, shared, sharedNeighbours, deliverNeighbours] {
                    store(Path, { key, ownersOf({ run, table }), shared, sharedNeighbours });
                    deliverNeighbours(sharedNeighbours);
                },
                Qt::QueuedConnection);
        } catch (const Cancelled&) {
            fail({});
        } catch (const std::exception& e) {
            fail(QString::fromUtf8(e.what()));
        }
    });
    return job->id;
}

quint64 CodebookRunner::requestAlignment(
    std::shared_ptr<const RunRecord> runA, std::shared_ptr<const RunRecord> runB, int array, int stage, int group)
{
    const auto job = startJob(Alignment);
    const std::string key = pointerKey(runA.get()) + ':' + pointerKey(runB.get()) + ':' + std::to_string(array) + ':'
        + std::to_string(stage) + ':' + std::to_string(group);
    launch(
        job, key, ownersOf({ runA, runB }),
        [runA, runB, array, stage, group](RunControl& control) {
            if (!runA || !runB)
                throw Error(ErrorKind::InvalidArgument, "", "two runs are needed");
            const CodebookAccess a(arraysOf(*runA), array);
            const CodebookAccess b(arraysOf(*runB), array);
            a.checkSelection(stage, group, true);
            const int g = group < 0 ? 0 : group;
            if (stage >= b.stages() || g >= b.groups() || a.width() != b.width())
                throw Error(ErrorKind::InvalidArgument, "",
                    "run B has no codebook of width " + std::to_string(a.width()) + " at stage "
                        + std::to_string(stage + 1) + ", group " + std::to_string(g) + " of its code array '"
                        + b.source().array + "'");
            auto r = std::make_shared<CodebookAlignmentResult>();
            r->runA = runA;
            r->runB = runB;
            r->array = array;
            r->stage = stage;
            r->group = group;
            r->alignment = alignCodebooks(
                a.codeword(stage, g, 0), a.codewords(), b.codeword(stage, g, 0), b.codewords(), a.width(), 40, control);
            return std::shared_ptr<const CodebookAlignmentResult>(std::move(r));
        },
        [this](quint64 id, const std::shared_ptr<const CodebookAlignmentResult>& r) { emit alignmentReady(id, r); });
    return job->id;
}

} // namespace vq
