#include "metrics/runmetrics.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace vq {

namespace {

template <typename T> nlohmann::json numbers(const std::vector<T>& v)
{
    nlohmann::json out = nlohmann::json::array();
    for (const T& x : v)
        out.push_back(jsonNumber(static_cast<double>(x)));
    return out;
}

nlohmann::json toJson(const CodeUsage& u, bool counts)
{
    nlohmann::json j = {
        { "stage", u.stage },
        { "total", u.total },
        { "entropyBits", u.entropyBits },
        { "perplexity", u.perplexity },
        { "entropyRatio", u.entropyRatio },
        { "deadCount", u.deadCodes.size() },
        { "deadCodes", u.deadCodes },
    };
    if (u.group >= 0)
        j["group"] = u.group;
    if (counts)
        j["counts"] = u.counts;
    return j;
}

template <typename F> auto timed(nlohmann::json& seconds, const char* name, F&& f)
{
    const auto t0 = std::chrono::steady_clock::now();
    auto result = f();
    seconds[name] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

} // namespace

nlohmann::json jsonNumber(double v)
{
    if (std::isnan(v))
        return "nan";
    if (std::isinf(v))
        return v > 0 ? "inf" : "-inf";
    return v;
}

nlohmann::json toJson(const TokenPercentiles& p)
{
    return {
        { "p50", jsonNumber(p.p50) },
        { "p90", jsonNumber(p.p90) },
        { "p99", jsonNumber(p.p99) },
        { "p99.9", jsonNumber(p.p999) },
        { "max", jsonNumber(p.max) },
    };
}

nlohmann::json toJson(const ReconstructionMetrics& m, bool perToken)
{
    nlohmann::json j = {
        { "rows", m.rows },
        { "dim", m.dim },
        { "relMse", jsonNumber(m.relMse) },
        { "snrDb", jsonNumber(m.snrDb) },
        { "weighted", m.weighted },
        { "weightedRelMse", jsonNumber(m.weightedRelMse) },
        { "weightedSnrDb", jsonNumber(m.weightedSnrDb) },
        { "mse", jsonNumber(m.mse) },
        { "sumSquaredError", jsonNumber(m.sumSquaredError) },
        { "sumSquaredRef", jsonNumber(m.sumSquaredRef) },
        { "maxAbsError",
            { { "value", jsonNumber(m.maxAbsError) }, { "row", m.maxAbsErrorRow }, { "col", m.maxAbsErrorCol } } },
        { "zeroRows", m.zeroRows },
        { "zeroRowsMissed", m.zeroRowsMissed },
        { "tokenMse", toJson(m.tokenMsePercentiles) },
        { "tokenRelError", toJson(m.tokenRelErrorPercentiles) },
        { "tokenCosineDistance", toJson(m.tokenCosineDistancePercentiles) },
    };
    if (perToken) {
        j["perToken"] = {
            { "mse", numbers(m.tokenMse) },
            { "relError", numbers(m.tokenRelError) },
            { "cosine", numbers(m.tokenCosine) },
        };
    }
    return j;
}

nlohmann::json toJson(const NeighbourRecall& r, bool perQuery)
{
    nlohmann::json j = {
        { "k", r.k },
        { "queries", r.queryRows.size() },
        { "mean", r.mean },
        { "min", r.min },
    };
    if (perQuery) {
        j["queryRows"] = r.queryRows;
        j["perQuery"] = r.perQuery;
        j["refNeighbours"] = r.refNeighbours;
        j["reconNeighbours"] = r.reconNeighbours;
    }
    return j;
}

nlohmann::json toJson(const LogitFidelity& f, bool perQuery)
{
    nlohmann::json j = {
        { "queries", f.queries },
        { "queryKind", f.sampledRows ? "sampled rows" : "hidden states" },
        { "scaling", toString(f.scaling) },
        { "logitScale", jsonNumber(f.logitScale) },
        { "topK", f.topK },
        { "meanKlNats", jsonNumber(f.meanKl) },
        { "maxKlNats", jsonNumber(f.maxKl) },
        { "top1Agreement", f.top1Agreement },
        { "topKOverlap", f.topKOverlap },
        { "meanRefEntropyNats", jsonNumber(f.meanRefEntropy) },
    };
    if (perQuery) {
        j["queryRows"] = f.queryRows;
        j["perQueryKl"] = numbers(f.perQueryKl);
        j["refTop1"] = f.refTop1;
        j["reconTop1"] = f.reconTop1;
        j["perQueryTopKOverlap"] = f.perQueryTopKOverlap;
    }
    return j;
}

nlohmann::json toJson(const CodebookUsage& u, bool counts)
{
    nlohmann::json pooled = nlohmann::json::array();
    for (const CodeUsage& c : u.pooled)
        pooled.push_back(toJson(c, counts));
    nlohmann::json groups = nlohmann::json::array();
    for (const CodeUsage& c : u.perGroup)
        groups.push_back(toJson(c, counts));
    return {
        { "rows", u.layout.rows },
        { "groups", u.layout.groups },
        { "stages", u.layout.stages },
        { "bits", u.layout.bits },
        { "sharedAcrossGroups", u.layout.sharedAcrossGroups },
        { "pooled", pooled },
        { "perGroup", groups },
    };
}

nlohmann::json RunMetrics::toJson(const MetricsJsonOptions& options) const
{
    nlohmann::json j;
    j["reconstruction"] = vq::toJson(reconstruction, options.perToken);
    if (neighbourRecall)
        j["neighbourRecall"] = vq::toJson(*neighbourRecall, options.perQuery);
    if (logitFidelity)
        j["logitFidelity"] = vq::toJson(*logitFidelity, options.perQuery);
    if (!codebookUsage.empty()) {
        j["codebookUsage"] = nlohmann::json::array();
        for (const CodebookUsage& u : codebookUsage)
            j["codebookUsage"].push_back(vq::toJson(u, options.codeCounts));
    }
    j["seconds"] = seconds;
    return j;
}

RunMetrics computeRunMetrics(const Matrix& ref, const Matrix& recon, std::span<const float> weights,
    const MetricsOptions& options, RunControl& control)
{
    RunMetrics m;
    m.reconstruction = timed(
        m.seconds, "reconstruction", [&] { return computeReconstructionMetrics(ref, recon, weights, control); });
    // A table too small for the default k gets the largest k it has, rather than no metrics at all.
    if (options.neighbourRecall && ref.rows >= 2) {
        NeighbourRecallOptions recall = options.recall;
        recall.k = static_cast<int>(std::min<int64_t>(recall.k, ref.rows - 1));
        m.neighbourRecall = timed(m.seconds, "neighbourRecall", [&] {
            return options.recallReference ? computeNeighbourRecall(*options.recallReference, recon, recall, control)
                                           : computeNeighbourRecall(ref, recon, recall, control);
        });
    }
    if (options.logitFidelity) {
        LogitFidelityOptions logits = options.logits;
        logits.topK = static_cast<int>(std::min<int64_t>(logits.topK, ref.rows));
        m.logitFidelity
            = timed(m.seconds, "logitFidelity", [&] { return computeLogitFidelity(ref, recon, logits, control); });
    }
    return m;
}

} // namespace vq
