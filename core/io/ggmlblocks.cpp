#include "io/ggmlblocks.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "io/ggmlinternal.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace vq::ggml {

namespace detail {

void fail(const std::string& message)
{
    throw Error(ErrorKind::InvalidArgument, "", message);
}

} // namespace detail

namespace {

using detail::fail;
using T = GgmlType;

constexpr ParamLayout kNoParams {};
// Single-scale blocks of 32: x = d * code (q4_0, q5_0, q8_0) or d * code + m (q4_1, q5_1).
constexpr ParamLayout signedCodes(int bits)
{
    return { bits, true, false, 0, 0, false, MinKind::None, 0 };
}
constexpr ParamLayout codesPlusMin(int bits)
{
    return { bits, false, false, 0, 0, false, MinKind::Add, 0 };
}

// ggml's type table (ggml.c type_traits): name, values and bytes per block, what this module reads and
// writes, and the parameter form. Ids absent here are ones ggml removed (4, 5, 31-33, 36-38).
const std::vector<TypeTraits> kTypes = {
    { T::F32, "f32", 1, 4, true, true, false, kNoParams },
    { T::F16, "f16", 1, 2, true, true, false, kNoParams },
    { T::Q4_0, "q4_0", 32, 18, true, true, true, signedCodes(4) },
    { T::Q4_1, "q4_1", 32, 20, true, true, true, codesPlusMin(4) },
    { T::Q5_0, "q5_0", 32, 22, true, true, true, signedCodes(5) },
    { T::Q5_1, "q5_1", 32, 24, true, true, true, codesPlusMin(5) },
    { T::Q8_0, "q8_0", 32, 34, true, true, false, signedCodes(8) },
    { T::Q8_1, "q8_1", 32, 36, false, false, false, kNoParams },
    { T::Q2_K, "q2_K", 256, 84, true, true, true, { 2, false, false, 16, 4, false, MinKind::Subtract, 4 } },
    { T::Q3_K, "q3_K", 256, 110, true, true, true, { 3, true, false, 16, 6, true, MinKind::None, 0 } },
    { T::Q4_K, "q4_K", 256, 144, true, true, true, { 4, false, false, 32, 6, false, MinKind::Subtract, 6 } },
    { T::Q5_K, "q5_K", 256, 176, true, true, true, { 5, false, false, 32, 6, false, MinKind::Subtract, 6 } },
    { T::Q6_K, "q6_K", 256, 210, true, true, true, { 6, true, false, 16, 8, true, MinKind::None, 0 } },
    { T::Q8_K, "q8_K", 256, 292, false, false, false, kNoParams },
    { T::IQ2_XXS, "iq2_xxs", 256, 66, false, false, false, kNoParams },
    { T::IQ2_XS, "iq2_xs", 256, 74, false, false, false, kNoParams },
    { T::IQ3_XXS, "iq3_xxs", 256, 98, false, false, false, kNoParams },
    { T::IQ1_S, "iq1_s", 256, 50, false, false, false, kNoParams },
    { T::IQ4_NL, "iq4_nl", 32, 18, true, true, true, { 4, false, true, 0, 0, false, MinKind::None, 0 } },
    { T::IQ3_S, "iq3_s", 256, 110, false, false, false, kNoParams },
    { T::IQ2_S, "iq2_s", 256, 82, false, false, false, kNoParams },
    { T::IQ4_XS, "iq4_xs", 256, 136, true, true, true, { 4, false, true, 32, 6, true, MinKind::None, 0 } },
    { T::I8, "i8", 1, 1, false, false, false, kNoParams },
    { T::I16, "i16", 1, 2, false, false, false, kNoParams },
    { T::I32, "i32", 1, 4, false, false, false, kNoParams },
    { T::I64, "i64", 1, 8, false, false, false, kNoParams },
    { T::F64, "f64", 1, 8, true, false, false, kNoParams },
    { T::IQ1_M, "iq1_m", 256, 56, false, false, false, kNoParams },
    { T::BF16, "bf16", 1, 2, true, true, false, kNoParams },
    { T::TQ1_0, "tq1_0", 256, 54, true, true, false, kNoParams },
    { T::TQ2_0, "tq2_0", 256, 66, true, true, false, kNoParams },
    { T::MXFP4, "mxfp4", 32, 17, false, false, false, kNoParams },
    { T::NVFP4, "nvfp4", 64, 36, false, false, false, kNoParams },
    { T::Q1_0, "q1_0", 128, 18, false, false, false, kNoParams },
    { T::Q2_0, "q2_0", 64, 18, false, false, false, kNoParams },
};

void checkValueCount(GgmlType type, size_t values)
{
    const int64_t bv = blockValues(type);
    if (values % static_cast<size_t>(bv) != 0)
        fail(std::string(nameOf(type)) + " stores blocks of " + std::to_string(bv) + " values; "
            + std::to_string(values) + " values are not whole blocks");
}

void checkStored(GgmlType type, size_t bytes, size_t values, const char* verb)
{
    if (bytes != storedBytes(type, static_cast<int64_t>(values)))
        fail(std::string(nameOf(type)) + ": " + std::to_string(bytes) + " bytes " + verb + " " + std::to_string(values)
            + " values");
}

const ParamLayout& requireParams(GgmlType type)
{
    const ParamLayout& p = traits(type).params;
    if (p.codeBits == 0)
        fail(std::string(nameOf(type)) + " has no parameter form");
    return p;
}

bool isSingleScale(GgmlType type)
{
    return type == T::Q8_0 || type == T::Q4_0 || type == T::Q5_0;
}

void requireSingleScale(GgmlType type, const char* what)
{
    if (!isSingleScale(type))
        fail(std::string(what) + ": " + nameOf(type) + " is not a single-scale type (q8_0, q4_0, q5_0)");
}

} // namespace

