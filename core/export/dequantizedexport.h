#pragma once

#include "common/runcontrol.h"
#include "io/embeddingtable.h"
#include "io/tensorinfo.h"
#include "quant/quantizedtable.h"

#include <string>
#include <string_view>
#include <vector>

namespace vq {

// The decoded (dequantized) table written as a plain file, for evaluating the compressed table in
// another harness. Rows are decoded in blocks while the file is written: memory stays at one block of
// rows (and one chunk of encoded output), never a second full table. Every function reports stage
// "export" (fraction of rows decoded), honours cancel (vq::Cancelled), and writes atomically: on any
// failure or cancel no file is left behind and an existing file at path is untouched. Errors name path:
// InvalidArgument (dtype, shape), Unsupported (a GGUF type that cannot be written), WriteFailed.

struct DequantizedExportOptions {
    DType dtype = DType::F32; // .npy: F32 or F16; safetensors: F32, F16 or BF16 (round to nearest even)
    // Tensor name; empty: safetensors the source tensor's name (or "embedding" when there is none),
    // GGUF "token_embd.weight".
    std::string tensorName;
    int64_t blockRows = 1024; // rows decoded at a time
    std::string ggmlType = "f16"; // GGUF: how the table is stored, a writable ggml type (io/ggmlwritable.h)
    std::vector<std::string> tokens; // GGUF: tokenizer.ggml.tokens, empty or one string per row
};

// A NumPy .npy file (format 1.0, C order, shape (rows, dim), '<f4' or '<f2').
void exportDequantizedNpy(const std::string& path, const QuantizedTable& table,
    const DequantizedExportOptions& options = {}, RunControl& control = nullRunControl());

// A .safetensors file with one tensor (rows x dim) and __metadata__ {"format": "pt", "vqscope.spec": spec
// JSON, "vqscope.source": source file, "vqscope.sourceChecksum": checksum of the source values}.
void exportDequantizedSafetensors(const std::string& path, const QuantizedTable& table, const TableSource& source,
    const DequantizedExportOptions& options = {}, RunControl& control = nullRunControl());

// A standalone GGUF file (see writeTableGguf) holding the table as options.ggmlType, the tokens, and
// kEmbeddingKey recording how it was made (embeddingRecord).
void exportDequantizedGguf(const std::string& path, const QuantizedTable& table, const TableSource& source,
    const DequantizedExportOptions& options = {}, RunControl& control = nullRunControl());

// The name exportDequantizedSafetensors uses.
std::string dequantizedTensorName(const DequantizedExportOptions& options, const TableSource& source);

// The GGUF key that records how an embedding written by vqscope was made.
inline constexpr const char* kEmbeddingKey = "vqscope.embedding";
// Its value, compact JSON: {"method", "spec" (the resolved parameters), "bitsPerParam" (all-in, as
// stored by the method), "storedAs" (the ggml type written), "sourceFile" (file name only),
// "sourceTensor", "sourceChecksum", "appVersion"}.
std::string embeddingRecord(const QuantizedTable& table, const TableSource& source, std::string_view storedAs);

} // namespace vq
