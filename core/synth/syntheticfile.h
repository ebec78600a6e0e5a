#pragma once

#include "common/runcontrol.h"
#include "io/tensorinfo.h"
#include "synth/synthetictable.h"

#include <cstdint>
#include <string>

namespace vq {

// The largest synthetic table written to a file, in values (4 GiB as float32): larger requests are
// refused before anything is allocated.
constexpr int64_t kMaxSyntheticValues = int64_t(1) << 30;

// An LLM-shaped SyntheticSpec for a rows x dim table: the library's defaults with the low rank and the
// outlier columns fitted to narrow tables (rank at most dim, outliers at most dim / 8).
SyntheticSpec syntheticSpecFor(int64_t rows, int64_t dim, uint64_t seed);

// Generates spec's table and writes it to path as the extension says: ".npy" (F32 or F16) or
// ".safetensors" (F32, F16 or BF16; one tensor "model.embed_tokens.weight", __metadata__
// "vqscope.synthetic" holding rows, dim and seed as JSON). Progress stages "generate" then "export" (the writer's);
// honours cancel. Atomic: on failure or cancel no file is left and an existing one is untouched.
// Throws Error(InvalidArgument) naming path for another extension or dtype, a spec the generator
// refuses, or more than kMaxSyntheticValues values; WriteFailed for I/O.
void writeSyntheticTable(const std::string& path, const SyntheticSpec& spec, DType dtype, RunControl& control);

} // namespace vq
