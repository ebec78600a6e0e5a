#pragma once

#include "cliargs.h"

namespace vqcli {

// `vqscope-cli codebook ARTIFACT --table FILE [--array A] [--stage S] [--group G] [--json]`: the codebook
// explorer's numbers for scripts: one codebook's codewords projected to 2-D, their usage, norms, mean
// errors and weights, and the most frequent tokens of each; optionally a sample of the rows they encode and
// one token's path through the stages with its nearest neighbours.
CommandSpec codebookCommandSpec();
int runCodebook(const ParsedArgs& args);

} // namespace vqcli
