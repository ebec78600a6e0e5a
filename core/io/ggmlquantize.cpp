// ggml's quantizers (ggml-quants.c at ggml-org/ggml d99724f2b141), reimplemented to give the same
// bytes. What decides bit-exactness is the float arithmetic: every expression below performs the same
// IEEE float operations in the same order as ggml's C code compiled for x86-64 without FMA (products
// are formed left to right, integers are widened to float where ggml widens them, sums run in index
// order). Do not "simplify" an expression here without checking the fixtures: (w * x) * l is not
// w * (x * l) in floating point.

#include "common/halffloat.h"
#include "io/ggmlinternal.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

namespace vq::ggml::detail {

namespace {

using T = GgmlType;

constexpr float kGroupMaxEps = 1e-15f; // ggml's GROUP_MAX_EPS: below it a group counts as all zero

// Round to nearest, ties to even, through the float adder as ggml's nearest_int does (|f| < 2^22).
int nearestInt(float f)
{
    const float shifted = f + 12582912.0f; // 1.5 * 2^23: the sum's low mantissa bits are round(f)
    int32_t bits;
    std::memcpy(&bits, &shifted, sizeof bits);
    return (bits & 0x007fffff) - 0x00400000;
}

// C's float-to-integer conversions as x86-64 performs them (truncation; out-of-range values cannot
// occur for finite input).
int8_t truncToInt8(float v)
{
    return static_cast<int8_t>(static_cast<int>(v));
}

uint8_t truncToUint8(float v)
{
    return static_cast<uint8_t>(static_cast<int>(v));
}

uint16_t toHalf(float f)
{
    return floatToHalf(f);
}

float fromHalf(uint16_t h)
{
    return halfToFloat(h);
}

// Index of the entry of the sorted table `values` (n entries) nearest to x; the upper one on a tie.
int nearestValueIndex(const int8_t* values, int n, float x)
{
    if (x <= values[0])
        return 0;
    if (x >= values[n - 1])
        return n - 1;
    int lo = 0, hi = n - 1;
    while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        if (x < values[mid])
            hi = mid;
        else
            lo = mid;
    }
    return x - values[hi - 1] < values[hi] - x ? hi - 1 : hi;
}

// The value of largest magnitude among n (the first of equal magnitudes) and that magnitude.
struct Extreme {
    float amax = 0;
    float max = 0;
};
Extreme largestMagnitude(const float* x, int n)
{
    Extreme e;
    for (int i = 0; i < n; ++i) {
        if (std::fabs(x[i]) > e.amax) {
            e.amax = std::fabs(x[i]);
            e.max = x[i];
        }
    }
    return e;
}

// ---- Scale searches shared by the types (ggml's make_*_quants) ----

// Symmetric codes in [-nmax, nmax - 1] with the scale that minimises the weighted error: a first guess
// from the value of largest magnitude, refined over 18 nearby inverse scales (make_qx_quants with
// rmse_type 1). weights null: w = x^2. L receives code + nmax. Returns the scale.
float searchSymmetricScale(int n, int nmax, const float* x, int8_t* L, const float* weights)
{
    const auto [amax, max] = largestMagnitude(x, n);
    if (amax < kGroupMaxEps) {
        std::fill_n(L, n, int8_t(0));
        return 0.0f;
    }
    const auto weight = [&](int i) { return weights ? weights[i] : x[i] * x[i]; };
    float iscale = static_cast<float>(-nmax) / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = std::clamp(nearestInt(iscale * x[i]), -nmax, nmax - 1);
        L[i] = static_cast<int8_t>(l + nmax);
        const float w = weight(i);
        sumlx += w * x[i] * static_cast<float>(l);
        suml2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
    float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; ++is) {
        if (is == 0)
            continue;
        iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(is)) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; ++i) {
            const int l = std::clamp(nearestInt(iscale * x[i]), -nmax, nmax - 1);
            const float w = weight(i);
            sumlx += w * x[i] * static_cast<float>(l);
            suml2 += w * static_cast<float>(l) * static_cast<float>(l);
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; ++i)
                L[i] = static_cast<int8_t>(nmax + std::clamp(nearestInt(iscale * x[i]), -nmax, nmax - 1));
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

