#pragma once

#include "common/runcontrol.h"
#include "io/embeddingtable.h"
#include "io/tensorinfo.h"
#include "quant/quantizedtable.h"

#include <string>

namespace vq {

// The decoded (dequantized) table written as a plain file, for evaluating the compressed table in
// another harness. Rows are decoded in blocks while the file is written: memory stays at one block of
// rows, never a second full table. Both functions report stage "export" (fraction of rows written),
// honour cancel (vq::Cancelled), and write atomically: on any failure or cancel no file is left behind
// and an existing file at path is untouched. Errors name path: InvalidArgument (dtype), WriteFailed.

struct DequantizedExportOptions {
    DType dtype = DType::F32; // .npy: F32 or F16; safetensors: F32, F16 or BF16 (round to nearest even)
    // Safetensors tensor name; empty: the source tensor's name, or "embedding" when there is none.
    std::string tensorName;
    int64_t blockRows = 1024; // rows decoded at a time
};

// A NumPy .npy file (format 1.0, C order, shape (rows, dim), '<f4' or '<f2').
void exportDequantizedNpy(const std::string& path, const QuantizedTable& table,
    const DequantizedExportOptions& options = {}, RunControl& control = nullRunControl());

// A .safetensors file with one tensor (rows x dim) and __metadata__ {"format": "pt", "vqscope.spec": spec
// JSON, "vqscope.source": source file, "vqscope.sourceChecksum": checksum of the source values}.
void exportDequantizedSafetensors(const std::string& path, const QuantizedTable& table, const TableSource& source,
    const DequantizedExportOptions& options = {}, RunControl& control = nullRunControl());

// The name exportDequantizedSafetensors uses.
std::string dequantizedTensorName(const DequantizedExportOptions& options, const TableSource& source);

} // namespace vq
