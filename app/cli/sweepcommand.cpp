#include "sweepcommand.h"

#include "common/error.h"
#include "progressreporter.h"
#include "quant/registry.h"
#include "quant/speclabel.h"
#include "run/runexecutor.h"
#include "run/runlineappender.h"
#include "run/sweep.h"
#include "runsupport.h"
#include "slurmsweep.h"
#include "terminal.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>

namespace vqcli {

namespace {

// Run lines to --out through RunLineAppender (whole lines, synced), or to stdout.
class LineOutput {
public:
    explicit LineOutput(const std::string& path)
    {
        if (!path.empty())
            m_file.emplace(path);
    }
    void append(const std::string& line)
    {
        if (m_file) {
            m_file->append(line);
            return;
        }
        const std::string text = line + "\n";
        std::fwrite(text.data(), 1, text.size(), stdout);
        if (std::fflush(stdout) != 0)
            throw vq::Error(vq::ErrorKind::WriteFailed, "<stdout>", std::strerror(errno));
    }

private:
    std::optional<vq::RunLineAppender> m_file;
};

} // namespace

CommandSpec sweepCommandSpec()
{
    std::vector<OptionSpec> options = {
        { "grid", "GRID.json",
            "{\"method\": M, \"params\": {fixed}, \"grid\": {\"key\": [values], ...}}: every combination is run" },
        { "shard", "i/n", "run only combinations i, i+n, i+2n, ... (0 <= i < n) to split a sweep across jobs" },
        { "out", "RUNS.jsonl", "append one JSON line per run here (default: stdout)" },
        { "list", "", "print the combinations of this shard (one spec JSON a line) without running" },
    };
    for (const auto& list : { slurmOptions(), tableOptions(), runOptions() })
        options.insert(options.end(), list.begin(), list.end());
    return {
        "sweep",
        "run every combination of a parameter grid, one JSON line per run",
        "Expands the grid (the last key in alphabetical order varies fastest; the order is the same on\n"
        "every machine), keeps this --shard's combinations and runs them one after the other on the\n"
        "table of FILE. Each finished run is appended to --out (or stdout) as one JSON line and flushed,\n"
        "so a sweep stopped early keeps its finished runs; run again with the same --out, it skips the\n"
        "runs already done there (same spec, table, token weights and seed). A combination the method\n"
        "refuses for this table is recorded with status \"failed\" and its reason. Merge shards with\n"
        "'vqscope-cli merge'. Exit code 1 when any run failed.\n\n"
        "With --slurm, nothing runs here: the table is read once for its checksum, then a job array of\n"
        "--tasks shards (each 'sweep --shard $SLURM_ARRAY_TASK_ID/N --checksum ...' on the shared\n"
        "filesystem, threads from SLURM_CPUS_PER_TASK, writing RUNS.shard-<i>.jsonl beside --out) and a\n"
        "merge job after it (afterany: it merges what finished into --out and lists the shards that did\n"
        "not) are submitted with sbatch. The same command again resubmits only the shards not done and\n"
        "not queued. 'vqscope-cli sweep-status RUNS.jsonl' shows each shard's state.",
        { { "FILE", "checkpoint file or model folder" } },
        options,
    };
}

int runSweep(const ParsedArgs& args)
{
    const auto gridPath = args.value("grid");
    if (!gridPath)
        throw UsageError("missing --grid GRID.json");
    const bool slurm = args.flag("slurm");
    for (const char* name : { "tasks", "sbatch-arg", "dry-run" })
        if (!slurm && (args.value(name) || args.flag(name)))
            throw UsageError(std::string("--") + name + " needs --slurm");
    if (slurm && (args.value("shard") || args.flag("list")))
        throw UsageError("--slurm splits the grid itself: no --shard or --list");
    vq::SweepGrid grid;
    vq::Shard shard;
    std::vector<vq::QuantSpec> specs;
    const vq::Quantizer* q = nullptr;
    try {
        grid = vq::SweepGrid::fromJson(readJsonFile(*gridPath));
        if (const auto s = args.value("shard"))
            shard = vq::Shard::parse(*s);
        // Typos in parameter names or values out of range are refused before hours of runs start, and
        // only this shard's combinations are computed.
        q = &vq::quantizer(grid.method);
        grid.validate(q->schema());
        const uint64_t total = grid.count();
        if (!slurm)
            for (uint64_t k = 0; k < shard.size(total); ++k)
                specs.push_back(q->schema().resolve(grid.at(shard.position(k))));
    } catch (const vq::Error& e) {
        if (e.kind() != vq::ErrorKind::InvalidArgument)
            throw;
        std::fprintf(stderr, "vqscope-cli sweep: %s%s\n", gridPath->c_str(), (": " + e.message()).c_str());
        return ExitUsage;
    }
    if (args.flag("list")) {
        for (const vq::QuantSpec& s : specs)
            std::printf("%s\n", s.toJson().dump().c_str());
        return std::fflush(stdout) == 0 ? ExitOk : ExitFailure;
    }

    // Array tasks run elsewhere: the paths they get, and the run ids computed here, are absolute.
    const ParsedArgs effective = slurm ? withAbsolutePaths(args) : args;
    vq::RunOptions options = runOptionsFrom(effective);
    options.keepTable = false;
    options.keepFullMetrics = false;
    vq::RunControl control;
    applyControlOptions(effective, control);
    ProgressReporter progress(control);
    const InterruptGuard interrupt(control);
    const vq::EmbeddingTable table = loadTable(effective, control);
    if (const auto expected = args.value("checksum"); expected && *expected != table.source.checksum)
        throw vq::Error(vq::ErrorKind::InvalidArgument, args.positionals.at(0),
            "checksum " + table.source.checksum + ", expected " + *expected
                + ": the table differs from the one the sweep was submitted for (changed, or another file on "
                  "this node)");
    const vq::RunProvenance provenance = vq::runProvenance(table, options, control);

    if (slurm) {
        const uint64_t total = grid.count();
        const long long tasks = intOption(args, "tasks", static_cast<long long>(std::min<uint64_t>(total, 16)), 1,
            static_cast<long long>(std::min<uint64_t>(total, 10000)));
        SlurmSweep sweep { &table, grid, {}, effective };
        for (long long i = 0; i < tasks; ++i) {
            const vq::Shard part { static_cast<int>(i), static_cast<int>(tasks) };
            std::vector<std::string> ids;
            for (uint64_t k = 0; k < part.size(total); ++k)
                ids.push_back(vq::makeRunId(q->schema().resolve(grid.at(part.position(k))), provenance));
            sweep.shardIds.push_back(std::move(ids));
        }
        progress.clearLine();
        return submitSlurmSweep(sweep);
    }

    // Resume: runs already done in --out (same spec, table, weights and seed: the same run id) are kept.
    std::set<std::string> done;
    if (const auto path = args.value("out"); path && std::filesystem::exists(*path)) {
        for (const vq::RunRecord& r : readRunLinesWarning(*path))
            if (r.status == vq::RunStatus::Done)
                done.insert(r.id);
    }
    const size_t before = specs.size();
    std::erase_if(specs, [&](const vq::QuantSpec& s) { return done.count(vq::makeRunId(s, provenance)) > 0; });
    if (specs.size() < before)
        std::fprintf(stderr, "%zu of %zu runs already done in %s, skipped\n", before - specs.size(), before,
            args.value("out")->c_str());
    LineOutput out(args.value("out").value_or(""));

    int failed = 0;
    for (size_t i = 0; i < specs.size(); ++i) {
        const std::string label = "[" + std::to_string(i + 1) + "/" + std::to_string(specs.size()) + "]";
        progress.setPrefix(label + " " + vq::specLabel(specs[i]));
        vq::RunRecord record;
        try {
            record = vq::executeRun(table, specs[i], options, control);
        } catch (const vq::Cancelled&) {
            throw;
        } catch (const vq::Error& e) {
            record.spec = specs[i];
            record.status = vq::RunStatus::Failed;
            record.error = e.what();
            record.provenance = vq::runProvenance(table, options, control);
            record.id = vq::makeRunId(record.spec, record.provenance);
            record.bits.rows = table.rows();
            record.bits.dim = table.dim();
            ++failed;
            progress.clearLine();
            std::fprintf(stderr, "%s %s failed: %s\n", label.c_str(), vq::specLabel(specs[i]).c_str(), e.what());
        }
        out.append(record.toJson().dump());
    }
    progress.clearLine();
    std::fprintf(stderr, "%zu runs, %d failed\n", specs.size(), failed);
    return failed ? ExitFailure : ExitOk;
}

CommandSpec mergeCommandSpec()
{
    return {
        "merge",
        "merge run files (JSON lines) of sweep shards, dropping duplicates",
        "Reads the run lines of every RUNS file in order and writes them as one JSON-lines file, keeping\n"
        "one run per (spec, table, token weights): the first that finished, else the first seen.",
        { { "RUNS.jsonl", "run files written by 'vqscope-cli sweep'", true } },
        { { "out", "FILE", "write the merged lines here (atomically) instead of stdout" } },
    };
}

int runMerge(const ParsedArgs& args)
{
    std::vector<std::vector<vq::RunRecord>> lists;
    for (const std::string& path : args.positionals)
        lists.push_back(readRunLinesWarning(path));
    std::string text;
    for (const vq::RunRecord& r : vq::mergeRuns(lists))
        text += r.toJson().dump() + "\n";
    writeOutput(args.value("out").value_or(""), text);
    return ExitOk;
}

} // namespace vqcli