// q3_K without importance (make_q3_quants with do_rmse): symmetric codes weighted by x^2, then up to
// five passes that move single codes while that lowers the error. L receives code + nmax.
float searchQ3Scale(int n, int nmax, const float* x, int8_t* L)
{
    const auto [amax, max] = largestMagnitude(x, n);
    if (amax < kGroupMaxEps) {
        std::fill_n(L, n, int8_t(0));
        return 0.0f;
    }
    const float iscale = static_cast<float>(-nmax) / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = std::clamp(nearestInt(iscale * x[i]), -nmax, nmax - 1);
        L[i] = static_cast<int8_t>(l);
        const float w = x[i] * x[i];
        sumlx += w * x[i] * static_cast<float>(l);
        suml2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
    for (int pass = 0; pass < 5; ++pass) {
        int changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = x[i] * x[i];
            float slx = sumlx - w * x[i] * static_cast<float>(L[i]);
            if (slx > 0) {
                float sl2 = suml2 - w * static_cast<float>(L[i]) * static_cast<float>(L[i]);
                const int l = std::clamp(nearestInt(x[i] * sl2 / slx), -nmax, nmax - 1);
                if (l != L[i]) {
                    slx += w * x[i] * static_cast<float>(l);
                    sl2 += w * static_cast<float>(l) * static_cast<float>(l);
                    if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = static_cast<int8_t>(l);
                        sumlx = slx;
                        suml2 = sl2;
                        ++changed;
                    }
                }
            }
        }
        if (changed == 0)
            break;
    }
    for (int i = 0; i < n; ++i)
        L[i] = static_cast<int8_t>(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Codes in [0, nmax] with a scale and a minimum (x ~ scale * L + min, min <= 0): a first guess from the
// range, then nstep + 1 trial inverse scales, each followed by a weighted least-squares fit of scale and
// min, kept when its weighted error (absolute with mad, else squared) is lower (make_qkx2_quants and
// make_qkx3_quants, which differ only when weights are null). *negMin receives -min.
float searchScaleMin(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* negMin, uint8_t* Laux,
    float rmin, float rdelta, int nstep, bool mad)
{
    float min = x[0], max = x[0];
    float sumW = weights[0];
    float sumX = sumW * x[0];
    for (int i = 1; i < n; ++i) {
        if (x[i] < min)
            min = x[i];
        if (x[i] > max)
            max = x[i];
        const float w = weights[i];
        sumW += w;
        sumX += w * x[i];
    }
    if (min > 0)
        min = 0;
    if (max <= min) {
        std::fill_n(L, n, uint8_t(0));
        *negMin = -min;
        return 0.0f;
    }
    const auto error = [&](float scale, float offset, const uint8_t* codes) {
        float e = 0;
        for (int i = 0; i < n; ++i) {
            float diff = scale * static_cast<float>(codes[i]) + offset - x[i];
            diff = mad ? std::fabs(diff) : diff * diff;
            e += weights[i] * diff;
        }
        return e;
    };
    float iscale = static_cast<float>(nmax) / (max - min);
    float scale = 1 / iscale;
    for (int i = 0; i < n; ++i)
        L[i] = static_cast<uint8_t>(std::clamp(nearestInt(iscale * (x[i] - min)), 0, nmax));
    float bestError = error(scale, min, L);
    if (nstep < 1) {
        *negMin = -min;
        return scale;
    }
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + rdelta * static_cast<float>(is) + static_cast<float>(nmax)) / (max - min);
        float sumL = 0, sumL2 = 0, sumXL = 0;
        for (int i = 0; i < n; ++i) {
            const int l = std::clamp(nearestInt(iscale * (x[i] - min)), 0, nmax);
            Laux[i] = static_cast<uint8_t>(l);
            const float w = weights[i];
            const float fl = static_cast<float>(l);
            sumL += w * fl;
            sumL2 += w * fl * fl;
            sumXL += w * fl * x[i];
        }
        const float D = sumW * sumL2 - sumL * sumL;
        if (D > 0) {
            float thisScale = (sumW * sumXL - sumX * sumL) / D;
            float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
            if (thisMin > 0) {
                thisMin = 0;
                thisScale = sumXL / sumL2;
            }
            const float e = error(thisScale, thisMin, Laux);
            if (e < bestError) {
                std::copy_n(Laux, n, L);
                bestError = e;
                scale = thisScale;
                min = thisMin;
            }
        }
    }
    *negMin = -min;
    return scale;
}