const std::vector<TypeTraits>& allTypes()
{
    return kTypes;
}

const TypeTraits* findType(uint32_t id)
{
    const auto it = std::find_if(
        kTypes.begin(), kTypes.end(), [id](const TypeTraits& t) { return static_cast<uint32_t>(t.type) == id; });
    return it == kTypes.end() ? nullptr : &*it;
}

const TypeTraits& traits(GgmlType type)
{
    const TypeTraits* t = findType(static_cast<uint32_t>(type));
    if (!t)
        fail("ggml type id " + std::to_string(static_cast<uint32_t>(type)) + " is not defined by ggml");
    return *t;
}

std::optional<GgmlType> typeFromName(std::string_view name)
{
    for (const TypeTraits& t : kTypes) {
        const std::string_view n(t.name);
        if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
            }))
            return t.type;
    }
    return std::nullopt;
}

std::string readableTypeList()
{
    std::string list;
    for (const TypeTraits& t : kTypes)
        if (t.dequantizable)
            list += (list.empty() ? "" : ", ") + std::string(t.name);
    return list;
}

std::string unreadableReason(GgmlType type)
{
    switch (type) {
    case T::IQ2_XXS:
    case T::IQ2_XS:
    case T::IQ2_S:
    case T::IQ3_XXS:
    case T::IQ3_S:
    case T::IQ1_S:
    case T::IQ1_M:
        return "ggml's grid i-quants decode through large lookup grids that vqscope does not include";
    case T::Q8_1:
    case T::Q8_K:
        return "an intermediate format of ggml's matrix products, not found in model files";
    case T::I8:
    case T::I16:
    case T::I32:
    case T::I64:
        return "integers, not floats";
    default:
        return canDequantize(type) ? std::string() : std::string("not supported yet");
    }
}

const char* nameOf(GgmlType type)
{
    return traits(type).name;
}

int64_t blockValues(GgmlType type)
{
    return traits(type).blockValues;
}

size_t blockBytes(GgmlType type)
{
    return traits(type).blockBytes;
}

bool canDequantize(GgmlType type)
{
    return traits(type).dequantizable;
}

bool canQuantize(GgmlType type)
{
    return traits(type).quantizable;
}

size_t storedBytes(GgmlType type, int64_t values)
{
    if (values < 0)
        fail("negative value count");
    checkValueCount(type, static_cast<size_t>(values));
    return static_cast<size_t>(values / blockValues(type)) * blockBytes(type);
}

