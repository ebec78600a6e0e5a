#pragma once

#include "cliargs.h"

namespace vqcli {

// `vqscope-cli export ARTIFACT --out PATH [--dtype f32|f16|bf16] [--checkpoint SRC [--tensor NAME]] [--twin]`:
// the decoded table as .npy or safetensors, a patched copy of a checkpoint, or the artifact's
// safetensors twin.
CommandSpec exportCommandSpec();
int runExport(const ParsedArgs& args);

} // namespace vqcli
