#include "quantizecommand.h"

#include "common/error.h"
#include "export/artifact.h"
#include "progressreporter.h"
#include "quant/registry.h"
#include "run/runexecutor.h"
#include "runsupport.h"
#include "terminal.h"

#include <cstdio>

namespace vqcli {

namespace {

void printBudget(const vq::RunRecord& r)
{
    std::fprintf(stderr, "%s on %lld x %lld: %.4f bits/param, %llu bytes\n", r.spec.toJson().dump().c_str(),
        static_cast<long long>(r.bits.rows), static_cast<long long>(r.bits.dim), r.bits.bitsPerParam(),
        static_cast<unsigned long long>(r.bits.totalBytes()));
    const double params = static_cast<double>(r.bits.rows) * static_cast<double>(r.bits.dim);
    for (const vq::BitItem& item : r.bits.items)
        std::fprintf(stderr, "  %-40s %-11s %14llu bits  %.4f bits/param\n", item.label.c_str(), item.role.c_str(),
            static_cast<unsigned long long>(item.bits), static_cast<double>(item.bits) / params);
}

void printWarnings(const std::vector<std::string>& warnings)
{
    for (const std::string& w : warnings)
        std::fprintf(stderr, "warning: %s\n", w.c_str());
}

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The compressed artifact of a finished run: arrays, metrics, and the record's provenance in the
// artifact's own keys (see makeProvenance) plus what only the run knows.
void writeRunArtifact(
    const std::string& path, const vq::RunRecord& record, const vq::EmbeddingTable& table, vq::RunControl& control)
{
    vq::ArtifactContents contents;
    contents.table = *record.table;
    // Per-token errors go in too: the artifact stores them as datasets for plots.
    contents.metrics = record.fullMetrics ? record.fullMetrics->toJson({ true, false, false }) : record.metrics;
    contents.provenance = vq::makeProvenance(table.source, control,
        { { "fitSeconds", record.timings.fitSeconds }, { "metricsSeconds", record.timings.metricsSeconds } });
    contents.provenance["runId"] = record.id;
    contents.provenance["runName"] = record.name;
    contents.provenance["rows"] = table.rows();
    contents.provenance["dim"] = table.dim();
    contents.provenance["tokenWeights"] = record.provenance.tokenWeights;
    contents.provenance["host"] = record.provenance.host;
    contents.provenance["warnings"] = record.warnings;
    if (endsWith(path, ".safetensors"))
        vq::writeArtifactSafetensors(path, contents, control);
    else
        vq::writeArtifact(path, contents, control);
}

} // namespace

CommandSpec quantizeCommandSpec()
{
    std::vector<OptionSpec> options = {
        { "method", "NAME", "quantization method (see 'vqscope-cli methods')" },
        { "param", "KEY=VALUE", "a method parameter; repeat for several", true },
        { "config", "SPEC.json", "a spec {\"method\": ..., \"params\": {...}}; --method/--param override it" },
    };
    for (const auto& list : { tableOptions(), runOptions() })
        options.insert(options.end(), list.begin(), list.end());
    options.insert(options.end(),
        {
            { "name", "TEXT", "a label stored in the result" },
            { "out", "FILE", "write the result JSON here (atomically) instead of stdout" },
            { "artifact", "OUT.vq.h5",
                "also write the compressed artifact (HDF5; a .safetensors name writes its safetensors twin)" },
            { "per-token", "", "include per-token errors and per-query metrics in the JSON" },
            { "dry-run", "", "print the bit budget and warnings without training" },
        });
    return {
        "quantize",
        "quantize an embedding table with one method and report bits and metrics",
        "Loads the embedding table of FILE, validates the spec against the method's schema and the\n"
        "table's shape, fits the method, decodes the table and computes the metrics (relMSE, SNR,\n"
        "per-token error percentiles, codebook usage, neighbour recall, logit fidelity for a tied head).\n"
        "The result is one JSON object (a run record) on stdout or in --out; --artifact also writes the\n"
        "compressed arrays for deployment and for 'eval' and 'export'. Progress, warnings and\n"
        "the bit breakdown go to stderr. Ctrl-C cancels cleanly: nothing is written, exit code 130.",
        { { "FILE", "checkpoint file or model folder" } },
        options,
    };
}

int runQuantize(const ParsedArgs& args)
{
    const vq::QuantSpec requested = specFrom(args);
    vq::RunOptions options = runOptionsFrom(args);
    options.name = args.value("name").value_or("");
    vq::RunControl control;
    applyControlOptions(args, control);
    ProgressReporter progress(control);
    const InterruptGuard interrupt(control);

    const vq::EmbeddingTable table = loadTable(args, control);
    vq::RunRecord plan;
    try {
        plan = vq::planRun(table, requested, options, control);
    } catch (const vq::Error& e) {
        if (e.kind() != vq::ErrorKind::InvalidArgument)
            throw;
        progress.clearLine();
        std::fprintf(stderr, "vqscope-cli quantize: %s\n", e.message().c_str());
        return ExitUsage;
    }

    const std::string out = args.value("out").value_or("");
    if (args.flag("dry-run")) {
        progress.clearLine();
        printBudget(plan);
        printWarnings(plan.warnings);
        nlohmann::json j = plan.toJson();
        j["dryRun"] = true;
        writeOutput(out, j.dump(2) + "\n");
        return ExitOk;
    }

    const vq::RunRecord record = vq::executeRun(table, plan.spec, options, control);
    if (const auto artifact = args.value("artifact"))
        writeRunArtifact(*artifact, record, table, control);
    progress.clearLine();
    printWarnings(record.warnings);
    nlohmann::json j = record.toJson();
    if (args.flag("per-token") && record.fullMetrics)
        j["metrics"] = record.fullMetrics->toJson({ true, true, true });
    writeOutput(out, j.dump(2) + "\n");
    return ExitOk;
}

} // namespace vqcli
