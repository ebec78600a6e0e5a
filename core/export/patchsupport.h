#pragma once

#include "io/tensorinfo.h"
#include "quant/quantizedtable.h"

#include <string>

namespace vq::patch {

// What the patched-checkpoint writers (safetensors and GGUF) share.

// The checks every patch request passes first: a tensor to replace, a non-empty table, an output path.
// Throws InvalidArgument naming source, or WriteFailed for an empty output.
void checkRequest(
    const std::string& source, const std::string& output, const QuantizedTable& table, const std::string& tensorName);

// True when a and b name the same existing file or folder.
bool samePath(const std::string& a, const std::string& b);

// Throws InvalidArgument naming file when tensor is not rows x dim like the quantized table.
void checkSameShape(const std::string& file, const TensorInfo& tensor, const QuantizedTable& table);

// True when path is a regular file starting with the GGUF magic.
bool isGgufFile(const std::string& path);

} // namespace vq::patch
