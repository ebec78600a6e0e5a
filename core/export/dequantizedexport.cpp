#include "export/dequantizedexport.h"

#include "export/rowblockdecoder.h"
#include "export/tablefiles.h"
#include "vq/version.h"

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

namespace vq {

namespace {

// The decoded rows, block by block; the decoder reports "export" and checks cancel per block.
TableRows decodedRows(RowBlockDecoder& decoder, const QuantizedTable& table)
{
    return { table.rows, table.dim, [&decoder](uint64_t first, std::span<float> out) { decoder.read(first, out); } };
}

} // namespace

std::string dequantizedTensorName(const DequantizedExportOptions& options, const TableSource& source)
{
    if (!options.tensorName.empty())
        return options.tensorName;
    return source.tensor.empty() ? "embedding" : source.tensor;
}

void exportDequantizedNpy(
    const std::string& path, const QuantizedTable& table, const DequantizedExportOptions& options, RunControl& control)
{
    RowBlockDecoder decoder(table, options.blockRows, control);
    writeTableNpy(path, decodedRows(decoder, table), options.dtype, control);
}

void exportDequantizedSafetensors(const std::string& path, const QuantizedTable& table, const TableSource& source,
    const DequantizedExportOptions& options, RunControl& control)
{
    std::vector<std::pair<std::string, std::string>> metadata { { "format", "pt" },
        { "vqscope.spec", table.spec.toJson().dump() } };
    if (!source.file.empty())
        metadata.emplace_back("vqscope.source", source.file);
    if (!source.checksum.empty())
        metadata.emplace_back("vqscope.sourceChecksum", source.checksum);
    RowBlockDecoder decoder(table, options.blockRows, control);
    writeTableSafetensors(
        path, decodedRows(decoder, table), dequantizedTensorName(options, source), options.dtype, metadata, control);
}

void exportDequantizedGguf(const std::string& path, const QuantizedTable& table, const TableSource& source,
    const DequantizedExportOptions& options, RunControl& control)
{
    GgufTableOptions gguf;
    gguf.type = options.ggmlType;
    if (!options.tensorName.empty())
        gguf.tensorName = options.tensorName;
    gguf.name = "vqscope " + table.spec.method + " embedding";
    gguf.tokens = options.tokens;
    gguf.metadata.emplace_back(kEmbeddingKey, GgufValue::string(embeddingRecord(table, source, options.ggmlType)));
    RowBlockDecoder decoder(table, options.blockRows, control);
    writeTableGguf(path, decodedRows(decoder, table), gguf, control);
}

std::string embeddingRecord(const QuantizedTable& table, const TableSource& source, std::string_view storedAs)
{
    nlohmann::ordered_json j;
    j["method"] = table.spec.method;
    j["spec"] = table.spec.params;
    j["bitsPerParam"] = table.bits().bitsPerParam();
    j["storedAs"] = std::string(storedAs);
    j["sourceFile"] = std::filesystem::path(source.file).filename().string();
    j["sourceTensor"] = source.tensor;
    j["sourceChecksum"] = source.checksum;
    j["appVersion"] = kVersion;
    return j.dump();
}

} // namespace vq
