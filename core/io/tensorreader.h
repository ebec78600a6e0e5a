#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"
#include "io/tensorinfo.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vq {

// One checkpoint file (or sharded checkpoint) opened for reading. Opening parses and validates the
// header only; tensor data is read on demand. Every failure throws vq::Error naming the file.
// A reader is not thread-safe; use one per thread.
class TensorReader {
public:
    virtual ~TensorReader() = default;

    // What the user opened (for a sharded checkpoint: the index file or folder).
    virtual const std::string& path() const = 0;
    virtual std::string formatName() const = 0; // "safetensors", "safetensors (sharded)", "GGUF v3", "HDF5", "NumPy"
    virtual const std::vector<TensorInfo>& tensors() const = 0;
    virtual const std::vector<MetadataEntry>& metadata() const = 0;

    // Reads a 2-D tensor as float32, row-major {rows, cols} as listed in tensors(). Converts F16/BF16/F64
    // and dequantizes ggml blocks exactly as ggml does. Throws InvalidArgument for a non-2-D tensor,
    // Unsupported for a non-float dtype, NotFound for an unknown name. Reports progress as stage "read"
    // and honours control's cancel flag (throws vq::Cancelled).
    virtual Matrix readMatrix(const std::string& name, RunControl& control) const = 0;

    // Token strings stored in the file itself (GGUF tokenizer.ggml.tokens, an HDF5 string dataset),
    // with where they came from. Empty when the file has none.
    virtual std::vector<std::string> embeddedTokens(std::string* source) const
    {
        (void)source;
        return {};
    }

    const TensorInfo* find(const std::string& name) const;
};

// Opens path by content (magic bytes), falling back on the extension: .safetensors, a sharded
// checkpoint's model.safetensors.index.json or its folder, .gguf, .h5/.hdf5, .npy.
std::unique_ptr<TensorReader> openTensorFile(const std::string& path);

// Whether path is a regular file with an HDF5 signature (at 0 or after a user block), whatever its name.
bool isHdf5File(const std::string& path);

} // namespace vq
