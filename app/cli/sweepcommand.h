#pragma once

#include "cliargs.h"

namespace vqcli {

// `vqscope-cli sweep FILE --grid GRID.json [--shard i/n] [--out runs.jsonl]`: every combination of a
// parameter grid (or shard i of n of them), one run record JSON line per run, appended and flushed as
// each run finishes.
CommandSpec sweepCommandSpec();
int runSweep(const ParsedArgs& args);

// `vqscope-cli merge RUNS.jsonl... [--out FILE]`: the run lines of several files, deduplicated.
CommandSpec mergeCommandSpec();
int runMerge(const ParsedArgs& args);

} // namespace vqcli
