#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"
#include "io/ggufwriter.h"
#include "io/tensorinfo.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace vq {

// A rows x dim float table streamed to a file writer, whatever holds it (a loaded matrix, a quantized
// table decoded block by block). read() fills out with elements [first, first + out.size()) of the
// row-major table; writers call it in order. The source reports progress (stage "export") and throws
// vq::Cancelled when its control is cancelled, so the writers below report only 0 and 1.
struct TableRows {
    int64_t rows = 0;
    int64_t dim = 0;
    std::function<void(uint64_t first, std::span<float> out)> read;
};

// The rows of m, which must outlive the result; reports "export" as the fraction of elements read and
// throws vq::Cancelled once control is cancelled.
TableRows matrixRows(const Matrix& m, RunControl& control);

// Writers of a whole table as one file. Each writes atomically (on any failure or cancel an existing
// file at path is untouched and nothing is left behind), checks control's cancel flag before making
// the file visible, and throws vq::Error naming path: InvalidArgument for an empty table or a type the
// format cannot hold, Unsupported for a GGUF type that cannot be written, WriteFailed for I/O.

// NumPy format 1.0, C order, shape (rows, dim), dtype F32 ('<f4') or F16 ('<f2').
void writeTableNpy(const std::string& path, const TableRows& rows, DType dtype, RunControl& control);

// safetensors with one tensor `tensorName` (rows x dim) stored as F32, F16 or BF16, and the given
// __metadata__ entries.
void writeTableSafetensors(const std::string& path, const TableRows& rows, const std::string& tensorName, DType dtype,
    const std::vector<std::pair<std::string, std::string>>& metadata, RunControl& control);

struct GgufTableOptions {
    std::string type = "f16"; // a writable ggml type (io/ggmlwritable.h)
    std::string tensorName = "token_embd.weight"; // llama.cpp's name for the token embedding
    std::string name; // general.name; empty: none
    std::vector<std::string> tokens; // tokenizer.ggml.tokens: empty, or one string per row
    std::vector<std::pair<std::string, GgufValue>> metadata; // further keys, after the standard ones
};

// A standalone GGUF v3 file: general.architecture "vqscope" (the file holds a table, not a model
// llama.cpp could run), general.name, tokenizer.ggml.tokens when given, then options.metadata, and the
// tensor (GGUF dims [dim, rows]) in options.type.
void writeTableGguf(
    const std::string& path, const TableRows& rows, const GgufTableOptions& options, RunControl& control);

// The GGUF types that suit a table of `dim` columns: every writable type whose block divides dim.
std::vector<std::string> ggufTypesFor(int64_t dim);

} // namespace vq