// Non-negative codes in [0, nmax] for non-negative x (the sub-block scales and mins of the K-quants with
// importance): the best of nine inverse scales by weighted squared error, then up to five passes that
// move single codes (make_qp_quants). L receives the codes.
float searchPositiveScale(int n, int nmax, const float* x, uint8_t* L, const float* weights)
{
    float max = 0;
    for (int i = 0; i < n; ++i)
        max = max > x[i] ? max : x[i];
    if (max < kGroupMaxEps) {
        std::fill_n(L, n, uint8_t(0));
        return 0.0f;
    }
    float iscale = static_cast<float>(nmax) / max;
    for (int i = 0; i < n; ++i)
        L[i] = static_cast<uint8_t>(nearestInt(iscale * x[i]));
    const float scale = 1 / iscale;
    float bestMse = 0;
    for (int i = 0; i < n; ++i) {
        const float diff = x[i] - scale * static_cast<float>(L[i]);
        bestMse += weights[i] * diff * diff;
    }
    for (int is = -4; is <= 4; ++is) {
        if (is == 0)
            continue;
        const float iscaleIs = (0.1f * static_cast<float>(is) + static_cast<float>(nmax)) / max;
        const float scaleIs = 1 / iscaleIs;
        float mse = 0;
        for (int i = 0; i < n; ++i) {
            const int l = std::min(nmax, nearestInt(iscaleIs * x[i]));
            const float diff = x[i] - scaleIs * static_cast<float>(l);
            mse += weights[i] * diff * diff;
        }
        if (mse < bestMse) {
            bestMse = mse;
            iscale = iscaleIs;
        }
    }
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = std::min(nmax, nearestInt(iscale * x[i]));
        L[i] = static_cast<uint8_t>(l);
        const float w = weights[i];
        sumlx += w * x[i] * static_cast<float>(l);
        suml2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
    for (int pass = 0; pass < 5; ++pass) {
        int changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = weights[i];
            float slx = sumlx - w * x[i] * static_cast<float>(L[i]);
            float sl2 = suml2 - w * static_cast<float>(L[i]) * static_cast<float>(L[i]);
            if (slx > 0 && sl2 > 0) {
                const int l = std::min(nmax, nearestInt(x[i] * sl2 / slx));
                if (l != L[i]) {
                    slx += w * x[i] * static_cast<float>(l);
                    sl2 += w * static_cast<float>(l) * static_cast<float>(l);
                    if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = static_cast<uint8_t>(l);
                        sumlx = slx;
                        suml2 = sl2;
                        ++changed;
                    }
                }
            }
        }
        if (changed == 0)
            break;
    }
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Σ x^2 over n values, in index order.
float sumSquares(const float* x, int64_t n)
{
    float s = 0;
    for (int64_t i = 0; i < n; ++i)
        s += x[i] * x[i];
    return s;
}

// importance * sqrt(sigma2 + x^2): the weights ggml derives from an imatrix.
void importanceWeights(const float* importance, float sigma2, const float* x, int n, float* w)
{
    for (int i = 0; i < n; ++i)
        w[i] = importance[i] * std::sqrt(sigma2 + x[i] * x[i]);
}

// ---- Blocks of 32 (q4_0, q4_1, q5_0, q5_1, q8_0) ----

struct Block32 {
    uint16_t d = 0;
    uint16_t m = 0;
    int8_t codes[32] {};
};

void rangeOf(const float* x, int n, float& min, float& max)
{
    min = FLT_MAX;
    max = -FLT_MAX;
    for (int j = 0; j < n; ++j) {
        if (x[j] < min)
            min = x[j];
        if (x[j] > max)
            max = x[j];
    }
}

void q8_0Ref(const float* x, Block32& b)
{
    float amax = 0;
    for (int j = 0; j < 32; ++j)
        amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b.d = toHalf(d);
    for (int j = 0; j < 32; ++j) {
        const float r = std::round(x[j] * id); // roundf: halves away from zero
        b.codes[j] = std::isnan(r) ? int8_t(0) : static_cast<int8_t>(std::clamp(r, -128.0f, 127.0f));
    }
}

// q4_0 / q5_0 without importance: d = max / -2^(bits-1), code = min(2^bits - 1, trunc(x / d + 2^(bits-1) + 0.5)).
void symmetricRef(const float* x, int bits, Q4Rounding rounding, Block32& b)
{
    const int half = 1 << (bits - 1);
    const int top = (1 << bits) - 1;
    const float d = largestMagnitude(x, 32).max / static_cast<float>(-half);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const float bias = static_cast<float>(half) + 0.5f;
    b.d = toHalf(d);
    for (int j = 0; j < 32; ++j) {
        float v;
        if (rounding == Q4Rounding::Fused) // one rounding, as an FMA (the product is exact in double)
            v = static_cast<float>(static_cast<double>(x[j]) * static_cast<double>(id) + static_cast<double>(bias));
        else
            v = x[j] * id + bias;
        // v lies in [0.5, 2^bits + 0.5] for finite input; NaN maps to the zero code.
        const int n = std::isnan(v) ? half : std::min(top, static_cast<int>(truncToInt8(std::clamp(v, 0.0f, 127.0f))));
        b.codes[j] = static_cast<int8_t>(n - half);
    }
}

