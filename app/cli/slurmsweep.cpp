#include "slurmsweep.h"

#include "common/error.h"
#include "runsupport.h"
#include "vq/version.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

namespace vqcli {

namespace {

namespace fs = std::filesystem;

std::string absolute(const std::string& path)
{
    return fs::absolute(fs::path(path)).lexically_normal().string();
}

// One shell word: single-quoted, with embedded quotes closed and escaped.
std::string shellWord(const std::string& word)
{
    std::string q = "'";
    for (const char c : word)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// sbatch expands %a, %j, ... in --output; a literal % in a path is written %%.
std::string slurmPattern(const std::string& path)
{
    std::string p;
    for (const char c : path)
        p += c == '%' ? std::string("%%") : std::string(1, c);
    return p;
}

std::string selfPath()
{
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("vqscope-cli") : exe.string();
}

// Runs a shell command line and returns its standard output; exit status in *status (-1: not run).
std::string capture(const std::string& command, int* status)
{
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) {
        *status = -1;
        return out;
    }
    std::array<char, 4096> buffer {};
    size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
        out.append(buffer.data(), n);
    const int raw = ::pclose(pipe);
    *status = raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return out;
}

// `sbatch --parsable ARGS SCRIPT`; returns the job id or throws naming the script.
std::string sbatch(const std::string& script, const std::string& extra)
{
    int status = 0;
    const std::string out = capture("sbatch --parsable " + extra + shellWord(script) + " 2>&1", &status);
    const std::string id = out.substr(0, out.find_first_not_of("0123456789"));
    if (status != 0 || id.empty())
        throw vq::Error(vq::ErrorKind::WriteFailed, script,
            "sbatch failed (exit " + std::to_string(status) + "): " + (out.empty() ? "no output" : out));
    return id;
}

// The array task states squeue knows for these jobs: "<job>_<task>" -> "RUNNING", "PENDING", ... Empty
// when squeue is missing or knows none of them (finished jobs leave squeue after a few minutes).
std::map<std::string, std::string> queueStates(const std::vector<std::string>& jobs)
{
    std::map<std::string, std::string> states;
    if (jobs.empty())
        return states;
    std::string list;
    for (const std::string& j : jobs) {
        if (!list.empty())
            list += ',';
        list += j;
    }
    int status = 0;
    const std::string out = capture("squeue -h -r -o '%i %T' -j " + shellWord(list) + " 2>/dev/null", &status);
    if (status != 0)
        return states;
    size_t start = 0;
    while (start < out.size()) {
        const size_t end = std::min(out.find('\n', start), out.size());
        const std::string line = out.substr(start, end - start);
        start = end + 1;
        const size_t space = line.find(' ');
        if (space != std::string::npos)
            states[line.substr(0, space)] = line.substr(space + 1);
    }
    return states;
}

struct ShardState {
    size_t expected = 0;
    size_t done = 0;
    size_t failed = 0; // failed or cancelled, and not done in a later attempt
    std::string queue; // squeue's state of its latest array task, "" when not queued
    bool complete() const { return done == expected; }
    std::string text() const
    {
        if (complete())
            return "done";
        if (!queue.empty()) {
            std::string t = queue;
            for (char& c : t)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            return t;
        }
        return failed ? "failed" : "incomplete";
    }
};

std::vector<ShardState> shardStates(
    const SweepFiles& files, const nlohmann::json& manifest, std::vector<std::vector<vq::RunRecord>>* runs)
{
    std::vector<std::string> jobs;
    for (const auto& job : manifest.value("jobs", nlohmann::json::array()))
        jobs.push_back(job.value("array", std::string()));
    const std::map<std::string, std::string> queued = queueStates(jobs);
    const auto& shards = manifest.at("shards");
    std::vector<ShardState> states(shards.size());
    for (size_t i = 0; i < shards.size(); ++i) {
        ShardState& s = states[i];
        std::set<std::string> done, failed;
        const std::string path = files.shard(static_cast<int>(i));
        if (fs::exists(path)) {
            std::vector<vq::RunRecord> lines = readRunLinesWarning(path);
            for (const vq::RunRecord& r : lines)
                (r.status == vq::RunStatus::Done ? done : failed).insert(r.id);
            if (runs)
                runs->push_back(std::move(lines));
        }
        for (const auto& id : shards[i]) {
            ++s.expected;
            if (done.count(id.get<std::string>()))
                ++s.done;
            else if (failed.count(id.get<std::string>()))
                ++s.failed;
        }
        // The latest submission that included this shard says whether it is queued now.
        for (const auto& job : manifest.value("jobs", nlohmann::json::array()))
            for (const auto& t : job.value("shards", nlohmann::json::array()))
                if (t.get<size_t>() == i) {
                    const auto it = queued.find(job.value("array", std::string()) + "_" + std::to_string(i));
                    s.queue = it == queued.end() ? std::string() : it->second;
                }
    }
    return states;
}

nlohmann::json readManifest(const SweepFiles& files)
{
    const nlohmann::json m = readJsonFile(files.manifest());
    if (!m.is_object() || !m.contains("shards") || !m["shards"].is_array() || m["shards"].empty())
        throw vq::Error(vq::ErrorKind::Malformed, files.manifest(), "not a sweep manifest (no 'shards')");
    for (const auto& shard : m["shards"])
        if (!shard.is_array())
            throw vq::Error(vq::ErrorKind::Malformed, files.manifest(), "'shards' must be lists of run ids");
    return m;
}

// The command line of one array task: this shard's sweep with every table and run option forwarded,
// the checksum to verify and the threads Slurm gave the task.
std::string taskCommand(const SlurmSweep& sweep, const SweepFiles& files, size_t tasks)
{
    const ParsedArgs& a = sweep.args;
    std::string cmd = shellWord(selfPath()) + " sweep " + shellWord(a.positionals.at(0)) + " \\\n    --grid "
        + shellWord(files.grid()) + " --shard \"$SLURM_ARRAY_TASK_ID/" + std::to_string(tasks) + "\" --checksum "
        + shellWord(sweep.table->source.checksum) + " \\\n    --threads \"${SLURM_CPUS_PER_TASK:-1}\" --out "
        + shellWord(files.base + ".shard-") + "\"$SLURM_ARRAY_TASK_ID\"" + shellWord(".jsonl");
    for (const auto& list : { tableOptions(), runOptions() })
        for (const OptionSpec& o : list) {
            if (o.name == "threads")
                continue;
            if (o.valueName.empty()) {
                if (a.flag(o.name))
                    cmd += " --" + o.name;
            } else if (const auto v = a.value(o.name)) {
                cmd += " --" + o.name + "=" + shellWord(*v);
            }
        }
    return cmd;
}

std::string directives(const std::vector<std::string>& sbatchArgs)
{
    std::string d;
    for (const std::string& arg : sbatchArgs)
        d += "#SBATCH " + arg + "\n";
    return d;
}

// "0-3", "1,4-6": the shards as sbatch --array takes them (ascending input).
std::string shardList(const std::vector<size_t>& shards)
{
    std::string s;
    for (size_t i = 0; i < shards.size();) {
        size_t j = i;
        while (j + 1 < shards.size() && shards[j + 1] == shards[j] + 1)
            ++j;
        if (!s.empty())
            s += ',';
        s += std::to_string(shards[i]);
        if (j > i) {
            s += '-';
            s += std::to_string(shards[j]);
        }
        i = j + 1;
    }
    return s;
}

} // namespace

SweepFiles SweepFiles::beside(const std::string& out)
{
    SweepFiles f;
    f.out = absolute(out);
    f.base = f.out.size() > 6 && f.out.ends_with(".jsonl") ? f.out.substr(0, f.out.size() - 6) : f.out;
    return f;
}

std::vector<OptionSpec> slurmOptions()
{
    return {
        { "slurm", "", "submit the sweep to Slurm as a job array (one task per shard) and a merge job" },
        { "tasks", "N", "with --slurm: array tasks, i.e. shards (default: combinations, at most 16)" },
        { "sbatch-arg", "ARG", "with --slurm: an #SBATCH line for both jobs (--partition=cpu, --time=2:00:00, -c 8)",
            true },
        { "dry-run", "", "with --slurm: print the scripts and sbatch commands, write and submit nothing" },
        { "checksum", "xxh64:HEX", "refuse to run unless the table's checksum is this (the array tasks pass it)" },
    };
}

ParsedArgs withAbsolutePaths(ParsedArgs args)
{
    if (!args.positionals.empty())
        args.positionals[0] = absolute(args.positionals[0]);
    for (const char* name : { "vocab", "weights", "hidden-states" })
        if (const auto it = args.values.find(name); it != args.values.end() && !it->second.empty())
            it->second = absolute(it->second);
    return args;
}

int submitSlurmSweep(const SlurmSweep& sweep)
{
    const auto out = sweep.args.value("out");
    if (!out)
        throw UsageError("--slurm needs --out RUNS.jsonl (the shard files are written beside it)");
    const std::vector<std::string> sbatchArgs = sweep.args.valueList("sbatch-arg");
    for (const std::string& arg : sbatchArgs)
        if (arg.find_first_of("\n\r") != std::string::npos || arg.empty())
            throw UsageError("--sbatch-arg must be one non-empty line");
    const bool dryRun = sweep.args.flag("dry-run");
    const SweepFiles files = SweepFiles::beside(*out);
    const size_t tasks = sweep.shardIds.size();

    // Resubmission: a manifest of the same sweep (same grid, table and options give the same run ids)
    // keeps its job history, and only shards neither complete nor queued are submitted again.
    nlohmann::json manifest = {
        { "version", 1 },
        { "table", sweep.args.positionals.at(0) },
        { "checksum", sweep.table->source.checksum },
        { "tasks", tasks },
        { "combinations", sweep.grid.count() },
        { "shards", sweep.shardIds },
        { "jobs", nlohmann::json::array() },
    };
    std::vector<ShardState> states(tasks);
    if (fs::exists(files.manifest())) {
        const nlohmann::json old = readManifest(files);
        if (old["shards"] != manifest["shards"])
            throw vq::Error(vq::ErrorKind::InvalidArgument, files.manifest(),
                "holds another sweep (other grid, table, tasks or options); use another --out or remove it");
        manifest["jobs"] = old.value("jobs", nlohmann::json::array());
        states = shardStates(files, manifest, nullptr);
    } else {
        for (size_t i = 0; i < tasks; ++i)
            states[i].expected = sweep.shardIds[i].size();
    }
    std::vector<size_t> todo, queued;
    for (size_t i = 0; i < tasks; ++i) {
        if (!states[i].queue.empty())
            queued.push_back(i);
        else if (!states[i].complete())
            todo.push_back(i);
    }
    if (todo.empty()) {
        std::printf(queued.empty()
                ? "all %zu shards are done; nothing submitted (vqscope-cli sweep-status %s --merge)\n"
                : "%zu shards are done or queued; nothing submitted (%s)\n",
            tasks, files.out.c_str());
        return ExitOk;
    }

    const std::string header
        = "#!/bin/bash\n# Written by vqscope-cli " + std::string(vq::kVersion) + " for " + files.out + ".\n";
    const std::string arrayScript = header + "#SBATCH --job-name=vqscope-sweep\n#SBATCH --array=" + shardList(todo)
        + "\n#SBATCH --output=" + slurmPattern(files.base) + ".shard-%a.log\n" + directives(sbatchArgs)
        + "# Shard $SLURM_ARRAY_TASK_ID of " + std::to_string(tasks)
        + ": runs already done in its file are skipped, the table's checksum is verified first.\nexec "
        + taskCommand(sweep, files, tasks) + "\n";
    const std::string mergeScript = header + "#SBATCH --job-name=vqscope-merge\n#SBATCH --output="
        + slurmPattern(files.base) + ".merge.log\n" + directives(sbatchArgs)
        + "# Merges the shards that finished and lists those that did not (exit 1 then).\nexec " + shellWord(selfPath())
        + " sweep-status " + shellWord(files.out) + " --merge\n";

    if (dryRun) {
        std::printf("# %s\n%s\n# %s\n%s\n# sbatch --parsable %s\n# sbatch --parsable --dependency=afterany:<array "
                    "job> %s\n",
            files.arrayScript().c_str(), arrayScript.c_str(), files.mergeScript().c_str(), mergeScript.c_str(),
            files.arrayScript().c_str(), files.mergeScript().c_str());
        return ExitOk;
    }
    writeOutput(files.grid(),
        nlohmann::json({ { "method", sweep.grid.method }, { "params", sweep.grid.fixed },
                           { "grid",
                               [&] {
                                   auto g = nlohmann::json::object();
                                   for (const auto& [key, values] : sweep.grid.axes)
                                       g[key] = values;
                                   return g;
                               }() } })
                .dump(2)
            + "\n");
    writeOutput(files.arrayScript(), arrayScript);
    writeOutput(files.mergeScript(), mergeScript);
    const std::string arrayJob = sbatch(files.arrayScript(), "");
    const std::string mergeJob = sbatch(files.mergeScript(), "--dependency=afterany:" + arrayJob + " ");
    manifest["jobs"].push_back({ { "array", arrayJob }, { "merge", mergeJob }, { "shards", todo } });
    writeOutput(files.manifest(), manifest.dump() + "\n");
    std::printf("array job %s: shards %s of %zu\nmerge job %s: %s\n", arrayJob.c_str(), shardList(todo).c_str(), tasks,
        mergeJob.c_str(), files.out.c_str());
    return ExitOk;
}

CommandSpec sweepStatusCommandSpec()
{
    return {
        "sweep-status",
        "which shards of a Slurm sweep are done, queued or failed",
        "Reads the manifest 'sweep --slurm' wrote beside RUNS.jsonl and each shard's run file, and asks\n"
        "squeue (when it is installed) which shards are still pending or running. A shard is done when\n"
        "its file holds every one of its runs with status done. --merge writes the runs of every shard\n"
        "file into RUNS.jsonl. Exit code 1 while any shard is not done.",
        { { "RUNS.jsonl", "the --out of 'vqscope-cli sweep --slurm'" } },
        { { "merge", "", "merge the shard files into RUNS.jsonl (atomically)" } },
    };
}

int runSweepStatus(const ParsedArgs& args)
{
    const SweepFiles files = SweepFiles::beside(args.positionals.at(0));
    const nlohmann::json manifest = readManifest(files);
    std::vector<std::vector<vq::RunRecord>> runs;
    const std::vector<ShardState> states = shardStates(files, manifest, &runs);
    size_t shardsDone = 0, runsDone = 0, runsTotal = 0;
    std::string notDone;
    std::printf("shard   runs   done  failed  state\n");
    for (size_t i = 0; i < states.size(); ++i) {
        const ShardState& s = states[i];
        std::printf("%5zu %6zu %6zu %7zu  %s\n", i, s.expected, s.done, s.failed, s.text().c_str());
        shardsDone += s.complete();
        runsDone += s.done;
        runsTotal += s.expected;
        if (!s.complete()) {
            if (!notDone.empty())
                notDone += ", ";
            notDone += std::to_string(i) + " " + s.text();
        }
    }
    std::printf("%zu of %zu shards done (%zu of %zu runs)%s\n", shardsDone, states.size(), runsDone, runsTotal,
        notDone.empty() ? "" : ("; not done: " + notDone).c_str());
    if (args.flag("merge")) {
        std::string text;
        const std::vector<vq::RunRecord> merged = vq::mergeRuns(runs);
        for (const vq::RunRecord& r : merged)
            text += r.toJson().dump() + "\n";
        writeOutput(files.out, text);
        std::printf("%zu runs merged into %s\n", merged.size(), files.out.c_str());
    }
    if (std::fflush(stdout) != 0)
        throw vq::Error(vq::ErrorKind::WriteFailed, "<stdout>", std::strerror(errno));
    return shardsDone == states.size() ? ExitOk : ExitFailure;
}

} // namespace vqcli
