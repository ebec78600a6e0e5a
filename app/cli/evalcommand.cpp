#include "evalcommand.h"

#include "common/error.h"
#include "export/artifact.h"
#include "progressreporter.h"
#include "run/runexecutor.h"
#include "runsupport.h"
#include "terminal.h"

#include <cmath>
#include <cstdio>

namespace vqcli {

namespace {

double relMseOf(const nlohmann::json& metrics)
{
    const nlohmann::json* v = &metrics;
    for (const char* key : { "reconstruction", "relMse" }) {
        if (!v->is_object() || !v->contains(key))
            return NAN;
        v = &(*v)[key];
    }
    return v->is_number() ? v->get<double>() : NAN;
}

// Metrics of the artifact's decoded table against FILE.
int evalArtifact(const ParsedArgs& args, const std::string& path)
{
    vq::RunControl control;
    applyControlOptions(args, control);
    ProgressReporter progress(control);
    const InterruptGuard interrupt(control);
    const vq::ArtifactContents artifact = vq::readArtifact(path);
    const vq::QuantizedTable& quantized = artifact.table;

    ParsedArgs tableArgs = args;
    const nlohmann::json& prov = artifact.provenance;
    if (!tableArgs.value("tensor") && prov.value("tensor", std::string()) != "")
        tableArgs.values["tensor"] = prov.value("tensor", std::string());
    if (!tableArgs.value("rows"))
        tableArgs.values["rows"] = std::to_string(quantized.rows);
    vq::RunOptions options = runOptionsFrom(args);
    if (!args.value("weights") && !args.value("zipf"))
        vq::applyTokenWeightsDescription(prov.value("tokenWeights", std::string("uniform")), options);
    const vq::EmbeddingTable table = loadTable(tableArgs, control);
    const std::string recordedChecksum = prov.value("sourceChecksum", std::string());
    const bool sameTable = table.source.checksum == recordedChecksum;

    const vq::ResolvedWeights weights = vq::resolveTokenWeights(options, table.rows());
    std::vector<std::string> warnings;
    const vq::RunMetrics metrics = vq::measureQuantized(table, quantized, weights.weights, options, warnings, control);
    progress.clearLine();
    if (!sameTable)
        std::fprintf(stderr,
            "warning: the table differs from the one the artifact was made from (checksum %s, "
            "recorded %s)\n",
            table.source.checksum.c_str(), recordedChecksum.c_str());
    for (const std::string& w : warnings)
        std::fprintf(stderr, "warning: %s\n", w.c_str());

    const double recorded = relMseOf(artifact.metrics);
    const nlohmann::json report = {
        { "artifact", path },
        { "spec", quantized.spec.toJson() },
        { "bits", quantized.bits().toJson() },
        { "sameTable", sameTable },
        { "checksum", table.source.checksum },
        { "recordedRelMse", vq::jsonNumber(recorded) },
        { "metricsMatch", recorded == metrics.reconstruction.relMse },
        { "metrics", metrics.toJson() },
        { "warnings", warnings },
    };
    writeOutput(args.value("out").value_or(""), report.dump(2) + "\n");
    return ExitOk;
}

} // namespace

CommandSpec evalCommandSpec()
{
    std::vector<OptionSpec> options = {
        { "artifact", "X.vq.h5", "a compressed artifact written by 'vqscope-cli quantize --artifact'" },
        { "result", "RUN.json", "a run record (no codes: the run is refitted from its spec and seed)" },
        { "out", "FILE", "write the report JSON here (atomically) instead of stdout" },
    };
    for (const auto& list : { tableOptions(), runOptions() })
        options.insert(options.end(), list.begin(), list.end());
    return {
        "eval",
        "measure a compressed artifact (or reproduce a recorded run) against a table",
        "With --artifact: decodes the artifact and computes its metrics against the embedding table of\n"
        "FILE (the first rows the artifact has, the tensor it was made from), and says whether FILE is the\n"
        "table the artifact was made from (checksum).\n"
        "With --result: reads the run record RUN.json and the embedding table of FILE, checks that the table is the "
        "one\n"
        "the run was made on (checksum and shape; --rows defaults to the recorded row count), refits the\n"
        "method with the recorded spec, seed, threads and token weights (a result JSON holds no codes),\n"
        "recomputes the metrics and reports whether they match. Exit code 1 when they do not.",
        { { "FILE", "checkpoint file or model folder" } },
        options,
    };
}

int runEval(const ParsedArgs& args)
{
    const auto resultPath = args.value("result");
    const auto artifactPath = args.value("artifact");
    if (resultPath && artifactPath)
        throw UsageError("give either --artifact or --result, not both");
    if (artifactPath)
        return evalArtifact(args, *artifactPath);
    if (!resultPath)
        throw UsageError("missing --artifact X.vq.h5 or --result RUN.json");
    const vq::RunRecord recorded = vq::RunRecord::fromJson(readJsonFile(*resultPath));

    ParsedArgs tableArgs = args;
    if (!tableArgs.value("tensor") && !recorded.provenance.tensor.empty())
        tableArgs.values["tensor"] = recorded.provenance.tensor;
    if (!tableArgs.value("rows"))
        tableArgs.values["rows"] = std::to_string(recorded.provenance.rows);
    vq::RunOptions options = runOptionsFrom(args);
    if (!args.value("weights") && !args.value("zipf"))
        vq::applyTokenWeightsDescription(recorded.provenance.tokenWeights, options);

    vq::RunControl control;
    control.seed = recorded.provenance.seed;
    control.threads = recorded.provenance.threads;
    applyControlOptions(tableArgs, control);
    if (!args.value("seed"))
        control.seed = recorded.provenance.seed;
    if (!args.value("threads"))
        control.threads = recorded.provenance.threads;
    ProgressReporter progress(control);
    const InterruptGuard interrupt(control);

    const vq::EmbeddingTable table = loadTable(tableArgs, control);
    const bool sameTable = table.source.checksum == recorded.provenance.checksum
        && table.rows() == recorded.provenance.rows && table.dim() == recorded.provenance.dim;
    const vq::RunRecord again = vq::executeRun(table, recorded.spec, options, control);
    progress.clearLine();

    const double before = relMseOf(recorded.metrics);
    const double now = relMseOf(again.metrics);
    const bool bitsMatch = again.bits.totalBits() == recorded.bits.totalBits();
    // Same seed and threads give bit-identical arrays; JSON printing keeps doubles exact.
    const bool metricsMatch = before == now;
    std::fprintf(stderr,
        "note: %s holds no codes; the run was refitted from its spec and seed (artifacts are not read)\n",
        resultPath->c_str());
    if (!sameTable)
        std::fprintf(stderr, "warning: the table differs from the recorded one (checksum %s, recorded %s)\n",
            table.source.checksum.c_str(), recorded.provenance.checksum.c_str());
    std::fprintf(stderr, "relMSE recorded %.9g, now %.9g: %s\n", before, now, metricsMatch ? "same" : "DIFFERENT");

    const nlohmann::json report = {
        { "result", *resultPath },
        { "sameTable", sameTable },
        { "refitted", true },
        { "bitsMatch", bitsMatch },
        { "metricsMatch", metricsMatch },
        { "recordedRelMse", vq::jsonNumber(before) },
        { "relMse", vq::jsonNumber(now) },
        { "run", again.toJson() },
    };
    writeOutput(args.value("out").value_or(""), report.dump(2) + "\n");
    return sameTable && bitsMatch && metricsMatch ? ExitOk : ExitFailure;
}

} // namespace vqcli
