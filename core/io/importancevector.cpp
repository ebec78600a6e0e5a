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
            "holds '" + h.descr + "' values; importance weights must be a float16/32/64 array");
    if (h.elementCount == 0 || h.shape.empty() || h.shape.size() > 2)
        throw Error(ErrorKind::InvalidArgument, path,
            "has shape " + shapeText(h.shape)
                + "; importance is one weight per column, shape (n,), or hidden states, shape (samples, n)");
    const bool vector = h.shape.size() == 1 || h.shape[0] == 1 || h.shape[1] == 1;
    if (!vector && h.fortranOrder)
        throw Error(ErrorKind::Unsupported, path, "stores its hidden states in Fortran order; save them C-ordered");
    // Rows of samples (1 for a vector) and n values in each; a vector is one row whatever its orientation.
    const auto n = vector ? static_cast<int64_t>(h.elementCount) : h.shape[1];
    const auto samples = vector ? int64_t(1) : h.shape[0];
    if (columns >= 0 && n != columns)
        throw Error(ErrorKind::InvalidArgument, path,
            (vector ? "holds " + std::to_string(n) + " weights"
                    : "holds hidden states of " + std::to_string(n) + " values")
                + "; the table has " + std::to_string(columns) + " columns");
    const auto data = file.bytes(h.dataOffset, h.elementCount * static_cast<uint64_t>(h.itemSize), "importance data");
    const bool swap = h.bigEndian != (std::endian::native == std::endian::big);
    const auto itemSize = static_cast<size_t>(h.itemSize);
    std::vector<double> sum(static_cast<size_t>(n), 0.0);
    for (int64_t s = 0; s < samples; ++s)
        for (int64_t j = 0; j < n; ++j) {
            const auto i = static_cast<size_t>(s * n + j);
            const float v = loadElement(data.data() + i * itemSize, h.itemSize, swap);
            if (!std::isfinite(v))
                throw Error(ErrorKind::InvalidArgument, path,
                    vector ? "weight " + std::to_string(j) + " is not finite"
                           : "hidden state " + std::to_string(s) + ", value " + std::to_string(j) + " is not finite");
            if (vector && v < 0)
                throw Error(ErrorKind::InvalidArgument, path,
                    "weight " + std::to_string(j) + " is negative (" + std::to_string(v) + "); weights must be >= 0");
            sum[static_cast<size_t>(j)] += vector ? double(v) : double(v) * double(v);
        }
    std::vector<float> w(sum.size());
    for (size_t j = 0; j < w.size(); ++j)
        w[j] = static_cast<float>(sum[j] / static_cast<double>(samples));
    return w;
}

} // namespace vq
