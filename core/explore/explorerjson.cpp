#include "explore/explorerjson.h"

#include "metrics/runmetrics.h"

namespace vq {

namespace {

using Json = nlohmann::json;

Json tokenRef(int64_t row, const std::vector<std::string>& tokens)
{
    Json j = { { "row", row } };
    if (row >= 0 && static_cast<size_t>(row) < tokens.size())
        j["token"] = tokens[static_cast<size_t>(row)];
    return j;
}

Json rowList(const std::vector<int64_t>& rows, const std::vector<std::string>& tokens)
{
    Json list = Json::array();
    for (const int64_t r : rows)
        if (r >= 0)
            list.push_back(tokenRef(r, tokens));
    return list;
}

} // namespace

Json toJson(const CodewordMap& map, const std::vector<std::string>& tokens)
{
    const CodewordStats& s = map.stats;
    const PcaProjection& p = map.pca;
    Json axes = Json::array();
    for (int a = 0; a < 2; ++a)
        axes.push_back(std::vector<double>(p.axes.begin() + a * p.width, p.axes.begin() + (a + 1) * p.width));
    const auto explained = [&](int a) { return p.totalVariance > 0 ? p.variance[a] / p.totalVariance : 0.0; };
    Json codewords = Json::array();
    for (int64_t c = 0; c < s.codewords; ++c) {
        const auto i = static_cast<size_t>(c);
        std::vector<int64_t> top(s.topRows.begin() + c * s.topCount, s.topRows.begin() + (c + 1) * s.topCount);
        codewords.push_back({ { "code", c }, { "x", map.xy[i * 2] }, { "y", map.xy[i * 2 + 1] },
            { "usage", s.usage[i] }, { "norm", s.norm[i] }, { "meanError", jsonNumber(s.meanError[i]) },
            { "meanWeight", jsonNumber(s.meanWeight[i]) }, { "topTokens", rowList(top, tokens) } });
    }
    Json out = {
        { "array", s.array },
        { "stage", s.stage },
        { "group", s.group },
        { "codewords", s.codewords },
        { "width", s.width },
        { "uses", s.uses },
        { "deadCodes", s.deadCodes },
        { "projection",
            { { "mean", p.mean }, { "axes", axes }, { "variance", { p.variance[0], p.variance[1] } },
                { "totalVariance", p.totalVariance }, { "explained", { explained(0), explained(1) } },
                { "iterations", p.iterations }, { "converged", p.converged } } },
        { "codes", codewords },
    };
    if (!map.sampleRows.empty()) {
        Json samples = Json::array();
        for (size_t i = 0; i < map.sampleRows.size(); ++i)
            samples.push_back({ { "row", map.sampleRows[i] }, { "group", map.sampleGroups[i] },
                { "code", map.sampleCodes[i] }, { "x", map.sampleXy[i * 2] }, { "y", map.sampleXy[i * 2 + 1] } });
        out["samples"] = samples;
    }
    return out;
}

Json toJson(const TokenPath& path, const std::vector<std::string>& tokens)
{
    Json codes = Json::array();
    for (const TokenPath::Code& c : path.codes)
        codes.push_back({ { "array", c.array }, { "stage", c.stage }, { "group", c.group }, { "code", c.code } });
    Json steps = Json::array();
    for (const TokenPath::Step& s : path.steps) {
        Json step = { { "label", s.label }, { "residualNorm", s.residualNorm } };
        if (s.array >= 0) {
            step["array"] = s.array;
            step["stage"] = s.stage;
        }
        steps.push_back(step);
    }
    Json out = tokenRef(path.row, tokens);
    out["norm"] = path.norm;
    out["codes"] = codes;
    out["steps"] = steps;
    if (path.hasScale)
        out["scale"] = path.scale;
    return out;
}

Json toJson(const TokenNeighbours& n, const std::vector<std::string>& tokens)
{
    const auto list = [&](const std::vector<int64_t>& rows, const std::vector<float>& cosines) {
        Json l = Json::array();
        for (size_t i = 0; i < rows.size(); ++i)
            if (rows[i] >= 0) {
                Json t = tokenRef(rows[i], tokens);
                t["cosine"] = cosines[i];
                l.push_back(t);
            }
        return l;
    };
    return { { "k", n.k }, { "original", list(n.original, n.originalCosine) },
        { "reconstructed", list(n.reconstructed, n.reconstructedCosine) }, { "lost", rowList(n.lost, tokens) },
        { "gained", rowList(n.gained, tokens) } };
}

Json toJson(const CodebookAlignment& a)
{
    Json histogram = { { "lo", a.histogram.lo }, { "hi", a.histogram.hi }, { "counts", a.histogram.counts } };
    return { { "countA", a.countA }, { "countB", a.countB }, { "width", a.width }, { "nearestInB", a.nearestInB },
        { "distanceToB", a.distanceToB }, { "nearestInA", a.nearestInA }, { "distanceToA", a.distanceToA },
        { "matched", a.matchedA.size() }, { "matchedA", a.matchedA }, { "matchedB", a.matchedB },
        { "rmsNormA", a.rmsNormA }, { "rmsNormB", a.rmsNormB }, { "medianDistanceToB", a.medianDistanceToB },
        { "meanDistanceToB", a.meanDistanceToB }, { "relativeDistanceHistogram", histogram } };
}

} // namespace vq
