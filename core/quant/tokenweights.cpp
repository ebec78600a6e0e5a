#include "quant/tokenweights.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "io/mappedfile.h"
#include "io/npyheader.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vq {

namespace {

std::string lineRef(size_t index)
{
    return "line " + std::to_string(index + 1);
}

// Normalises to mean 1 in double, so rounding does not depend on the order of a sum of floats.
std::vector<float> normalise(const std::vector<double>& counts, const std::string& source)
{
    double sum = 0;
    for (const double c : counts)
        sum += c;
    if (!(sum > 0) || !std::isfinite(sum))
        throw Error(ErrorKind::InvalidArgument, source,
            !(sum > 0) ? "every token weight is zero" : "token weights sum to infinity");
    const double scale = static_cast<double>(counts.size()) / sum;
    std::vector<float> out(counts.size());
    for (size_t i = 0; i < counts.size(); ++i)
        out[i] = static_cast<float>(counts[i] * scale);
    return out;
}

void checkRows(int64_t rows, const std::string& source)
{
    if (rows <= 0)
        throw Error(
            ErrorKind::InvalidArgument, source, "token weights need a table with rows, got " + std::to_string(rows));
}

bool hasNpyMagic(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    char magic[6] = {};
    return in.read(magic, 6) && std::memcmp(magic, "\x93NUMPY", 6) == 0;
}

// One element of a .npy array as a double, any numeric dtype, either byte order.
double npyElement(const uint8_t* p, const NpyHeader& h)
{
    uint8_t b[8] = {};
    std::memcpy(b, p, static_cast<size_t>(h.itemSize));
    if (h.bigEndian)
        std::reverse(b, b + h.itemSize);
    uint64_t u = 0;
    for (int i = h.itemSize - 1; i >= 0; --i)
        u = (u << 8) | b[i];
    switch (h.dtype) {
    case DType::F16:
        return halfToFloat(static_cast<uint16_t>(u));
    case DType::F32:
        return std::bit_cast<float>(static_cast<uint32_t>(u));
    case DType::F64:
        return std::bit_cast<double>(u);
    case DType::I8:
        return static_cast<int8_t>(u);
    case DType::I16:
        return static_cast<int16_t>(u);
    case DType::I32:
        return static_cast<int32_t>(u);
    case DType::I64:
        return static_cast<double>(static_cast<int64_t>(u));
    case DType::U8:
    case DType::U16:
    case DType::U32:
    case DType::U64:
    case DType::Bool:
        return static_cast<double>(u);
    default:
        return 0;
    }
}

// A vector of counts: shape (V,), (V, 1) or (1, V) of any integer or float dtype.
std::vector<double> readNpyCounts(const std::string& path)
{
    const MappedFile file(path);
    const NpyHeader h = parseNpyHeader(file);
    const bool numeric = h.dtype == DType::F16 || h.dtype == DType::F32 || h.dtype == DType::F64 || h.dtype == DType::I8
        || h.dtype == DType::I16 || h.dtype == DType::I32 || h.dtype == DType::I64 || h.dtype == DType::U8
        || h.dtype == DType::U16 || h.dtype == DType::U32 || h.dtype == DType::U64;
    if (!numeric || h.itemSize < 1 || h.itemSize > 8)
        throw Error(ErrorKind::Unsupported, path, "token counts of dtype '" + h.descr + "'; expected numbers");
    const bool vector = h.shape.size() == 1 || (h.shape.size() == 2 && (h.shape[0] == 1 || h.shape[1] == 1));
    if (!vector)
        throw Error(ErrorKind::InvalidArgument, path,
            "token counts must be a vector, got " + std::to_string(h.shape.size()) + " dimensions");
    const auto data = file.bytes(h.dataOffset, h.elementCount * static_cast<uint64_t>(h.itemSize), "token counts");
    std::vector<double> counts(h.elementCount);
    for (size_t i = 0; i < counts.size(); ++i)
        counts[i] = npyElement(data.data() + i * static_cast<size_t>(h.itemSize), h);
    return counts;
}

} // namespace

std::vector<float> tokenWeightsFromCounts(const std::vector<double>& counts, int64_t rows, const std::string& source)
{
    checkRows(rows, source);
    for (size_t i = 0; i < counts.size(); ++i) {
        if (!std::isfinite(counts[i]) || counts[i] < 0)
            throw Error(ErrorKind::Malformed, source,
                "value " + std::to_string(counts[i]) + " at index " + std::to_string(i)
                    + " is not a finite count >= 0");
    }
    if (counts.size() != static_cast<size_t>(rows))
        throw Error(ErrorKind::InvalidArgument, source,
            "has " + std::to_string(counts.size()) + " token weights, the table has " + std::to_string(rows) + " rows");
    return normalise(counts, source);
}

std::vector<float> loadTokenWeights(const std::string& path, int64_t rows)
{
    checkRows(rows, path);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        throw Error(ErrorKind::NotFound, path, "no such file");
    if (std::filesystem::is_directory(path, ec))
        throw Error(ErrorKind::Unreadable, path, "is a directory, expected a file of token counts");
    if (hasNpyMagic(path))
        return tokenWeightsFromCounts(readNpyCounts(path), rows, path);
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(ErrorKind::Unreadable, path, "cannot open the file");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    if (text.empty())
        throw Error(ErrorKind::Empty, path, "the file is empty");

    std::vector<double> counts;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        std::string_view line(text.data() + start, end - start);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
            line.remove_prefix(1);
        const size_t index = counts.size();
        if (line.empty())
            throw Error(ErrorKind::Malformed, path, lineRef(index) + " is empty; expected one count per line");
        double v = 0;
        const auto [ptr, err] = std::from_chars(line.data(), line.data() + line.size(), v);
        if (err != std::errc() || ptr != line.data() + line.size())
            throw Error(ErrorKind::Malformed, path, lineRef(index) + ": '" + std::string(line) + "' is not a number");
        if (!std::isfinite(v) || v < 0)
            throw Error(
                ErrorKind::Malformed, path, lineRef(index) + ": " + std::string(line) + " is not a finite count >= 0");
        counts.push_back(v);
        start = end + 1;
    }
    if (counts.size() != static_cast<size_t>(rows))
        throw Error(ErrorKind::InvalidArgument, path,
            "has " + std::to_string(counts.size()) + " lines of counts, the table has " + std::to_string(rows)
                + " rows");
    return normalise(counts, path);
}

std::vector<float> zipfTokenWeights(int64_t rows, double s)
{
    checkRows(rows, {});
    if (!std::isfinite(s) || s < 0 || s > 10)
        throw Error(ErrorKind::InvalidArgument, {}, "Zipf exponent s = " + std::to_string(s) + " is outside [0, 10]");
    std::vector<double> f(static_cast<size_t>(rows));
    for (size_t t = 0; t < f.size(); ++t)
        f[t] = std::pow(static_cast<double>(t + 1), -s);
    return normalise(f, "Zipf prior");
}

} // namespace vq