void dequantize(GgmlType type, std::span<const uint8_t> bytes, std::span<float> out)
{
    const TypeTraits& t = traits(type);
    if (!t.dequantizable)
        throw Error(ErrorKind::Unsupported, "",
            std::string("ggml type ") + t.name + " cannot be read (readable: " + readableTypeList() + ")");
    checkStored(type, bytes.size(), out.size(), "do not hold");
    const uint8_t* in = bytes.data();
    float* y = out.data();
    const size_t n = out.size();
    switch (type) {
    case T::F32:
        std::memcpy(y, in, n * sizeof(float));
        return;
    case T::F64:
        for (size_t i = 0; i < n; ++i) {
            double v;
            std::memcpy(&v, in + 8 * i, 8);
            y[i] = static_cast<float>(v);
        }
        return;
    case T::F16:
        for (size_t i = 0; i < n; ++i)
            y[i] = halfToFloat(detail::loadU16(in + 2 * i));
        return;
    case T::BF16:
        for (size_t i = 0; i < n; ++i)
            y[i] = bf16ToFloat(detail::loadU16(in + 2 * i));
        return;
    case T::TQ1_0:
        detail::dequantizeTq1_0(in, static_cast<int64_t>(n) / t.blockValues, y);
        return;
    case T::TQ2_0:
        detail::dequantizeTq2_0(in, static_cast<int64_t>(n) / t.blockValues, y);
        return;
    default:
        break;
    }
    const size_t blocks = n / static_cast<size_t>(t.blockValues);
    detail::Block b;
    for (size_t k = 0; k < blocks; ++k) {
        detail::unpackBlock(type, in + k * t.blockBytes, b);
        detail::dequantizeBlock(t.params, t.blockValues, b, y + k * static_cast<size_t>(t.blockValues));
    }
}

void quantize(GgmlType type, std::span<const float> in, std::span<uint8_t> out, std::span<const float> importance,
    Q4Rounding rounding)
{
    const TypeTraits& t = traits(type);
    if (!t.quantizable)
        throw Error(ErrorKind::Unsupported, "", std::string("ggml type ") + t.name + " cannot be written");
    checkStored(type, out.size(), in.size(), "cannot hold");
    const size_t n = in.size();
    switch (type) {
    case T::F32:
        std::memcpy(out.data(), in.data(), n * sizeof(float));
        return;
    case T::F16:
        for (size_t i = 0; i < n; ++i)
            detail::storeU16(out.data() + 2 * i, floatToHalf(in[i]));
        return;
    case T::BF16:
        for (size_t i = 0; i < n; ++i)
            detail::storeU16(out.data() + 2 * i, floatToBf16(in[i]));
        return;
    default:
        break;
    }
    int64_t rowLength = static_cast<int64_t>(n);
    const float* weights = nullptr;
    if (!importance.empty() && t.usesImportance) {
        rowLength = static_cast<int64_t>(importance.size());
        checkValueCount(type, importance.size());
        if (n % importance.size() != 0)
            fail(std::string(t.name) + ": " + std::to_string(n) + " values are not whole rows of the "
                + std::to_string(importance.size()) + " columns the importance vector has");
        weights = importance.data();
    }
    if (n == 0)
        return;
    detail::quantizeRows(
        type, in.data(), static_cast<int64_t>(n) / rowLength, rowLength, weights, rounding, out.data());
}

void quantize(GgmlType type, std::span<const float> in, std::span<uint8_t> out, Q4Rounding rounding)
{
    quantize(type, in, out, {}, rounding);
}

std::vector<uint8_t> quantize(GgmlType type, std::span<const float> in, Q4Rounding rounding)
{
    std::vector<uint8_t> out(storedBytes(type, static_cast<int64_t>(in.size())));
    quantize(type, in, out, rounding);
    return out;
}

