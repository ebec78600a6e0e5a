#pragma once

#include "cliargs.h"

namespace vqcli {

// `vqscope-cli tune FILE --bits B | --target-error E [--methods a,b] ...`: auto-tune (run/autotune.h)
// on the table of FILE; prints the Pareto-best configurations, writes the whole search as JSON and the
// winner as a spec file `quantize --config` takes.
CommandSpec tuneCommandSpec();
int runTune(const ParsedArgs& args);

} // namespace vqcli
