#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vq {

// Element types found in checkpoint files. Only float types (and the ggml block types vq::ggml reads)
// load as tables; the rest are listed so a user sees the whole file.
enum class DType {
    F32,
    F16,
    BF16,
    F64,
    Q8_0,
    Q4_0,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    Bool,
    String,
    Other,
    // ggml block types beyond Q8_0/Q4_0 (io/ggmlblocks.h)
    Q4_1,
    Q5_0,
    Q5_1,
    Q2_K,
    Q3_K,
    Q4_K,
    Q5_K,
    Q6_K,
    IQ4_NL,
    IQ4_XS,
    TQ1_0,
    TQ2_0,
};

const char* nameOf(DType dtype);
// True for the types readMatrix() converts to float32.
bool isLoadableFloat(DType dtype);

// One tensor / dataset in a file.
struct TensorInfo {
    std::string name;
    DType dtype = DType::Other;
    std::string dtypeName; // as the file spells it ("BF16", "q4_0", "H5T_IEEE_F32LE", "<f4")
    // Logical shape, slowest-varying first (row-major / PyTorch order). GGUF's fastest-first dims are
    // reversed here: token_embd.weight stored [n_embd, n_vocab] is listed as {n_vocab, n_embd}.
    std::vector<int64_t> shape;
    uint64_t byteSize = 0; // bytes stored in the file (0 when unknown, e.g. compressed HDF5)
    std::string file; // the file that holds it (a shard for sharded checkpoints)

    int64_t elementCount() const;
    bool isMatrix() const { return shape.size() == 2; }
};

// Why readMatrix() refuses a tensor whose dtype is not loadable, as the rest of a sentence that begins
// with the tensor's name: "holds I32 values, not floats", or for a ggml type vqscope cannot decode "is
// iq2_xxs, which vqscope cannot read (...); readable ggml types: f32, f16, ...".
std::string unloadableReason(const TensorInfo& info);

// A key/value from a file's metadata (safetensors __metadata__, GGUF KVs, HDF5 attributes), as text.
struct MetadataEntry {
    std::string key;
    std::string type; // "str", "u32", "f32", "arr[str,512]" ...
    std::string value; // rendered; long arrays are abbreviated
};

} // namespace vq
