#include "export/dequantizedexport.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "export/rowblockdecoder.h"
#include "io/atomicfile.h"
#include "io/npywriter.h"
#include "io/safetensorswriter.h"

#include <bit>

namespace vq {

static_assert(std::endian::native == std::endian::little, ".npy data is written little-endian");

namespace {

void checkTable(const std::string& path, const QuantizedTable& table)
{
    if (table.rows <= 0 || table.dim <= 0)
        throw Error(ErrorKind::InvalidArgument, path, "the quantized table is empty");
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
    checkTable(path, table);
    if (options.dtype != DType::F32 && options.dtype != DType::F16)
        throw Error(ErrorKind::InvalidArgument, path,
            std::string(".npy export writes F32 or F16, not ") + nameOf(options.dtype));
    control.throwIfCancelled();
    control.report("export", 0.0);
    const bool half = options.dtype == DType::F16;
    AtomicFile file(path);
    const std::string header = npyHeader(half ? "<f2" : "<f4", table.rows, table.dim);
    file.write(header.data(), header.size());

    RowBlockDecoder decoder(table, options.blockRows, control);
    const int64_t blockRows = std::max<int64_t>(1, options.blockRows);
    std::vector<float> values;
    std::vector<uint16_t> halves;
    for (int64_t begin = 0; begin < table.rows; begin += blockRows) {
        const int64_t end = std::min(begin + blockRows, table.rows);
        values.resize(static_cast<size_t>((end - begin) * table.dim));
        decoder.read(static_cast<uint64_t>(begin * table.dim), values);
        if (!half) {
            file.write(values.data(), values.size() * sizeof(float));
            continue;
        }
        halves.resize(values.size());
        for (size_t i = 0; i < values.size(); ++i)
            halves[i] = floatToHalf(values[i]);
        file.write(halves.data(), halves.size() * sizeof(uint16_t));
    }
    control.throwIfCancelled();
    file.commit();
    control.report("export", 1.0);
}

void exportDequantizedSafetensors(const std::string& path, const QuantizedTable& table, const TableSource& source,
    const DequantizedExportOptions& options, RunControl& control)
{
    checkTable(path, table);
    if (options.dtype != DType::F32 && options.dtype != DType::F16 && options.dtype != DType::BF16)
        throw Error(ErrorKind::InvalidArgument, path,
            std::string("safetensors export writes F32, F16 or BF16, not ") + nameOf(options.dtype));
    control.throwIfCancelled();
    control.report("export", 0.0);
    SafetensorsWriter writer(path);
    writer.addMetadata("format", "pt");
    writer.addMetadata("vqscope.spec", table.spec.toJson().dump());
    if (!source.file.empty())
        writer.addMetadata("vqscope.source", source.file);
    if (!source.checksum.empty())
        writer.addMetadata("vqscope.sourceChecksum", source.checksum);
    RowBlockDecoder decoder(table, options.blockRows, control);
    writer.addTensor(dequantizedTensorName(options, source), options.dtype, { table.rows, table.dim },
        [&decoder](uint64_t first, std::span<float> out) { decoder.read(first, out); });
    writer.write(nullRunControl()); // progress and cancel come from the decoder
    control.report("export", 1.0);
}

} // namespace vq
