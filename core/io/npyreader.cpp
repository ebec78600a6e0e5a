#include "io/npyreader.h"

#include "common/error.h"
#include "common/halffloat.h"

#include <atomic>
#include <bit>
#include <cstring>
#include <filesystem>
#include <omp.h>

namespace vq {

namespace {

template <class T> T loadRaw(const uint8_t* p, bool swap)
{
    T v;
    std::memcpy(&v, p, sizeof v);
    if (swap) {
        if constexpr (sizeof(T) == 2)
            v = __builtin_bswap16(v);
        else if constexpr (sizeof(T) == 4)
            v = __builtin_bswap32(v);
        else
            v = __builtin_bswap64(v);
    }
    return v;
}

struct F16 {
    static constexpr int size = 2;
    static float load(const uint8_t* p, bool swap) { return halfToFloat(loadRaw<uint16_t>(p, swap)); }
};
struct F32 {
    static constexpr int size = 4;
    static float load(const uint8_t* p, bool swap) { return std::bit_cast<float>(loadRaw<uint32_t>(p, swap)); }
};
struct F64 {
    static constexpr int size = 8;
    static float load(const uint8_t* p, bool swap)
    {
        return static_cast<float>(std::bit_cast<double>(loadRaw<uint64_t>(p, swap)));
    }
};

// Converts the stored array into out (row-major rows x cols). Work is split into chunks of whole
// stored lines (rows in C order, columns in Fortran order) so each chunk reads one contiguous byte
// range, which is released behind the conversion.
template <class Elem> void convert(const MappedFile& file, const NpyHeader& h, Matrix& out, RunControl& control)
{
    const int64_t rows = out.rows;
    const int64_t cols = out.cols;
    const bool swap = h.bigEndian != (std::endian::native == std::endian::big);
    const int64_t lines = h.fortranOrder ? cols : rows; // contiguous runs in the file
    const int64_t lineLen = h.fortranOrder ? rows : cols;
    const int64_t lineBytes = lineLen * Elem::size;
    const int64_t linesPerChunk = std::max<int64_t>(1, (int64_t(4) << 20) / std::max<int64_t>(1, lineBytes));
    const int64_t chunks = (lines + linesPerChunk - 1) / linesPerChunk;
    const uint8_t* base = file.data() + h.dataOffset;
    std::atomic<int64_t> done { 0 };
    const int threads = control.threads > 0 ? control.threads : omp_get_max_threads();

#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int64_t c = 0; c < chunks; ++c) {
        if (control.cancelled())
            continue;
        const int64_t first = c * linesPerChunk;
        const int64_t last = std::min(lines, first + linesPerChunk);
        if (!h.fortranOrder) {
            for (int64_t i = first; i < last; ++i) {
                const uint8_t* src = base + i * lineBytes;
                float* dst = out.row(i);
                for (int64_t j = 0; j < cols; ++j)
                    dst[j] = Elem::load(src + j * Elem::size, swap);
            }
        } else {
            // Column j of the table is stored contiguously; walk rows in tiles so the strided writes
            // stay within a few cache lines per column.
            constexpr int64_t tile = 64;
            for (int64_t i0 = 0; i0 < rows; i0 += tile) {
                const int64_t i1 = std::min(rows, i0 + tile);
                for (int64_t j = first; j < last; ++j) {
                    const uint8_t* src = base + j * lineBytes;
                    for (int64_t i = i0; i < i1; ++i)
                        out.values[static_cast<size_t>(i * cols + j)] = Elem::load(src + i * Elem::size, swap);
                }
            }
        }
        file.release(
            h.dataOffset + static_cast<uint64_t>(first * lineBytes), static_cast<uint64_t>((last - first) * lineBytes));
        const int64_t finished = done.fetch_add(1, std::memory_order_relaxed) + 1;
        control.report("read", static_cast<double>(finished) / static_cast<double>(chunks));
    }
    control.throwIfCancelled();
}

} // namespace

NpyReader::NpyReader(std::string path)
    : m_path(std::move(path))
    , m_file(m_path)
    , m_header(parseNpyHeader(m_file))
{
    TensorInfo info;
    info.name = std::filesystem::path(m_path).stem().string();
    info.dtype = m_header.dtype;
    info.dtypeName = m_header.descr;
    info.shape = m_header.shape;
    info.byteSize = m_header.elementCount * static_cast<uint64_t>(m_header.itemSize);
    info.file = m_path;
    m_tensors.push_back(std::move(info));
    m_metadata = {
        { "format_version", "str",
            std::to_string(m_header.majorVersion) + "." + std::to_string(m_header.minorVersion) },
        { "descr", "str", m_header.descr },
        { "fortran_order", "bool", m_header.fortranOrder ? "True" : "False" },
    };
}

Matrix NpyReader::readMatrix(const std::string& name, RunControl& control) const
{
    const TensorInfo& info = m_tensors.front();
    if (name != info.name)
        throw Error(
            ErrorKind::NotFound, m_path, "no tensor named '" + name + "' (this file holds '" + info.name + "')");
    if (!info.isMatrix())
        throw Error(ErrorKind::InvalidArgument, m_path,
            "'" + name + "' has " + std::to_string(info.shape.size()) + " dimensions; a table needs 2");
    if (!isLoadableFloat(info.dtype))
        throw Error(ErrorKind::Unsupported, m_path,
            "'" + name + "' holds " + nameOf(info.dtype) + " values (descr '" + m_header.descr
                + "'); only float16/32/64 arrays load as tables");
    control.throwIfCancelled();
    Matrix out(info.shape[0], info.shape[1]);
    control.report("read", 0.0);
    switch (info.dtype) {
    case DType::F16:
        convert<F16>(m_file, m_header, out, control);
        break;
    case DType::F32:
        convert<F32>(m_file, m_header, out, control);
        break;
    case DType::F64:
        convert<F64>(m_file, m_header, out, control);
        break;
    default:
        throw Error(ErrorKind::Unsupported, m_path, std::string("cannot convert ") + nameOf(info.dtype));
    }
    return out;
}

} // namespace vq
