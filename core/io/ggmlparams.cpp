// ggml's block layouts (ggml-common.h, block_*), each read into and written from the parameter form
// (ParamLayout in io/ggmlblocks.h), and the parameter form's dequantization.

#include "common/halffloat.h"
#include "io/ggmlinternal.h"

namespace vq::ggml::detail {

namespace {

using T = GgmlType;

// Blocks of 32 whose low nibbles hold values 0..15 and high nibbles values 16..31 (q4_*, q5_*, iq4_nl).
void unpackNibbles(const uint8_t* qs, int bias, int8_t* codes)
{
    for (int j = 0; j < 16; ++j) {
        codes[j] = static_cast<int8_t>((qs[j] & 0x0f) - bias);
        codes[j + 16] = static_cast<int8_t>((qs[j] >> 4) - bias);
    }
}

void packNibbles(const int8_t* codes, int bias, uint8_t* qs)
{
    for (int j = 0; j < 16; ++j)
        qs[j] = static_cast<uint8_t>(((codes[j] + bias) & 0x0f) | (((codes[j + 16] + bias) & 0x0f) << 4));
}

// q5_0 / q5_1: the fifth bit of value j is bit j of the 32-bit qh.
void unpackFiveBits(const uint8_t* qh4, const uint8_t* qs, int bias, int8_t* codes)
{
    const uint32_t qh = loadU32(qh4);
    for (int j = 0; j < 16; ++j) {
        codes[j] = static_cast<int8_t>(((qs[j] & 0x0f) | (((qh >> j) & 1u) << 4)) - bias);
        codes[j + 16] = static_cast<int8_t>(((qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4)) - bias);
    }
}

void packFiveBits(const int8_t* codes, int bias, uint8_t* qh4, uint8_t* qs)
{
    uint32_t qh = 0;
    for (int j = 0; j < 32; ++j)
        qh |= ((static_cast<uint32_t>(codes[j] + bias) >> 4) & 1u) << j;
    storeU32(qh4, qh);
    packNibbles(codes, bias, qs); // the low nibbles; & 0x0f drops the fifth bit
}

// q2_K / q3_K low bits: value 128h + 32k + l (l < 32) is bits 2k..2k+1 of qs[32h + l].
int twoBits(const uint8_t* qs, int i)
{
    return (qs[32 * (i / 128) + i % 32] >> (2 * ((i % 128) / 32))) & 3;
}

void packTwoBits(const int* low, uint8_t* qs)
{
    for (int i = 0; i < 64; ++i)
        qs[i] = 0;
    for (int i = 0; i < 256; ++i)
        qs[32 * (i / 128) + i % 32] |= static_cast<uint8_t>(low[i] << (2 * ((i % 128) / 32)));
}

// q4_K / q5_K: eight 6-bit scales and mins in 12 bytes (ggml's get_scale_min_k4).
void unpackScaleMin(const uint8_t* q, int8_t* scales, int8_t* mins)
{
    for (int j = 0; j < 8; ++j) {
        int sc, m;
        if (j < 4) {
            sc = q[j] & 63;
            m = q[j + 4] & 63;
        } else {
            sc = (q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4);
            m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
        scales[j] = static_cast<int8_t>(sc);
        mins[j] = static_cast<int8_t>(m);
    }
}

void packScaleMin(const int8_t* scales, const int8_t* mins, uint8_t* q)
{
    for (int j = 0; j < 4; ++j) {
        q[j] = static_cast<uint8_t>(scales[j] | ((scales[j + 4] >> 4) << 6));
        q[j + 4] = static_cast<uint8_t>(mins[j] | ((mins[j + 4] >> 4) << 6));
        q[j + 8] = static_cast<uint8_t>((scales[j + 4] & 0x0f) | ((mins[j + 4] & 0x0f) << 4));
    }
}

// q3_K: sixteen 6-bit scales, stored biased by 32: low nibbles in bytes 0-7, high bit pairs in 8-11.
void unpackQ3Scales(const uint8_t* q, int8_t* scales)
{
    for (int s = 0; s < 16; ++s) {
        const int low = s < 8 ? q[s] & 0x0f : q[s - 8] >> 4;
        const int high = (q[8 + s % 4] >> (2 * (s / 4))) & 3;
        scales[s] = static_cast<int8_t>((low | (high << 4)) - 32);
    }
}

void packQ3Scales(const int8_t* scales, uint8_t* q)
{
    for (int k = 0; k < 12; ++k)
        q[k] = 0;
    for (int s = 0; s < 16; ++s) {
        const int u = scales[s] + 32;
        q[s % 8] |= static_cast<uint8_t>((u & 0x0f) << (s < 8 ? 0 : 4));
        q[8 + s % 4] |= static_cast<uint8_t>((u >> 4) << (2 * (s / 4)));
    }
}

void unpackQ2_K(const uint8_t* in, Block& b)
{
    const uint8_t* sc = in;
    const uint8_t* qs = in + 16;
    for (int s = 0; s < 16; ++s) {
        b.scales[s] = static_cast<int8_t>(sc[s] & 0x0f);
        b.mins[s] = static_cast<int8_t>(sc[s] >> 4);
    }
    for (int i = 0; i < 256; ++i)
        b.codes[i] = static_cast<int8_t>(twoBits(qs, i));
    b.d = loadU16(in + 80);
    b.m = loadU16(in + 82);
}

void packQ2_K(const Block& b, uint8_t* out)
{
    for (int s = 0; s < 16; ++s)
        out[s] = static_cast<uint8_t>(b.scales[s] | (b.mins[s] << 4));
    int low[256];
    for (int i = 0; i < 256; ++i)
        low[i] = b.codes[i];
    packTwoBits(low, out + 16);
    storeU16(out + 80, b.d);
    storeU16(out + 82, b.m);
}

// q3_K: code = low two bits + 4 * high bit - 4; the high bit of value i is bit i / 32 of hmask[i % 32].
void unpackQ3_K(const uint8_t* in, Block& b)
{
    const uint8_t* hmask = in;
    const uint8_t* qs = in + 32;
    for (int i = 0; i < 256; ++i)
        b.codes[i] = static_cast<int8_t>(twoBits(qs, i) + 4 * ((hmask[i % 32] >> (i / 32)) & 1) - 4);
    unpackQ3Scales(in + 96, b.scales);
    b.d = loadU16(in + 108);
}

void packQ3_K(const Block& b, uint8_t* out)
{
    uint8_t* hmask = out;
    for (int k = 0; k < 32; ++k)
        hmask[k] = 0;
    int low[256];
    for (int i = 0; i < 256; ++i) {
        const int u = b.codes[i] + 4;
        low[i] = u & 3;
        hmask[i % 32] |= static_cast<uint8_t>((u >> 2) << (i / 32));
    }
    packTwoBits(low, out + 32);
    packQ3Scales(b.scales, out + 96);
    storeU16(out + 108, b.d);
}

// q4_K / q5_K values: 64-value chunk c holds sub-block 2c in the low nibbles of qs[32c ..] and 2c + 1 in
// the high ones; q5_K's fifth bit of value 64c + 32t + l is bit 2c + t of qh[l].
void unpackQ45_K(const uint8_t* in, bool five, Block& b)
{
    b.d = loadU16(in);
    b.m = loadU16(in + 2);
    unpackScaleMin(in + 4, b.scales, b.mins);
    const uint8_t* qh = in + 16;
    const uint8_t* qs = in + (five ? 48 : 16);
    for (int i = 0; i < 256; ++i) {
        const int c = i / 64, t = (i / 32) % 2, l = i % 32;
        int v = t ? qs[32 * c + l] >> 4 : qs[32 * c + l] & 0x0f;
        if (five)
            v |= ((qh[l] >> (2 * c + t)) & 1) << 4;
        b.codes[i] = static_cast<int8_t>(v);
    }
}

void packQ45_K(const Block& b, bool five, uint8_t* out)
{
    storeU16(out, b.d);
    storeU16(out + 2, b.m);
    packScaleMin(b.scales, b.mins, out + 4);
    uint8_t* qh = out + 16;
    uint8_t* qs = out + (five ? 48 : 16);
    for (int k = 0; k < 128; ++k)
        qs[k] = 0;
    if (five)
        for (int k = 0; k < 32; ++k)
            qh[k] = 0;
    for (int i = 0; i < 256; ++i) {
        const int c = i / 64, t = (i / 32) % 2, l = i % 32;
        const int v = b.codes[i];
        qs[32 * c + l] |= static_cast<uint8_t>((v & 0x0f) << (4 * t));
        if (five)
            qh[l] |= static_cast<uint8_t>(((v >> 4) & 1) << (2 * c + t));
    }
}

// q6_K: value 128h + 32k + l has its low nibble in ql[64h + 32(k % 2) + l] (high nibble when k >= 2)
// and its top two bits at bits 2k of qh[32h + l]; codes are stored biased by 32.
void unpackQ6_K(const uint8_t* in, Block& b)
{
    const uint8_t* ql = in;
    const uint8_t* qh = in + 128;
    for (int i = 0; i < 256; ++i) {
        const int h = i / 128, k = (i % 128) / 32, l = i % 32;
        const uint8_t lq = ql[64 * h + 32 * (k % 2) + l];
        const int low = k < 2 ? lq & 0x0f : lq >> 4;
        const int high = (qh[32 * h + l] >> (2 * k)) & 3;
        b.codes[i] = static_cast<int8_t>((low | (high << 4)) - 32);
    }
    for (int s = 0; s < 16; ++s)
        b.scales[s] = static_cast<int8_t>(in[192 + s]);
    b.d = loadU16(in + 208);
}

void packQ6_K(const Block& b, uint8_t* out)
{
    uint8_t* ql = out;
    uint8_t* qh = out + 128;
    for (int k = 0; k < 192; ++k)
        out[k] = 0;
    for (int i = 0; i < 256; ++i) {
        const int h = i / 128, k = (i % 128) / 32, l = i % 32;
        const int u = b.codes[i] + 32;
        ql[64 * h + 32 * (k % 2) + l] |= static_cast<uint8_t>((u & 0x0f) << (k < 2 ? 0 : 4));
        qh[32 * h + l] |= static_cast<uint8_t>((u >> 4) << (2 * k));
    }
    for (int s = 0; s < 16; ++s)
        out[192 + s] = static_cast<uint8_t>(b.scales[s]);
    storeU16(out + 208, b.d);
}

// iq4_xs: eight 6-bit scales biased by 32, low nibbles in scales_l, high bit pairs in the 16-bit scales_h.
void unpackIq4_Xs(const uint8_t* in, Block& b)
{
    b.d = loadU16(in);
    const uint16_t high = loadU16(in + 2);
    const uint8_t* low = in + 4;
    for (int s = 0; s < 8; ++s) {
        const int ls = ((low[s / 2] >> (4 * (s % 2))) & 0x0f) | (((high >> (2 * s)) & 3) << 4);
        b.scales[s] = static_cast<int8_t>(ls - 32);
        unpackNibbles(in + 8 + 16 * s, 0, b.codes + 32 * s);
    }
}

void packIq4_Xs(const Block& b, uint8_t* out)
{
    storeU16(out, b.d);
    uint16_t high = 0;
    uint8_t* low = out + 4;
    for (int k = 0; k < 4; ++k)
        low[k] = 0;
    for (int s = 0; s < 8; ++s) {
        const int ls = b.scales[s] + 32;
        low[s / 2] |= static_cast<uint8_t>((ls & 0x0f) << (4 * (s % 2)));
        high = static_cast<uint16_t>(high | ((ls >> 4) << (2 * s)));
        packNibbles(b.codes + 32 * s, 0, out + 8 + 16 * s);
    }
    storeU16(out + 2, high);
}

} // namespace

void unpackBlock(GgmlType type, const uint8_t* in, Block& b)
{
    switch (type) {
    case T::Q4_0:
        b.d = loadU16(in);
        unpackNibbles(in + 2, 8, b.codes);
        return;
    case T::IQ4_NL:
        b.d = loadU16(in);
        unpackNibbles(in + 2, 0, b.codes);
        return;
    case T::Q4_1:
        b.d = loadU16(in);
        b.m = loadU16(in + 2);
        unpackNibbles(in + 4, 0, b.codes);
        return;
    case T::Q5_0:
        b.d = loadU16(in);
        unpackFiveBits(in + 2, in + 6, 16, b.codes);
        return;
    case T::Q5_1:
        b.d = loadU16(in);
        b.m = loadU16(in + 2);
        unpackFiveBits(in + 4, in + 8, 0, b.codes);
        return;
    case T::Q8_0:
        b.d = loadU16(in);
        for (int j = 0; j < 32; ++j)
            b.codes[j] = static_cast<int8_t>(in[2 + j]);
        return;
    case T::Q2_K:
        unpackQ2_K(in, b);
        return;
    case T::Q3_K:
        unpackQ3_K(in, b);
        return;
    case T::Q4_K:
        unpackQ45_K(in, false, b);
        return;
    case T::Q5_K:
        unpackQ45_K(in, true, b);
        return;
    case T::Q6_K:
        unpackQ6_K(in, b);
        return;
    case T::IQ4_XS:
        unpackIq4_Xs(in, b);
        return;
    default:
        fail(std::string(nameOf(type)) + " has no parameter form");
    }
}

void packBlock(GgmlType type, const Block& b, uint8_t* out)
{
    switch (type) {
    case T::Q4_0:
        storeU16(out, b.d);
        packNibbles(b.codes, 8, out + 2);
        return;
    case T::IQ4_NL:
        storeU16(out, b.d);
        packNibbles(b.codes, 0, out + 2);
        return;
    case T::Q4_1:
        storeU16(out, b.d);
        storeU16(out + 2, b.m);
        packNibbles(b.codes, 0, out + 4);
        return;
    case T::Q5_0:
        storeU16(out, b.d);
        packFiveBits(b.codes, 16, out + 2, out + 6);
        return;
    case T::Q5_1:
        storeU16(out, b.d);
        storeU16(out + 2, b.m);
        packFiveBits(b.codes, 0, out + 4, out + 8);
        return;
    case T::Q8_0:
        storeU16(out, b.d);
        for (int j = 0; j < 32; ++j)
            out[2 + j] = static_cast<uint8_t>(b.codes[j]);
        return;
    case T::Q2_K:
        packQ2_K(b, out);
        return;
    case T::Q3_K:
        packQ3_K(b, out);
        return;
    case T::Q4_K:
        packQ45_K(b, false, out);
        return;
    case T::Q5_K:
        packQ45_K(b, true, out);
        return;
    case T::Q6_K:
        packQ6_K(b, out);
        return;
    case T::IQ4_XS:
        packIq4_Xs(b, out);
        return;
    default:
        fail(std::string(nameOf(type)) + " has no parameter form");
    }
}

void dequantizeBlock(const ParamLayout& p, int64_t values, const Block& b, float* y)
{
    const float d = halfToFloat(b.d);
    const int64_t sub = p.subValues > 0 ? p.subValues : values;
    for (int64_t first = 0; first < values; first += sub) {
        const int64_t s = first / sub;
        // ggml widens the integer scale and min codes to float and multiplies by the fp16 super-block
        // scales once per sub-block (d * sc, dmin * m), then computes each value from those.
        const float scale = p.subValues > 0 ? d * static_cast<float>(b.scales[s]) : d;
        float offset = 0.0f;
        if (p.minKind == MinKind::Add)
            offset = halfToFloat(b.m);
        else if (p.minKind == MinKind::Subtract)
            offset = halfToFloat(b.m) * static_cast<float>(b.mins[s]);
        for (int64_t i = first; i < first + sub; ++i) {
            const int c = b.codes[i];
            const float v = static_cast<float>(p.codesIndexValues ? kIq4nlValues[c & 0x0f] : c);
            float x = scale * v;
            if (p.minKind == MinKind::Add)
                x = x + offset;
            else if (p.minKind == MinKind::Subtract)
                x = x - offset;
            y[i] = x;
        }
    }
}

// tq1_0 (54 bytes per 256 values): qs[48], qh[4], d. Each byte of qs holds five base-3 digits and each
// byte of qh four, as the fraction byte / 256 of 3^5: digit n of byte q is (q * 3^n mod 256) * 3 / 256.
// qs[0..31] give values 0..159 (digit n of byte m is value 32n + m), qs[32..47] values 160..239
// (160 + 16n + m), qh values 240..255 (240 + 4n + j); a digit t decodes as (t - 1) * d.
void dequantizeTq1_0(const uint8_t* in, int64_t blocks, float* y)
{
    static constexpr uint8_t kPow3[5] = { 1, 3, 9, 27, 81 };
    const auto digit = [](uint8_t q, int n) {
        const uint8_t shifted = static_cast<uint8_t>(q * kPow3[n]);
        return (static_cast<int>(shifted) * 3) >> 8;
    };
    for (int64_t k = 0; k < blocks; ++k) {
        const uint8_t* qs = in + 54 * k;
        const uint8_t* qh = qs + 48;
        const float d = halfToFloat(loadU16(qs + 52));
        float* out = y + 256 * k;
        for (int n = 0; n < 5; ++n)
            for (int m = 0; m < 32; ++m)
                out[32 * n + m] = static_cast<float>(digit(qs[m], n) - 1) * d;
        for (int n = 0; n < 5; ++n)
            for (int m = 0; m < 16; ++m)
                out[160 + 16 * n + m] = static_cast<float>(digit(qs[32 + m], n) - 1) * d;
        for (int n = 0; n < 4; ++n)
            for (int j = 0; j < 4; ++j)
                out[240 + 4 * n + j] = static_cast<float>(digit(qh[j], n) - 1) * d;
    }
}

// tq2_0 (66 bytes per 256 values): qs[64], d. Value 128h + 32l + m is bits 2l..2l+1 of qs[32h + m],
// decoded as (q - 1) * d.
void dequantizeTq2_0(const uint8_t* in, int64_t blocks, float* y)
{
    for (int64_t k = 0; k < blocks; ++k) {
        const uint8_t* qs = in + 66 * k;
        const float d = halfToFloat(loadU16(qs + 64));
        float* out = y + 256 * k;
        for (int i = 0; i < 256; ++i) {
            const int q = (qs[32 * (i / 128) + i % 32] >> (2 * ((i % 128) / 32))) & 3;
            out[i] = static_cast<float>(q - 1) * d;
        }
    }
}

} // namespace vq::ggml::detail
