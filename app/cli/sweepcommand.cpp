#include "sweepcommand.h"

#include "common/error.h"
#include "progressreporter.h"
#include "quant/registry.h"
#include "quant/speclabel.h"
#include "run/runexecutor.h"
#include "run/sweep.h"
#include "runsupport.h"
#include "terminal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace vqcli {

namespace {

// Appends whole lines: each line goes out in one write() on an O_APPEND descriptor, so a sweep
// stopped at any point leaves only complete lines, and shards writing one file do not interleave.
class LineAppender {
public:
    explicit LineAppender(const std::string& path)
        : m_path(path)
    {
        if (path.empty())
            return;
        m_fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        if (m_fd < 0)
            throw vq::Error(vq::ErrorKind::WriteFailed, path, std::strerror(errno));
    }
    ~LineAppender()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    LineAppender(const LineAppender&) = delete;
    LineAppender& operator=(const LineAppender&) = delete;

    void append(const std::string& line)
    {
        const std::string text = line + "\n";
        if (m_fd < 0) {
            std::fwrite(text.data(), 1, text.size(), stdout);
            if (std::fflush(stdout) != 0)
                throw vq::Error(vq::ErrorKind::WriteFailed, "<stdout>", std::strerror(errno));
            return;
        }
        const ssize_t n = ::write(m_fd, text.data(), text.size());
        if (n != static_cast<ssize_t>(text.size()))
            throw vq::Error(vq::ErrorKind::WriteFailed, m_path, n < 0 ? std::strerror(errno) : "short write");
    }

private:
    std::string m_path;
    int m_fd = -1;
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
    for (const auto& list : { tableOptions(), runOptions() })
        options.insert(options.end(), list.begin(), list.end());
    return {
        "sweep",
        "run every combination of a parameter grid, one JSON line per run",
        "Expands the grid (the last key in alphabetical order varies fastest; the order is the same on\n"
        "every machine), keeps this --shard's combinations and runs them one after the other on the\n"
        "table of FILE. Each finished run is appended to --out (or stdout) as one JSON line and flushed,\n"
        "so a sweep stopped early keeps its finished runs. A combination the method refuses for this\n"
        "table is recorded with status \"failed\" and its reason. Merge shards with 'vqscope-cli merge'.\n"
        "Exit code 1 when any run failed.",
        { { "FILE", "checkpoint file or model folder" } },
        options,
    };
}

int runSweep(const ParsedArgs& args)
{
    const auto gridPath = args.value("grid");
    if (!gridPath)
        throw UsageError("missing --grid GRID.json");
    vq::SweepGrid grid;
    vq::Shard shard;
    std::vector<vq::QuantSpec> specs;
    try {
        grid = vq::SweepGrid::fromJson(readJsonFile(*gridPath));
        if (const auto s = args.value("shard"))
            shard = vq::Shard::parse(*s);
        // Typos in parameter names or values out of range are refused before hours of runs start.
        const vq::Quantizer& q = vq::quantizer(grid.method);
        for (const vq::QuantSpec& s : shard.select(grid.expand()))
            specs.push_back(q.schema().resolve(s));
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

    vq::RunOptions options = runOptionsFrom(args);
    options.keepTable = false;
    options.keepFullMetrics = false;
    vq::RunControl control;
    applyControlOptions(args, control);
    ProgressReporter progress(control);
    const InterruptGuard interrupt(control);
    const vq::EmbeddingTable table = loadTable(args, control);
    LineAppender out(args.value("out").value_or(""));

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
        lists.push_back(vq::readRunLines(path));
    std::string text;
    for (const vq::RunRecord& r : vq::mergeRuns(lists))
        text += r.toJson().dump() + "\n";
    writeOutput(args.value("out").value_or(""), text);
    return ExitOk;
}

} // namespace vqcli
