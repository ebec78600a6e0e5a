#pragma once

#include "cliargs.h"

namespace vqcli {

// `vqscope-cli inspect FILE [--tensor NAME] [--vocab FILE] [--json]`: what a checkpoint holds and what
// the embedding table picked from it looks like (shape, dtype, tied head, tokens, NaN/Inf, row-norm
// percentiles, per-dimension statistics, outlier dimensions). Text on stdout, or one JSON object.
CommandSpec inspectCommandSpec();
int runInspect(const ParsedArgs& args);

} // namespace vqcli