// q4_1 / q5_1 without importance: d = (max - min) / (2^bits - 1), m = min, code = trunc((x - min) / d + 0.5).
void minMaxRef(const float* x, int bits, Block32& b)
{
    const int top = (1 << bits) - 1;
    float min, max;
    rangeOf(x, 32, min, max);
    const float d = (max - min) / static_cast<float>(top);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b.d = toHalf(d);
    b.m = toHalf(min);
    for (int j = 0; j < 32; ++j) {
        const float v = (x[j] - min) * id + 0.5f;
        // q4_1 clamps its (int8_t) conversion at 15; q5_1 converts to uint8_t unclamped (v stays below 32).
        b.codes[j] = static_cast<int8_t>(bits == 4 ? std::min(15, static_cast<int>(truncToInt8(v))) : truncToUint8(v));
    }
}

// q4_0 / q5_0 with importance (quantize_row_q4_0_impl / q5_0_impl).
void symmetricWeighted(const float* x, const float* importance, float sigma2, int bits, Block32& b)
{
    const int half = 1 << (bits - 1);
    float w[32];
    int8_t L[32];
    importanceWeights(importance, sigma2, x, 32, w);
    const float d = searchSymmetricScale(32, half, x, L, w);
    b.d = toHalf(d);
    for (int j = 0; j < 32; ++j)
        b.codes[j] = static_cast<int8_t>(L[j] - half);
}

// q4_1 / q5_1 with importance (quantize_row_q4_1_impl / q5_1_impl).
void minMaxWeighted(const float* x, const float* importance, float sigma2, int bits, Block32& b)
{
    float w[32];
    uint8_t L[32], Laux[32];
    importanceWeights(importance, sigma2, x, 32, w);
    float negMin;
    const float d = searchScaleMin(32, (1 << bits) - 1, x, w, L, &negMin, Laux, -0.9f, 0.05f, 36, false);
    b.d = toHalf(d);
    b.m = toHalf(-negMin);
    for (int j = 0; j < 32; ++j)
        b.codes[j] = static_cast<int8_t>(L[j]);
}

void storeBlock32(GgmlType type, const Block32& b32, uint8_t* out)
{
    Block b;
    b.d = b32.d;
    b.m = b32.m;
    std::copy_n(b32.codes, 32, b.codes);
    packBlock(type, b, out);
}

void quantizeRow32(GgmlType type, const float* x, int64_t n, const float* importance, Q4Rounding rounding, uint8_t* out)
{
    const size_t bytes = blockBytes(type);
    // ggml's *_impl functions spread sigma2 over the whole row; they run only with an importance vector.
    const float sigma2 = importance ? sumSquares(x, n) / static_cast<float>(n) : 0.0f;
    for (int64_t k = 0; k < n / 32; ++k) {
        const float* xb = x + 32 * k;
        const float* qw = importance ? importance + 32 * k : nullptr;
        Block32 b;
        switch (type) {
        case T::Q8_0:
            q8_0Ref(xb, b);
            break;
        case T::Q4_0:
        case T::Q5_0:
            if (qw)
                symmetricWeighted(xb, qw, sigma2, type == T::Q4_0 ? 4 : 5, b);
            else
                symmetricRef(xb, type == T::Q4_0 ? 4 : 5, type == T::Q4_0 ? rounding : Q4Rounding::Separate, b);
            break;
        case T::Q4_1:
        case T::Q5_1:
            if (qw)
                minMaxWeighted(xb, qw, sigma2, type == T::Q4_1 ? 4 : 5, b);
            else
                minMaxRef(xb, type == T::Q4_1 ? 4 : 5, b);
            break;
        default:
            fail(std::string(nameOf(type)) + " is not a block-of-32 type");
        }
        storeBlock32(type, b, out + static_cast<size_t>(k) * bytes);
    }
}

// ---- K-quants: super-blocks of 256 ----

