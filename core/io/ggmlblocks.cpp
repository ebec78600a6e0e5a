#include "io/ggmlblocks.h"

#include "common/error.h"
#include "common/halffloat.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace vq::ggml {

namespace {

constexpr int64_t kHalf = kBlockValues / 2;

void require(bool ok, const std::string& message)
{
    if (!ok)
        throw Error(ErrorKind::InvalidArgument, "", message);
}

void checkValueCount(size_t values)
{
    require(values % kBlockValues == 0,
        "ggml block quantization needs a multiple of 32 values, got " + std::to_string(values));
}

uint16_t loadHalf(const uint8_t* p)
{
    return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

void storeHalf(uint8_t* p, uint16_t h)
{
    p[0] = static_cast<uint8_t>(h & 0xffu);
    p[1] = static_cast<uint8_t>(h >> 8);
}

// One block of 32 values; d is the fp16 scale, q the signed codes.
void quantizeBlockQ8_0(const float* x, uint16_t& d16, int8_t* q)
{
    float amax = 0.0f;
    for (int64_t j = 0; j < kBlockValues; ++j)
        amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    d16 = floatToHalf(d);
    for (int64_t j = 0; j < kBlockValues; ++j) {
        const float r = std::round(x[j] * id); // roundf: halves away from zero, as ggml
        // |r| <= 127 for finite input; the guard only keeps NaN/Inf out of an undefined cast.
        q[j] = std::isnan(r) ? int8_t(0) : static_cast<int8_t>(std::clamp(r, -128.0f, 127.0f));
    }
}

void quantizeBlockQ4_0(const float* x, uint16_t& d16, int8_t* q, Q4Rounding rounding)
{
    float amax = 0.0f;
    float max = 0.0f;
    for (int64_t j = 0; j < kBlockValues; ++j) {
        if (amax < std::fabs(x[j])) { // strict: the first of equal magnitudes wins, as ggml
            amax = std::fabs(x[j]);
            max = x[j];
        }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    d16 = floatToHalf(d);
    for (int64_t j = 0; j < kBlockValues; ++j) {
        float v;
        if (rounding == Q4Rounding::Fused) {
            // The product of two floats is exact in double; one rounding to float after the add is
            // what an FMA gives (and what gguf-py computes).
            v = static_cast<float>(static_cast<double>(x[j]) * static_cast<double>(id) + 8.5);
        } else {
            const float scaled = x[j] * id;
            v = scaled + 8.5f;
        }
        // v is in [0.5, 16.5] for finite input; NaN maps to the zero code (nibble 8).
        const float t = std::isnan(v) ? 8.0f : std::trunc(std::clamp(v, 0.0f, 15.0f));
        q[j] = static_cast<int8_t>(static_cast<int>(t) - 8);
    }
}

void quantizeBlock(BlockType type, const float* x, uint16_t& d16, int8_t* q, Q4Rounding rounding)
{
    if (type == BlockType::Q8_0)
        quantizeBlockQ8_0(x, d16, q);
    else
        quantizeBlockQ4_0(x, d16, q, rounding);
}

void packBlock(BlockType type, uint16_t d16, const int8_t* q, uint8_t* out)
{
    storeHalf(out, d16);
    if (type == BlockType::Q8_0) {
        for (int64_t j = 0; j < kBlockValues; ++j)
            out[2 + j] = static_cast<uint8_t>(q[j]);
        return;
    }
    for (int64_t j = 0; j < kHalf; ++j) {
        const int lo = q[j] + 8;
        const int hi = q[j + kHalf] + 8;
        out[2 + j] = static_cast<uint8_t>(lo | (hi << 4));
    }
}

void unpackBlock(BlockType type, const uint8_t* in, uint16_t& d16, int8_t* q)
{
    d16 = loadHalf(in);
    if (type == BlockType::Q8_0) {
        for (int64_t j = 0; j < kBlockValues; ++j)
            q[j] = static_cast<int8_t>(in[2 + j]);
        return;
    }
    for (int64_t j = 0; j < kHalf; ++j) {
        q[j] = static_cast<int8_t>((in[2 + j] & 0x0f) - 8);
        q[j + kHalf] = static_cast<int8_t>((in[2 + j] >> 4) - 8);
    }
}

} // namespace

const char* nameOf(BlockType type)
{
    return type == BlockType::Q8_0 ? "q8_0" : "q4_0";
}

size_t blockBytes(BlockType type)
{
    return type == BlockType::Q8_0 ? kQ8_0BlockBytes : kQ4_0BlockBytes;
}

size_t storedBytes(BlockType type, int64_t values)
{
    require(values >= 0, "negative value count");
    checkValueCount(static_cast<size_t>(values));
    return static_cast<size_t>(values / kBlockValues) * blockBytes(type);
}

void dequantize(BlockType type, std::span<const uint8_t> bytes, std::span<float> out)
{
    const size_t bb = blockBytes(type);
    require(bytes.size() == storedBytes(type, static_cast<int64_t>(out.size())),
        std::string(nameOf(type)) + ": " + std::to_string(bytes.size()) + " bytes do not hold "
            + std::to_string(out.size()) + " values");
    const size_t blocks = bytes.size() / bb;
    for (size_t b = 0; b < blocks; ++b) {
        const uint8_t* in = bytes.data() + b * bb;
        float* y = out.data() + b * kBlockValues;
        const float d = halfToFloat(loadHalf(in));
        if (type == BlockType::Q8_0) {
            for (int64_t j = 0; j < kBlockValues; ++j)
                y[j] = static_cast<float>(static_cast<int8_t>(in[2 + j])) * d;
        } else {
            for (int64_t j = 0; j < kHalf; ++j) {
                y[j] = static_cast<float>((in[2 + j] & 0x0f) - 8) * d;
                y[j + kHalf] = static_cast<float>((in[2 + j] >> 4) - 8) * d;
            }
        }
    }
}

void quantize(BlockType type, std::span<const float> in, std::span<uint8_t> out, Q4Rounding rounding)
{
    require(out.size() == storedBytes(type, static_cast<int64_t>(in.size())),
        std::string(nameOf(type)) + ": " + std::to_string(out.size()) + " bytes cannot hold "
            + std::to_string(in.size()) + " values");
    const size_t bb = blockBytes(type);
    const size_t blocks = in.size() / kBlockValues;
    int8_t q[kBlockValues];
    for (size_t b = 0; b < blocks; ++b) {
        uint16_t d16 = 0;
        quantizeBlock(type, in.data() + b * kBlockValues, d16, q, rounding);
        packBlock(type, d16, q, out.data() + b * bb);
    }
}

std::vector<uint8_t> quantize(BlockType type, std::span<const float> in, Q4Rounding rounding)
{
    std::vector<uint8_t> out(storedBytes(type, static_cast<int64_t>(in.size())));
    quantize(type, in, out, rounding);
    return out;
}

void quantizeParams(
    BlockType type, std::span<const float> in, std::span<uint16_t> scales, std::span<int8_t> codes, Q4Rounding rounding)
{
    checkValueCount(in.size());
    require(codes.size() == in.size() && scales.size() == in.size() / kBlockValues,
        "quantizeParams: scales/codes sizes do not match the input");
    for (size_t b = 0; b < scales.size(); ++b)
        quantizeBlock(type, in.data() + b * kBlockValues, scales[b], codes.data() + b * kBlockValues, rounding);
}

void dequantizeParams(std::span<const uint16_t> scales, std::span<const int8_t> codes, std::span<float> out)
{
    checkValueCount(codes.size());
    require(out.size() == codes.size() && scales.size() == codes.size() / kBlockValues,
        "dequantizeParams: scales/codes/out sizes do not match");
    for (size_t b = 0; b < scales.size(); ++b) {
        const float d = halfToFloat(scales[b]);
        for (int64_t j = 0; j < kBlockValues; ++j) {
            const size_t i = b * kBlockValues + static_cast<size_t>(j);
            out[i] = static_cast<float>(codes[i]) * d;
        }
    }
}

void packBlocks(BlockType type, std::span<const uint16_t> scales, std::span<const int8_t> codes, std::span<uint8_t> out)
{
    checkValueCount(codes.size());
    require(scales.size() == codes.size() / kBlockValues
            && out.size() == storedBytes(type, static_cast<int64_t>(codes.size())),
        "packBlocks: scales/codes/out sizes do not match");
    if (type == BlockType::Q4_0) {
        for (int8_t c : codes)
            require(c >= -8 && c <= 7, "packBlocks: q4_0 code " + std::to_string(c) + " outside [-8, 7]");
    }
    const size_t bb = blockBytes(type);
    for (size_t b = 0; b < scales.size(); ++b)
        packBlock(type, scales[b], codes.data() + b * kBlockValues, out.data() + b * bb);
}

void unpackBlocks(BlockType type, std::span<const uint8_t> bytes, std::span<uint16_t> scales, std::span<int8_t> codes)
{
    checkValueCount(codes.size());
    require(scales.size() == codes.size() / kBlockValues
            && bytes.size() == storedBytes(type, static_cast<int64_t>(codes.size())),
        "unpackBlocks: bytes/scales/codes sizes do not match");
    const size_t bb = blockBytes(type);
    for (size_t b = 0; b < scales.size(); ++b)
        unpackBlock(type, bytes.data() + b * bb, scales[b], codes.data() + b * kBlockValues);
}

} // namespace vq::ggml
