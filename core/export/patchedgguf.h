#pragma once

#include "export/patchedcheckpoint.h"

namespace vq {

// A copy of the GGUF file source in which only tensor options.tensorName is replaced by the decoded
// table stored as options.ggmlType (F16 by default; the rows must be whole blocks of the type).
//
// Every other tensor is copied byte for byte, in the same order, with offsets recomputed for the
// file's alignment (general.alignment, else 32); every key/value is copied byte for byte in the same
// order (general.file_type is left alone) and kEmbeddingKey ("vqscope.embedding") records how the new
// embedding was made: replaced in place when the source already has one, else appended. The output
// is GGUF v3 and written atomically (an existing output is untouched on any failure or cancel).
// result.tiedHead says the file has no output.weight: llama.cpp then uses the embedding as the output
// layer as well, so the replacement changes both.
// Reports stage "export" (fraction of data bytes written), honours cancel (vq::Cancelled).
// Errors: the reader's errors for a broken source; NotFound (no such tensor); Unsupported (a type
// that cannot be written, or a tensor of a ggml type whose size this build does not know);
// InvalidArgument (shape differs from the table's, rows not whole blocks, output is the source);
// WriteFailed naming the output.
PatchResult writePatchedGguf(const std::string& source, const std::string& output, const QuantizedTable& table,
    const PatchOptions& options, RunControl& control = nullRunControl());

} // namespace vq