// Requantizes value codes against the stored (fp16-rounded) sub-block scales: code = clamp(round((x + m)
// / d)) where d = dsuper * scale code and m = dminsuper * min code; sub-blocks whose d is 0 keep the codes
// of the search.
void requantizeWithMins(const float* x, const Block& b, int sub, int nmax, uint8_t* L)
{
    for (int s = 0; s < 256 / sub; ++s) {
        const float d = fromHalf(b.d) * static_cast<float>(b.scales[s]);
        if (d == 0.0f)
            continue;
        const float dm = fromHalf(b.m) * static_cast<float>(b.mins[s]);
        for (int i = 0; i < sub; ++i)
            L[sub * s + i] = static_cast<uint8_t>(std::clamp(nearestInt((x[sub * s + i] + dm) / d), 0, nmax));
    }
}

// Symmetric: code = clamp(round(x / d), -half, half - 1) + half with d = dsuper * scale code.
void requantizeSymmetric(const float* x, const Block& b, int half, int8_t* L)
{
    for (int s = 0; s < 16; ++s) {
        const float d = fromHalf(b.d) * static_cast<float>(b.scales[s]);
        if (d == 0.0f)
            continue;
        for (int i = 0; i < 16; ++i)
            L[16 * s + i] = static_cast<int8_t>(std::clamp(nearestInt(x[16 * s + i] / d), -half, half - 1) + half);
    }
}

void q2_K(const float* x, const float* importance, Block& b)
{
    uint8_t L[256], Laux[16];
    float scales[16], mins[16];
    if (!importance) {
        float w[16];
        float maxScale = 0, maxMin = 0;
        for (int s = 0; s < 16; ++s) {
            for (int l = 0; l < 16; ++l)
                w[l] = std::fabs(x[16 * s + l]);
            scales[s] = searchScaleMin(16, 3, x + 16 * s, w, L + 16 * s, &mins[s], Laux, -0.5f, 0.1f, 15, true);
            if (scales[s] > maxScale)
                maxScale = scales[s];
            if (mins[s] > maxMin)
                maxMin = mins[s];
        }
        // The scale and min codes share a byte; ggml writes the scale nibble, then ORs the min nibble in
        // (a code past 15 would spill, which nearest-rounding of a ratio <= 15 never gives).
        uint8_t packed[16] {};
        if (maxScale > 0) {
            const float iscale = 15.0f / maxScale;
            for (int s = 0; s < 16; ++s)
                packed[s] = static_cast<uint8_t>(nearestInt(iscale * scales[s]));
            b.d = toHalf(maxScale / 15.0f);
        } else {
            b.d = toHalf(0.0f);
        }
        if (maxMin > 0) {
            const float iscale = 15.0f / maxMin;
            for (int s = 0; s < 16; ++s)
                packed[s] = static_cast<uint8_t>(packed[s] | (nearestInt(iscale * mins[s]) << 4));
            b.m = toHalf(maxMin / 15.0f);
        } else {
            b.m = toHalf(0.0f);
        }
        for (int s = 0; s < 16; ++s) {
            b.scales[s] = static_cast<int8_t>(packed[s] & 0x0f);
            b.mins[s] = static_cast<int8_t>(packed[s] >> 4);
        }
    } else {
        const float sigma2 = sumSquares(x, 256) / 256.0f;
        float w[16], sw[16];
        for (int s = 0; s < 16; ++s) {
            importanceWeights(importance + 16 * s, sigma2, x + 16 * s, 16, w);
            sw[s] = 0;
            for (int l = 0; l < 16; ++l)
                sw[s] += w[l];
            scales[s] = searchScaleMin(16, 3, x + 16 * s, w, L + 16 * s, &mins[s], Laux, -0.9f, 0.05f, 36, false);
        }
        uint8_t Ls[16], Lm[16];
        const float dm = searchPositiveScale(16, 15, scales, Ls, sw);
        const float mm = searchPositiveScale(16, 15, mins, Lm, sw);
        b.d = toHalf(dm);
        b.m = toHalf(mm);
        for (int s = 0; s < 16; ++s) {
            const auto packed = static_cast<uint8_t>(Ls[s] | (Lm[s] << 4));
            b.scales[s] = static_cast<int8_t>(packed & 0x0f);
            b.mins[s] = static_cast<int8_t>(packed >> 4);
        }
    }
    requantizeWithMins(x, b, 16, 3, L);
    for (int i = 0; i < 256; ++i)
        b.codes[i] = static_cast<int8_t>(L[i]);
}

