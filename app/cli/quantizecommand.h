#pragma once

#include "cliargs.h"

namespace vqcli {

// `vqscope-cli quantize FILE --method NAME [--param k=v]... | --config SPEC.json [--dry-run] ...`: one
// run (fit + metrics) printed as one RunRecord JSON object on stdout or written atomically to --out.
// --dry-run prints the exact bit budget and warnings without training. A spec the method refuses exits
// with ExitUsage and the schema's message.
CommandSpec quantizeCommandSpec();
int runQuantize(const ParsedArgs& args);

} // namespace vqcli
