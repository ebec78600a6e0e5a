#include "evalcommand.h"

#include "common/error.h"
#include "progressreporter.h"
#include "run/runexecutor.h"
#include "runsupport.h"
#include "terminal.h"

#include <cmath>
#include <cstdio>

namespace vqcli {

namespace {

// Token weights as provenance describes them ("uniform", "zipf s=1.1", "counts <file>").
void weightsFromProvenance(const std::string& text, vq::RunOptions& options)
{
    if (text.rfind("zipf s=", 0) == 0)
        options.zipf = std::stod(text.substr(7));
    else if (text.rfind("counts ", 0) == 0)
        options.weightsFile = text.substr(7);
}

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

} // namespace

CommandSpec evalCommandSpec()
{
    std::vector<OptionSpec> options = {
        { "result", "RUN.json", "a run record written by 'vqscope-cli quantize'" },
        { "out", "FILE", "write the report JSON here (atomically) instead of stdout" },
    };
    for (const auto& list : { tableOptions(), runOptions() })
        options.insert(options.end(), list.begin(), list.end());
    return {
        "eval",
        "check a recorded run against a table and reproduce its metrics",
        "Reads the run record RUN.json and the embedding table of FILE, checks that the table is the one\n"
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
    if (!resultPath)
        throw UsageError("missing --result RUN.json");
    const vq::RunRecord recorded = vq::RunRecord::fromJson(readJsonFile(*resultPath));

    ParsedArgs tableArgs = args;
    if (!tableArgs.value("tensor") && !recorded.provenance.tensor.empty())
        tableArgs.values["tensor"] = recorded.provenance.tensor;
    if (!tableArgs.value("rows"))
        tableArgs.values["rows"] = std::to_string(recorded.provenance.rows);
    vq::RunOptions options = runOptionsFrom(args);
    if (!args.value("weights") && !args.value("zipf"))
        weightsFromProvenance(recorded.provenance.tokenWeights, options);

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
    progress.setPrefix(recorded.spec.method);
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