// The 6-bit biased scale code as q3_K stores it, for a signed code l in [-32, 31] (int8 arithmetic as ggml).
int8_t q3ScaleCode(int l)
{
    return static_cast<int8_t>(std::clamp(l, -32, 31));
}

void q3_K(const float* x, const float* importance, Block& b)
{
    int8_t L[256];
    float scales[16];
    if (!importance) {
        for (int s = 0; s < 16; ++s)
            scales[s] = searchQ3Scale(16, 4, x + 16 * s, L + 16 * s);
        const float maxScale = largestMagnitude(scales, 16).max;
        if (maxScale != 0.0f) {
            const float iscale = -32.0f / maxScale;
            for (int s = 0; s < 16; ++s)
                b.scales[s] = q3ScaleCode(static_cast<int8_t>(nearestInt(iscale * scales[s])));
            b.d = toHalf(1 / iscale);
        } else {
            for (int s = 0; s < 16; ++s)
                b.scales[s] = -32; // the all-zero scale bytes
            b.d = toHalf(0.0f);
        }
    } else {
        const float sigma2 = 2 * sumSquares(x, 256) / 256.0f;
        float w[16], sw[16];
        for (int s = 0; s < 16; ++s) {
            importanceWeights(importance + 16 * s, sigma2, x + 16 * s, 16, w);
            float sum = 0;
            for (int l = 0; l < 16; ++l)
                sum += w[l];
            sw[s] = sum;
            scales[s] = searchSymmetricScale(16, 4, x + 16 * s, L + 16 * s, w);
        }
        int8_t Ls[16];
        const float dBlock = searchSymmetricScale(16, 32, scales, Ls, sw);
        for (int s = 0; s < 16; ++s)
            b.scales[s] = static_cast<int8_t>(Ls[s] - 32);
        b.d = toHalf(dBlock);
    }
    requantizeSymmetric(x, b, 4, L);
    for (int i = 0; i < 256; ++i)
        b.codes[i] = static_cast<int8_t>(L[i] - 4);
}

// q4_K / q5_K: eight sub-blocks of 32 with 6-bit scales and mins.
void q45_K(const float* x, const float* importance, int nmax, Block& b)
{
    uint8_t L[256], Laux[32];
    float scales[8], mins[8], w[32];
    uint8_t ls[8], lm[8];
    if (!importance) {
        // q4_K: rmin -1, 20 steps; q5_K: rmin -0.5, 15 steps.
        const float rmin = nmax == 15 ? -1.0f : -0.5f;
        const int nstep = nmax == 15 ? 20 : 15;
        float maxScale = 0, maxMin = 0;
        for (int s = 0; s < 8; ++s) {
            const float avX = std::sqrt(sumSquares(x + 32 * s, 32) / 32.0f);
            for (int l = 0; l < 32; ++l)
                w[l] = avX + std::fabs(x[32 * s + l]);
            scales[s] = searchScaleMin(32, nmax, x + 32 * s, w, L + 32 * s, &mins[s], Laux, rmin, 0.1f, nstep, false);
            if (scales[s] > maxScale)
                maxScale = scales[s];
            if (mins[s] > maxMin)
                maxMin = mins[s];
        }
        const float invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
        const float invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
        for (int s = 0; s < 8; ++s) {
            // ggml stores the rounded codes in uint8_t before clamping them at 63.
            ls[s] = std::min<uint8_t>(63, static_cast<uint8_t>(nearestInt(invScale * scales[s])));
            lm[s] = std::min<uint8_t>(63, static_cast<uint8_t>(nearestInt(invMin * mins[s])));
        }
        b.d = toHalf(maxScale / 63.0f);
        b.m = toHalf(maxMin / 63.0f);
    } else {
        const float sigma2 = 2 * sumSquares(x, 256) / 256.0f;
        float sw[8];
        for (int s = 0; s < 8; ++s) {
            importanceWeights(importance + 32 * s, sigma2, x + 32 * s, 32, w);
            float sum = 0;
            for (int l = 0; l < 32; ++l)
                sum += w[l];
            sw[s] = sum;
            scales[s] = searchScaleMin(32, nmax, x + 32 * s, w, L + 32 * s, &mins[s], Laux, -0.9f, 0.05f, 36, false);
        }
        const float dBlock = searchPositiveScale(8, 63, scales, ls, sw);
        const float mBlock = searchPositiveScale(8, 63, mins, lm, sw);
        for (int s = 0; s < 8; ++s) {
            ls[s] = std::min<uint8_t>(63, ls[s]);
            lm[s] = std::min<uint8_t>(63, lm[s]);
        }
        b.d = toHalf(dBlock);
        b.m = toHalf(mBlock);
    }
    for (int s = 0; s < 8; ++s) {
        b.scales[s] = static_cast<int8_t>(ls[s]);
        b.mins[s] = static_cast<int8_t>(lm[s]);
    }
    requantizeWithMins(x, b, 32, nmax, L);
    for (int i = 0; i < 256; ++i)
        b.codes[i] = static_cast<int8_t>(L[i]);
}

