#pragma once

#include "cliargs.h"

namespace vqcli {

// `vqscope-cli convert FILE [--tensor NAME] [--vocab FILE] --out OUT.npy|OUT.safetensors|OUT.gguf
// [--type T]`: the table loaded from FILE (any type the readers decode) written in another format and
// storage type, atomically.
CommandSpec convertCommandSpec();
int runConvert(const ParsedArgs& args);

} // namespace vqcli