ParamCounts paramCounts(GgmlType type, int64_t values)
{
    const ParamLayout& p = requireParams(type);
    const int64_t bv = blockValues(type);
    if (values < 0)
        fail("negative value count");
    checkValueCount(type, static_cast<size_t>(values));
    ParamCounts c;
    c.d = static_cast<size_t>(values / bv);
    c.m = p.minKind == MinKind::None ? 0 : c.d;
    c.scales = p.subValues > 0 ? static_cast<size_t>(values / p.subValues) : 0;
    c.mins = p.minKind == MinKind::Subtract ? c.scales : 0;
    c.codes = static_cast<size_t>(values);
    return c;
}

CodeRange codeRange(int bits, bool isSigned)
{
    return isSigned ? CodeRange { -(1 << (bits - 1)), (1 << (bits - 1)) - 1 } : CodeRange { 0, (1 << bits) - 1 };
}

void unpack(GgmlType type, std::span<const uint8_t> bytes, BlockParams& out)
{
    const TypeTraits& t = traits(type);
    requireParams(type);
    const size_t blocks = bytes.size() / t.blockBytes;
    if (bytes.size() % t.blockBytes != 0)
        fail(std::string(t.name) + ": " + std::to_string(bytes.size()) + " bytes are not whole blocks of "
            + std::to_string(t.blockBytes));
    const ParamCounts c = paramCounts(type, static_cast<int64_t>(blocks) * t.blockValues);
    out.d.resize(c.d);
    out.m.resize(c.m);
    out.scales.resize(c.scales);
    out.mins.resize(c.mins);
    out.codes.resize(c.codes);
    const size_t subPerBlock = c.scales / std::max<size_t>(blocks, 1);
    detail::Block b;
    for (size_t k = 0; k < blocks; ++k) {
        detail::unpackBlock(type, bytes.data() + k * t.blockBytes, b);
        out.d[k] = b.d;
        if (c.m)
            out.m[k] = b.m;
        std::copy_n(b.scales, subPerBlock, out.scales.begin() + static_cast<std::ptrdiff_t>(k * subPerBlock));
        if (c.mins)
            std::copy_n(b.mins, subPerBlock, out.mins.begin() + static_cast<std::ptrdiff_t>(k * subPerBlock));
        std::copy_n(b.codes, t.blockValues, out.codes.begin() + static_cast<std::ptrdiff_t>(k * t.blockValues));
    }
}

namespace {

// Block k of params in the internal form; checks every number against its range.
void gatherBlock(const TypeTraits& t, const BlockParams& params, size_t k, size_t subPerBlock, detail::Block& b)
{
    const ParamLayout& p = t.params;
    const auto check = [&](int v, int bits, bool isSigned, const char* what) {
        const CodeRange r = codeRange(bits, isSigned);
        if (v < r.lo || v > r.hi)
            fail(std::string(t.name) + ": " + what + " " + std::to_string(v) + " outside [" + std::to_string(r.lo)
                + ", " + std::to_string(r.hi) + "]");
    };
    b.d = params.d[k];
    b.m = params.m.empty() ? uint16_t(0) : params.m[k];
    for (size_t s = 0; s < subPerBlock; ++s) {
        b.scales[s] = params.scales[k * subPerBlock + s];
        check(b.scales[s], p.scaleBits, p.scaleSigned, "scale");
        b.mins[s] = params.mins.empty() ? int8_t(0) : params.mins[k * subPerBlock + s];
        if (!params.mins.empty())
            check(b.mins[s], p.minBits, false, "min");
    }
    const size_t bv = static_cast<size_t>(t.blockValues);
    for (size_t i = 0; i < bv; ++i) {
        b.codes[i] = params.codes[k * bv + i];
        check(b.codes[i], p.codeBits, p.codeSigned, "code");
    }
}

size_t checkedBlocks(const TypeTraits& t, const BlockParams& params)
{
    const size_t blocks = params.d.size();
    const ParamCounts c = paramCounts(t.type, static_cast<int64_t>(blocks) * t.blockValues);
    if (params.m.size() != c.m || params.scales.size() != c.scales || params.mins.size() != c.mins
        || params.codes.size() != c.codes)
        fail(
            std::string(t.name) + ": the parameter arrays do not describe " + std::to_string(blocks) + " whole blocks");
    return blocks;
}

} // namespace

