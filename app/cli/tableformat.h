#pragma once

#include "io/tensorinfo.h"

#include <optional>
#include <string>

namespace vqcli {

// The file formats `export` and `convert` write a table in, chosen by the output's extension.
enum class TableFormat { Npy, Safetensors, Gguf };

// .npy, .safetensors or .gguf; nullopt for anything else.
std::optional<TableFormat> tableFormatOf(const std::string& path);

// The storage type for a table written in format: `text` (case-insensitive) when the format can hold
// it, else UsageError naming `option` and the types the format holds (npy: f32, f16; safetensors: f32,
// f16, bf16; GGUF: every writable ggml type). Returned in ggml's spelling ("f16", "q8_0").
std::string checkedType(TableFormat format, const std::string& text, const std::string& option);
// True when format can hold type (spelled as checkedType returns it, or as a file spells it: "BF16").
bool formatHolds(TableFormat format, const std::string& type);

// F32, F16 or BF16 for "f32", "f16", "bf16".
vq::DType floatDType(const std::string& type);

} // namespace vqcli
