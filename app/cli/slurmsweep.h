#pragma once

#include "cliargs.h"
#include "io/embeddingtable.h"
#include "run/sweep.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace vqcli {

// The files of a sweep run as a Slurm job array, all beside --out (runs.jsonl):
//   runs.sweep.json        what was submitted: table, checksum, tasks, each shard's run ids, job ids
//   runs.grid.json         the grid, as every task reads it
//   runs.shard-<i>.jsonl   shard i's run lines; runs.shard-<i>.log its output
//   runs.array.sbatch, runs.merge.sbatch, runs.merge.log
struct SweepFiles {
    std::string out; // absolute
    std::string base; // out without its .jsonl

    static SweepFiles beside(const std::string& out);
    std::string manifest() const { return base + ".sweep.json"; }
    std::string grid() const { return base + ".grid.json"; }
    std::string shard(int index) const { return base + ".shard-" + std::to_string(index) + ".jsonl"; }
    std::string arrayScript() const { return base + ".array.sbatch"; }
    std::string mergeScript() const { return base + ".merge.sbatch"; }
};

// What `sweep --slurm` needs from the sweep command: the table (for its checksum), the grid, and the
// run ids each shard must produce (makeRunId of every resolved combination, so a shard is complete
// when its file holds each of them with status done).
struct SlurmSweep {
    const vq::EmbeddingTable* table = nullptr;
    vq::SweepGrid grid;
    std::vector<std::vector<std::string>> shardIds; // [task] -> run ids
    ParsedArgs args; // with FILE and file options made absolute
};

// The options `sweep` adds for Slurm (--slurm, --tasks, --sbatch-arg, --dry-run, --checksum).
std::vector<OptionSpec> slurmOptions();
// Paths given to FILE, --vocab, --weights, --hidden-states made absolute: array tasks may start in
// another folder.
ParsedArgs withAbsolutePaths(ParsedArgs args);
// Writes the scripts, submits the shards not yet complete (and not queued) as one job array and a merge
// job after it (afterany, so the merge lists failed shards), prints the job ids. With --dry-run prints
// the scripts and the sbatch commands instead and writes nothing.
int submitSlurmSweep(const SlurmSweep& sweep);

// `vqscope-cli sweep-status RUNS.jsonl [--merge]`.
CommandSpec sweepStatusCommandSpec();
int runSweepStatus(const ParsedArgs& args);

} // namespace vqcli
