#include "io/importancevector.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "io/mappedfile.h"
#include "io/npyheader.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace vq {

namespace {

float loadElement(const uint8_t* p, int size, bool swap)
{
    uint64_t raw = 0;
    std::memcpy(&raw, p, static_cast<size_t>(size));
    if (swap)
        raw = __builtin_bswap64(raw) >> (64 - 8 * size);
    if (size == 2)
        return halfToFloat(static_cast<uint16_t>(raw));
    if (size == 4)
        return std::bit_cast<float>(static_cast<uint32_t>(raw));
    return static_cast<float>(std::bit_cast<double>(raw));
}

std::string shapeText(const std::vector<int64_t>& shape)
{
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

} // namespace

std::vector<float> readImportanceVector(const std::string& path, int64_t columns)
{
    const MappedFile file(path);
    const NpyHeader h = parseNpyHeader(file);
    if (h.dtype != DType::F16 && h.dtype != DType::F32 && h.dtype != DType::F64)
        throw Error(ErrorKind::Unsupported, path,
            "holds '" + h.descr + "' values; an importance vector must be a float16/32/64 array");
    const bool vector = h.shape.size() == 1 || (h.shape.size() == 2 && (h.shape[0] == 1 || h.shape[1] == 1));
    if (!vector || h.elementCount == 0)
        throw Error(ErrorKind::InvalidArgument, path,
            "has shape " + shapeText(h.shape) + "; an importance vector is one weight per column, shape (n,)");
    const auto n = static_cast<int64_t>(h.elementCount);
    if (columns >= 0 && n != columns)
        throw Error(ErrorKind::InvalidArgument, path,
            "holds " + std::to_string(n) + " weights; the table has " + std::to_string(columns) + " columns");
    const auto data = file.bytes(h.dataOffset, h.elementCount * static_cast<uint64_t>(h.itemSize), "importance data");
    const bool swap = h.bigEndian != (std::endian::native == std::endian::big);
    std::vector<float> w(static_cast<size_t>(n));
    for (size_t i = 0; i < w.size(); ++i) {
        w[i] = loadElement(data.data() + i * static_cast<size_t>(h.itemSize), h.itemSize, swap);
        if (!std::isfinite(w[i]))
            throw Error(ErrorKind::InvalidArgument, path, "weight " + std::to_string(i) + " is not finite");
        if (w[i] < 0)
            throw Error(ErrorKind::InvalidArgument, path,
                "weight " + std::to_string(i) + " is negative (" + std::to_string(w[i]) + "); weights must be >= 0");
    }
    return w;
}

} // namespace vq
