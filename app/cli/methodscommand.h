#pragma once

#include "cliargs.h"

namespace vqcli {

// `vqscope-cli methods [--json]`: every registered method with its parameters (type, range, default,
// help) and presets. The JSON form is what scripts and sweep grids are written against.
CommandSpec methodsCommandSpec();
int runMethods(const ParsedArgs& args);

} // namespace vqcli
