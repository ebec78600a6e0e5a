#include "codebookcommand.h"

#include "common/error.h"
#include "explore/codebookaccess.h"
#include "explore/codewordmap.h"
#include "explore/explorerjson.h"
#include "explore/tokenpath.h"
#include "explore/tokensearch.h"
#include "export/artifact.h"
#include "metrics/reconstructionmetrics.h"
#include "progressreporter.h"
#include "quant/registry.h"
#include "run/runexecutor.h"
#include "runsupport.h"
#include "terminal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vqcli {

namespace {

using Json = nlohmann::json;

std::string fixed(double v, int digits)
{
    if (std::isnan(v))
        return "-";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    return buf;
}

std::string tokenText(const std::vector<std::string>& tokens, int64_t row)
{
    if (row >= 0 && static_cast<size_t>(row) < tokens.size())
        return tokens[static_cast<size_t>(row)];
    std::string text = "#";
    text += std::to_string(row);
    return text;
}

// The human-readable form of the JSON: the codebook's codes, most used first.
std::string textReport(const Json& j, const std::vector<std::string>& tokens)
{
    const Json& m = j["map"];
    std::string out = "codebook of '" + j["arrayName"].get<std::string>() + "', stage "
        + std::to_string(m["stage"].get<int>() + 1) + " (--stage " + std::to_string(m["stage"].get<int>()) + "), group "
        + (m["group"].get<int>() < 0 ? std::string("pooled") : std::to_string(m["group"].get<int>())) + ": "
        + std::to_string(m["codewords"].get<int64_t>()) + " codewords of width "
        + std::to_string(m["width"].get<int64_t>()) + ", " + std::to_string(m["uses"].get<int64_t>()) + " uses, "
        + std::to_string(m["deadCodes"].get<int64_t>()) + " dead\n";
    const Json& explained = m["projection"]["explained"];
    out += "projection: 2 principal axes explain " + fixed(100 * explained[0].get<double>(), 3) + "% and "
        + fixed(100 * explained[1].get<double>(), 3) + "% of the codewords' variance\n\n";
    std::vector<const Json*> codes;
    for (const Json& c : m["codes"])
        codes.push_back(&c);
    std::stable_sort(codes.begin(), codes.end(),
        [](const Json* a, const Json* b) { return (*a)["usage"].get<int64_t>() > (*b)["usage"].get<int64_t>(); });
    out += "  code      usage       norm  mean error          x          y  top tokens\n";
    for (const Json* c : codes) {
        char line[160];
        const auto num = [](const Json& v) { return v.is_number() ? v.get<double>() : NAN; };
        std::snprintf(line, sizeof line, "%6lld %10lld %10s %11s %10s %10s  ", (*c)["code"].get<long long>(),
            (*c)["usage"].get<long long>(), fixed(num((*c)["norm"]), 4).c_str(),
            fixed(num((*c)["meanError"]), 4).c_str(), fixed(num((*c)["x"]), 4).c_str(),
            fixed(num((*c)["y"]), 4).c_str());
        out += line;
        std::string top;
        for (const Json& t : (*c)["topTokens"])
            top += (top.empty() ? "" : ", ") + tokenText(tokens, t["row"].get<int64_t>());
        out += top + "\n";
    }
    if (j.contains("path")) {
        const Json& p = j["path"];
        out += "\ntoken " + tokenText(tokens, p["row"].get<int64_t>()) + " (row "
            + std::to_string(p["row"].get<int64_t>()) + "), norm " + fixed(p["norm"].get<double>(), 5) + "\n";
        for (const Json& s : p["steps"])
            out += "  after " + s["label"].get<std::string>() + ": residual "
                + fixed(s["residualNorm"].get<double>(), 5) + "\n";
        if (j.contains("neighbours")) {
            std::string lost;
            for (const Json& t : j["neighbours"]["lost"])
                lost += (lost.empty() ? "" : ", ") + tokenText(tokens, t["row"].get<int64_t>());
            out += "  neighbours lost by the reconstruction: " + (lost.empty() ? std::string("none") : lost) + "\n";
        }
    }
    return out;
}

} // namespace

CommandSpec codebookCommandSpec()
{
    std::vector<OptionSpec> options = {
        { "table", "FILE", "the table the artifact was made from (checkpoint file or folder); required" },
        { "array", "A", "code array (0-based; default 0: the main codes)" },
        { "stage", "S", "stage or additive codebook (0-based; default 0)" },
        { "group", "G", "group (0-based; -1: all groups of a codebook shared by them; default 0, or -1 when shared)" },
        { "samples", "N", "also project N sampled uses of the codebook (what each code was chosen to approximate)" },
        { "token", "ROW|TEXT",
            "also give one token's path through the stages and its nearest neighbours ('#12' is row 12)" },
        { "neighbours", "K", "neighbours listed with --token (default 10)" },
        { "json", "", "print JSON instead of text" },
        { "out", "FILE", "write the output here (atomically) instead of stdout" },
    };
    for (const OptionSpec& o : tableOptions())
        if (o.name != "rows")
            options.push_back(o);
    for (const OptionSpec& o : runOptions())
        if (o.name == "weights" || o.name == "zipf" || o.name == "seed" || o.name == "threads")
            options.push_back(o);
    return {
        "codebook",
        "explore one codebook of a compressed artifact: codeword map, usage, top tokens, token paths",
        "Reads ARTIFACT (written by 'vqscope-cli quantize --artifact') and the table it was made from (--table;\n"
        "its tensor and row count come from the artifact). For one codebook (--array, --stage, --group) it\n"
        "gives every codeword's position on the codewords' two principal axes (PCA, seeded), its usage, norm,\n"
        "the mean per-token relative error and mean token weight of the rows using it (weights as the artifact\n"
        "records them, or --weights/--zipf), and the five most frequent tokens assigned to it: the numbers the\n"
        "application's Codebooks view shows. --token adds that token's codes, its residual after each decode\n"
        "step and its nearest neighbours in the original and the reconstructed table.",
        { { "ARTIFACT", "a .vq.h5 artifact" } },
        options,
    };
}