void q6_K(const float* x, const float* importance, Block& b)
{
    int8_t L[256];
    float scales[16];
    for (int s = 0; s < 16; ++s) // with importance ggml passes the imatrix itself as the weights
        scales[s] = searchSymmetricScale(16, 32, x + 16 * s, L + 16 * s, importance ? importance + 16 * s : nullptr);
    const auto [maxAbsScale, maxScale] = largestMagnitude(scales, 16);
    if (maxAbsScale < kGroupMaxEps) { // an all-zero block: every byte 0
        b = Block {};
        for (int i = 0; i < 256; ++i)
            b.codes[i] = -32;
        return;
    }
    const float iscale = -128.0f / maxScale;
    b.d = toHalf(1 / iscale);
    for (int s = 0; s < 16; ++s)
        b.scales[s] = static_cast<int8_t>(std::min(127, nearestInt(iscale * scales[s])));
    requantizeSymmetric(x, b, 32, L);
    for (int i = 0; i < 256; ++i)
        b.codes[i] = static_cast<int8_t>(L[i] - 32);
}

// iq4_nl (one block of 32) and iq4_xs (eight sub-blocks of 32 with 6-bit scales), as
// quantize_row_iq4_nl_impl with ntry 7: every block searches 15 scales around max / -127 for the best
// weighted fit on the non-linear grid.
void iq4(const float* x, int64_t values, const float* importance, Block& b)
{
    constexpr int kTries = 7;
    const int8_t* grid = kIq4nlValues;
    const int subBlocks = static_cast<int>(values / 32);
    float sigma2 = sumSquares(x, values);
    sigma2 *= 2.0f / static_cast<float>(values);
    uint8_t L[256];
    float scales[8], w[32];
    float maxScale = 0, amaxScale = 0;
    for (int s = 0; s < subBlocks; ++s) {
        const float* xb = x + 32 * s;
        uint8_t* Lb = L + 32 * s;
        if (importance)
            importanceWeights(importance + 32 * s, sigma2, xb, 32, w);
        else
            for (int j = 0; j < 32; ++j)
                w[j] = xb[j] * xb[j];
        const auto [amax, max] = largestMagnitude(xb, 32);
        if (amax < kGroupMaxEps) {
            scales[s] = 0;
            continue;
        }
        float d = -max / static_cast<float>(grid[0]);
        float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        for (int j = 0; j < 32; ++j) {
            const int l = nearestValueIndex(grid, 16, id * xb[j]);
            Lb[j] = static_cast<uint8_t>(l);
            const float q = grid[l];
            sumqx += w[j] * q * xb[j];
            sumq2 += w[j] * q * q;
        }
        d = sumq2 > 0 ? sumqx / sumq2 : 0.0f;
        float best = d * sumqx;
        for (int t = -kTries; t <= kTries; ++t) {
            id = static_cast<float>(t + grid[0]) / max;
            sumqx = sumq2 = 0;
            for (int j = 0; j < 32; ++j) {
                const float q = grid[nearestValueIndex(grid, 16, id * xb[j])];
                sumqx += w[j] * q * xb[j];
                sumq2 += w[j] * q * q;
            }
            if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                d = sumqx / sumq2;
                best = d * sumqx;
            }
        }
        scales[s] = d;
        if (std::fabs(d) > amaxScale) {
            amaxScale = std::fabs(d);
            maxScale = d;
        }
    }
    if (subBlocks > 1) {
        // The unrounded super-block scale sets the codes; only its stored copy is fp16.
        const float d = -maxScale / 32;
        b.d = toHalf(d);
        const float id = d != 0.0f ? 1 / d : 0.0f;
        for (int s = 0; s < subBlocks; ++s) {
            const int l = std::clamp(nearestInt(id * scales[s]), -32, 31);
            const float dl = d * static_cast<float>(l);
            const float idl = dl != 0.0f ? 1 / dl : 0.0f;
            for (int j = 0; j < 32; ++j)
                L[32 * s + j] = static_cast<uint8_t>(nearestValueIndex(grid, 16, idl * x[32 * s + j]));
            b.scales[s] = static_cast<int8_t>(l);
        }
    } else {
        b.d = toHalf(scales[0]);
        const float id = scales[0] != 0.0f ? 1 / scales[0] : 0.0f;
        for (int j = 0; j < 32; ++j)
            L[j] = static_cast<uint8_t>(nearestValueIndex(grid, 16, id * x[j]));
    }
    for (int i = 0; i < values; ++i)
        b.codes[i] = static_cast<int8_t>(L[i]);
}