void pack(GgmlType type, const BlockParams& params, std::span<uint8_t> out)
{
    const TypeTraits& t = traits(type);
    requireParams(type);
    const size_t blocks = checkedBlocks(t, params);
    if (out.size() != blocks * t.blockBytes)
        fail(std::string(t.name) + ": " + std::to_string(out.size()) + " bytes cannot hold " + std::to_string(blocks)
            + " blocks");
    const size_t subPerBlock = blocks == 0 ? 0 : params.scales.size() / blocks;
    detail::Block b;
    for (size_t k = 0; k < blocks; ++k) {
        gatherBlock(t, params, k, subPerBlock, b);
        detail::packBlock(type, b, out.data() + k * t.blockBytes);
    }
}

void dequantize(GgmlType type, const BlockParams& params, std::span<float> out)
{
    const TypeTraits& t = traits(type);
    requireParams(type);
    const size_t blocks = checkedBlocks(t, params);
    if (out.size() != params.codes.size())
        fail(std::string(t.name) + ": " + std::to_string(out.size()) + " outputs for "
            + std::to_string(params.codes.size()) + " values");
    const size_t subPerBlock = blocks == 0 ? 0 : params.scales.size() / blocks;
    detail::Block b;
    for (size_t k = 0; k < blocks; ++k) {
        gatherBlock(t, params, k, subPerBlock, b);
        detail::dequantizeBlock(t.params, t.blockValues, b, out.data() + k * static_cast<size_t>(t.blockValues));
    }
}

void quantizeParams(
    GgmlType type, std::span<const float> in, std::span<uint16_t> scales, std::span<int8_t> codes, Q4Rounding rounding)
{
    requireSingleScale(type, "quantizeParams");
    checkValueCount(type, in.size());
    if (codes.size() != in.size() || scales.size() != in.size() / kBlockValues)
        fail("quantizeParams: scales/codes sizes do not match the input");
    std::vector<uint8_t> bytes(storedBytes(type, static_cast<int64_t>(in.size())));
    quantize(type, in, bytes, rounding);
    unpackBlocks(type, bytes, scales, codes);
}

void dequantizeParams(std::span<const uint16_t> scales, std::span<const int8_t> codes, std::span<float> out)
{
    if (codes.size() % kBlockValues != 0)
        fail("dequantizeParams: " + std::to_string(codes.size()) + " codes are not whole blocks of 32");
    if (out.size() != codes.size() || scales.size() != codes.size() / kBlockValues)
        fail("dequantizeParams: scales/codes/out sizes do not match");
    for (size_t b = 0; b < scales.size(); ++b) {
        const float d = halfToFloat(scales[b]);
        for (int64_t j = 0; j < kBlockValues; ++j) {
            const size_t i = b * kBlockValues + static_cast<size_t>(j);
            out[i] = static_cast<float>(codes[i]) * d;
        }
    }
}

void packBlocks(GgmlType type, std::span<const uint16_t> scales, std::span<const int8_t> codes, std::span<uint8_t> out)
{
    requireSingleScale(type, "packBlocks");
    checkValueCount(type, codes.size());
    if (scales.size() != codes.size() / kBlockValues
        || out.size() != storedBytes(type, static_cast<int64_t>(codes.size())))
        fail("packBlocks: scales/codes/out sizes do not match");
    BlockParams p;
    p.d.assign(scales.begin(), scales.end());
    p.codes.assign(codes.begin(), codes.end());
    pack(type, p, out);
}

void unpackBlocks(GgmlType type, std::span<const uint8_t> bytes, std::span<uint16_t> scales, std::span<int8_t> codes)
{
    requireSingleScale(type, "unpackBlocks");
    checkValueCount(type, codes.size());
    if (scales.size() != codes.size() / kBlockValues
        || bytes.size() != storedBytes(type, static_cast<int64_t>(codes.size())))
        fail("unpackBlocks: bytes/scales/codes sizes do not match");
    BlockParams p;
    unpack(type, bytes, p);
    std::copy(p.d.begin(), p.d.end(), scales.begin());
    std::copy(p.codes.begin(), p.codes.end(), codes.begin());
}

} // namespace vq::ggml