int runCodebook(const ParsedArgs& args)
{
    const auto tablePath = args.value("table");
    if (!tablePath)
        throw UsageError("missing --table FILE (the table the artifact was made from)");
    vq::RunControl control;
    applyControlOptions(args, control);
    ProgressReporter progress(control);
    const InterruptGuard interrupt(control);
    const std::string artifactPath = args.positionals.front();
    const vq::ArtifactContents artifact = vq::readArtifact(artifactPath);
    const vq::QuantizedTable& quantized = artifact.table;
    const int arrays = vq::CodebookAccess::arrayCount(quantized);
    if (arrays == 0)
        throw vq::Error(vq::ErrorKind::InvalidArgument, artifactPath,
            "method '" + quantized.spec.method + "' stores no codebooks: nothing to explore");
    const int array = static_cast<int>(intOption(args, "array", 0, 0, arrays - 1));
    const vq::CodebookAccess access(quantized, array);
    const int stage = static_cast<int>(intOption(args, "stage", 0, 0, access.stages() - 1));
    const int group = static_cast<int>(
        intOption(args, "group", access.layout().sharedAcrossGroups ? -1 : 0, -1, access.groups() - 1));
    access.checkSelection(stage, group, true);
    const int64_t samples = intOption(args, "samples", 0, 0, 1000000);
    const int k = static_cast<int>(intOption(args, "neighbours", 10, 1, 1000));

    ParsedArgs tableArgs = args;
    tableArgs.positionals = { *tablePath };
    const Json& prov = artifact.provenance;
    if (!tableArgs.value("tensor") && prov.value("tensor", std::string()) != "")
        tableArgs.values["tensor"] = prov.value("tensor", std::string());
    tableArgs.values["rows"] = std::to_string(quantized.rows);
    const vq::EmbeddingTable table = loadTable(tableArgs, control);
    if (table.rows() != quantized.rows || table.dim() != quantized.dim)
        throw vq::Error(vq::ErrorKind::InvalidArgument, *tablePath,
            "the table is " + std::to_string(table.rows()) + " x " + std::to_string(table.dim()) + ", the artifact "
                + std::to_string(quantized.rows) + " x " + std::to_string(quantized.dim));
    if (table.source.checksum != prov.value("sourceChecksum", std::string()))
        std::fprintf(stderr, "warning: the table differs from the one the artifact was made from (checksum %s)\n",
            table.source.checksum.c_str());

    vq::RunOptions options = runOptionsFrom(args);
    if (!args.value("weights") && !args.value("zipf"))
        vq::applyTokenWeightsDescription(prov.value("tokenWeights", std::string("uniform")), options);
    const vq::ResolvedWeights weights = vq::resolveTokenWeights(options, table.rows());
    // The per-token relative error the run's metrics give, from the same decode.
    const vq::ReconstructionMetrics errors
        = vq::computeReconstructionMetrics(table.values, quantized.decodeAll(), {}, control);

    vq::CodewordMapOptions mapOptions;
    mapOptions.sampleUses = samples;
    mapOptions.seed = control.seed;
    mapOptions.threads = control.threads;
    mapOptions.rowError = errors.tokenRelError;
    mapOptions.rowWeight = weights.weights;
    const vq::CodewordMap map
        = vq::computeCodewordMap(quantized, &table.values, array, stage, group, mapOptions, control);

    Json out = {
        { "artifact", artifactPath },
        { "table", *tablePath },
        { "method", quantized.spec.method },
        { "arrayName", access.source().array },
        { "arrays", arrays },
        { "stages", access.stages() },
        { "groups", access.groups() },
        { "bits", access.layout().bits },
        { "sharedAcrossGroups", access.layout().sharedAcrossGroups },
        { "tokenWeights", weights.description },
        { "seed", control.seed },
        { "map", vq::toJson(map, table.tokens) },
    };
    if (const auto token = args.value("token")) {
        const int64_t row = vq::findTokenRow(table.tokens, table.rows(), *token);
        if (row < 0)
            throw vq::Error(vq::ErrorKind::InvalidArgument, *tablePath, "no token matches '" + *token + "'");
        out["path"] = vq::toJson(vq::computeTokenPath(quantized, table.values, row), table.tokens);
        out["neighbours"]
            = vq::toJson(vq::computeTokenNeighbours(quantized, table.values, row, k, control), table.tokens);
    }
    progress.clearLine();
    writeOutput(args.value("out").value_or(""), args.flag("json") ? out.dump(2) + "\n" : textReport(out, table.tokens));
    return ExitOk;
}

} // namespace vqcli