// ---- Ternary types (no importance) ----

float ternaryScale(const float* x, uint16_t& d16)
{
    float amax = 0;
    for (int j = 0; j < 256; ++j)
        amax = std::max(amax, std::fabs(x[j]));
    d16 = toHalf(amax);
    return amax != 0.0f ? 1.0f / amax : 0.0f;
}

int trit(float v)
{
    return static_cast<int>(std::lround(v)) + 1; // lroundf: -1, 0, 1 -> 0, 1, 2
}

// Five (or four, then shifted up one digit) base-3 digits as the byte ceil(t * 256 / 243).
uint8_t tritByte(const float* x, int stride, int count, float id)
{
    uint8_t q = 0;
    for (int n = 0; n < count; ++n)
        q = static_cast<uint8_t>(q * 3 + trit(x[stride * n] * id));
    if (count == 4)
        q = static_cast<uint8_t>(q * 3);
    return static_cast<uint8_t>((static_cast<uint16_t>(q) * 256 + 242) / 243);
}

void tq1_0(const float* x, uint8_t* out)
{
    uint16_t d16;
    const float id = ternaryScale(x, d16);
    for (int m = 0; m < 32; ++m)
        out[m] = tritByte(x + m, 32, 5, id);
    for (int m = 0; m < 16; ++m)
        out[32 + m] = tritByte(x + 160 + m, 16, 5, id);
    for (int j = 0; j < 4; ++j)
        out[48 + j] = tritByte(x + 240 + j, 4, 4, id);
    storeU16(out + 52, d16);
}

void tq2_0(const float* x, uint8_t* out)
{
    uint16_t d16;
    const float id = ternaryScale(x, d16);
    for (int h = 0; h < 2; ++h)
        for (int m = 0; m < 32; ++m) {
            uint8_t q = 0;
            for (int n = 0; n < 4; ++n)
                q = static_cast<uint8_t>(q + ((trit(x[128 * h + 32 * n + m] * id) & 3) << (2 * n)));
            out[32 * h + m] = q;
        }
    storeU16(out + 64, d16);
}

} // namespace

void quantizeRows(GgmlType type, const float* x, int64_t rows, int64_t rowLength, const float* importance,
    Q4Rounding rounding, uint8_t* out)
{
    const TypeTraits& t = traits(type);
    const int64_t blocksPerRow = rowLength / t.blockValues;
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * rowLength;
        uint8_t* outRow = out + static_cast<size_t>(r * blocksPerRow) * t.blockBytes;
        if (t.blockValues == 32 && type != T::IQ4_NL) {
            quantizeRow32(type, xr, rowLength, importance, rounding, outRow);
            continue;
        }
        for (int64_t k = 0; k < blocksPerRow; ++k) {
            const float* xb = xr + k * t.blockValues;
            const float* qw = importance ? importance + k * t.blockValues : nullptr;
            uint8_t* ob = outRow + static_cast<size_t>(k) * t.blockBytes;
            Block b;
            switch (type) {
            case T::Q2_K:
                q2_K(xb, qw, b);
                break;
            case T::Q3_K:
                q3_K(xb, qw, b);
                break;
            case T::Q4_K:
                q45_K(xb, qw, 15, b);
                break;
            case T::Q5_K:
                q45_K(xb, qw, 31, b);
                break;
            case T::Q6_K:
                q6_K(xb, qw, b);
                break;
            case T::IQ4_NL:
            case T::IQ4_XS:
                iq4(xb, t.blockValues, qw, b);
                break;
            case T::TQ1_0:
                tq1_0(xb, ob);
                continue;
            case T::TQ2_0:
                tq2_0(xb, ob);
                continue;
            default:
                fail(std::string("ggml type ") + t.name + " cannot be written");
            }
            packBlock(type, b, ob);
        }
    }
}

} // namespace vq::ggml::detail
