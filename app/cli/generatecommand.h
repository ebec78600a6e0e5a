#pragma once

#include "cliargs.h"

namespace vqcli {

// `vqscope-cli generate --rows R --dim D [--seed S] [--dtype f32|f16|bf16] --out FILE`: a seeded,
// LLM-shaped random table (core/synth) written as .npy or .safetensors, to try the tools without a model.
CommandSpec generateCommandSpec();
int runGenerate(const ParsedArgs& args);

} // namespace vqcli
