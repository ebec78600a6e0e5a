#pragma once

#include "cliargs.h"

namespace vqcli {

// `vqscope-cli eval FILE --result RUN.json`: checks a recorded run against FILE (same table checksum)
// and reproduces it: a result JSON holds no codes, so the run is refitted from its spec, seed, thread
// count and token weights, and the recomputed metrics are compared with the recorded ones.
CommandSpec evalCommandSpec();
int runEval(const ParsedArgs& args);

} // namespace vqcli
