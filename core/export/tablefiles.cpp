#include "export/tablefiles.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "io/atomicfile.h"
#include "io/safetensorswriter.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace vq {

static_assert(std::endian::native == std::endian::little, ".npy data is written little-endian");

namespace {

constexpr uint64_t kChunkValues = uint64_t(1) << 20;

void checkRows(const std::string& path, const TableRows& rows)
{
    if (rows.rows <= 0 || rows.dim <= 0 || !rows.read)
        throw Error(ErrorKind::InvalidArgument, path, "the table to write is empty");
}

// NumPy format 1.0 header, padded with spaces and a newline so the data starts at a multiple of 64 bytes
// (what numpy.save writes).
std::string npyHeader(const char* descr, int64_t rows, int64_t dim)
{
    std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': ("
        + std::to_string(rows) + ", " + std::to_string(dim) + "), }";
    const size_t unpadded = 10 + dict.size() + 1;
    dict.append((64 - unpadded % 64) % 64, ' ');
    dict += '\n';
    std::string out = "\x93NUMPY";
    out += '\x01';
    out += '\x00';
    const auto len = static_cast<uint16_t>(dict.size());
    out += static_cast<char>(len & 0xff);
    out += static_cast<char>(len >> 8);
    return out + dict;
}

} // namespace

TableRows matrixRows(const Matrix& m, RunControl& control)
{
    const uint64_t total = static_cast<uint64_t>(m.values.size());
    return { m.rows, m.cols, [&m, &control, total](uint64_t first, std::span<float> out) {
                control.throwIfCancelled();
                if (first > total || out.size() > total - first)
                    throw Error(
                        ErrorKind::InvalidArgument, {}, "element " + std::to_string(first) + " is past the table");
                std::memcpy(out.data(), m.values.data() + first, out.size_bytes());
                control.report("export", static_cast<double>(first + out.size()) / static_cast<double>(total));
            } };
}

void writeTableNpy(const std::string& path, const TableRows& rows, DType dtype, RunControl& control)
{
    checkRows(path, rows);
    if (dtype != DType::F32 && dtype != DType::F16)
        throw Error(ErrorKind::InvalidArgument, path, std::string(".npy files hold F32 or F16, not ") + nameOf(dtype));
    control.throwIfCancelled();
    control.report("export", 0.0);
    const bool half = dtype == DType::F16;
    AtomicFile file(path);
    const std::string header = npyHeader(half ? "<f2" : "<f4", rows.rows, rows.dim);
    file.write(header.data(), header.size());

    const auto dim = static_cast<uint64_t>(rows.dim);
    const uint64_t total = static_cast<uint64_t>(rows.rows) * dim;
    const uint64_t chunk = std::max<uint64_t>(1, kChunkValues / dim) * dim; // whole rows
    std::vector<float> values;
    std::vector<uint16_t> halves;
    for (uint64_t first = 0; first < total; first += chunk) {
        values.resize(static_cast<size_t>(std::min(chunk, total - first)));
        rows.read(first, values);
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

void writeTableSafetensors(const std::string& path, const TableRows& rows, const std::string& tensorName, DType dtype,
    const std::vector<std::pair<std::string, std::string>>& metadata, RunControl& control)
{
    checkRows(path, rows);
    if (dtype != DType::F32 && dtype != DType::F16 && dtype != DType::BF16)
        throw Error(ErrorKind::InvalidArgument, path,
            std::string("safetensors tables are written as F32, F16 or BF16, not ") + nameOf(dtype));
    control.throwIfCancelled();
    control.report("export", 0.0);
    SafetensorsWriter writer(path);
    for (const auto& [key, value] : metadata)
        writer.addMetadata(key, value);
    writer.addTensor(tensorName, dtype, { rows.rows, rows.dim }, rows.read);
    writer.write(control, {}); // progress comes from the rows; cancel is still checked
    control.report("export", 1.0);
}

void writeTableGguf(
    const std::string& path, const TableRows& rows, const GgufTableOptions& options, RunControl& control)
{
    checkRows(path, rows);
    const ggml::WritableType& type = ggml::requireWritableType(options.type, path);
    if (!options.tokens.empty() && static_cast<int64_t>(options.tokens.size()) != rows.rows)
        throw Error(ErrorKind::InvalidArgument, path,
            std::to_string(options.tokens.size()) + " token strings for a table of " + std::to_string(rows.rows)
                + " rows");
    control.throwIfCancelled();
    control.report("export", 0.0);
    GgufWriter writer(path);
    writer.add("general.architecture", GgufValue::string("vqscope"));
    if (!options.name.empty())
        writer.add("general.name", GgufValue::string(options.name));
    if (!options.tokens.empty())
        writer.add("tokenizer.ggml.tokens", GgufValue::stringArray(options.tokens));
    for (const auto& [key, value] : options.metadata)
        writer.set(key, value);
    writer.addTensor(options.tensorName, { rows.rows, rows.dim }, type, rows.read);
    writer.write(control, {});
    control.report("export", 1.0);
}

std::vector<std::string> ggufTypesFor(int64_t dim)
{
    std::vector<std::string> out;
    for (const ggml::WritableType& t : ggml::writableTypes())
        if (dim > 0 && dim % t.blockValues == 0)
            out.emplace_back(t.name);
    return out;
}

} // namespace vq
