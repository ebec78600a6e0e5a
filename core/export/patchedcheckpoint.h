#pragma once

#include "common/runcontrol.h"
#include "io/embeddingtable.h"
#include "quant/quantizedtable.h"

#include <string>
#include <vector>

namespace vq {

// A copy of a checkpoint (safetensors or llama.cpp GGUF) in which only the embedding tensor is replaced
// by the decoded table, so the compressed model can be evaluated with standard tools.
//
// source is one of:
//  - a GGUF file: output is a GGUF file, see writePatchedGguf (export/patchedgguf.h).
//  - a .safetensors file: output is a file. It holds every tensor of the source; the embedding is the
//    decoded table stored at the source dtype (F32/F16/BF16, round to nearest even), every other tensor
//    byte for byte, and __metadata__ the same keys and values.
//  - a model.safetensors.index.json, or a folder holding an index or a single .safetensors file: output
//    is a folder. The shard holding the embedding is rewritten as above; every other regular file at the
//    top of the source folder (the other shards, the index, config.json, tokenizer.json ...) is copied
//    byte for byte. Subfolders are not copied (Hugging Face repositories keep second copies of the
//    weights there, e.g. original/, which would not be patched).
// The output is built beside its target and moved into place at the end: a file atomically; a folder
// is renamed into place, and an existing output folder must be empty (a non-empty one is refused rather
// than replaced). On any failure or cancel nothing is left behind and an existing target is untouched.
// Reports stage "export" (fraction of bytes written), honours cancel (vq::Cancelled).
// Errors: the readers' errors for a broken source; NotFound (no such tensor, no checkpoint in a folder);
// Unsupported (embedding dtype not F32/F16/BF16); InvalidArgument (shape differs from the table's,
// output is the source); WriteFailed naming the output.
struct PatchOptions {
    std::string tensorName; // the embedding tensor to replace, e.g. "model.embed_tokens.weight"
    int64_t blockRows = 1024; // rows decoded at a time
    // GGUF sources only: how the new embedding is stored (a writable ggml type, io/ggmlwritable.h) and the
    // table it was made from, recorded in the file (dequantizedexport.h: embeddingRecord).
    std::string ggmlType = "f16";
    TableSource tableSource {};
};

struct PatchResult {
    std::string output; // the file or folder written
    std::string rewritten; // the file holding the new embedding
    std::vector<std::string> copied; // files copied unchanged (folder output)
    // GGUF: the model has no output.weight, so llama.cpp uses the replaced tensor as its output layer too.
    bool tiedHead = false;
};

PatchResult writePatchedCheckpoint(const std::string& source, const std::string& output, const QuantizedTable& table,
    const PatchOptions& options, RunControl& control = nullRunControl());

} // namespace vq
