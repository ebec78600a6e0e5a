#pragma once

#include "quant/quantizer.h"

namespace vq {

// "rtn": round-to-nearest scalar quantization, the simplest baseline. Each row is cut into groups of
// `group` consecutive columns (0: the whole row); each group gets an fp16 scale (and, asymmetric, an
// fp16 minimum) and every value a `bits`-bit integer.
//
// symmetric:  s = fp16(max|x| / qmax), qmax = 2^(bits-1) - 1, q = clamp(round(x / s), -qmax, qmax),
//             x̂ = s * q. The range is symmetric (-2^(bits-1) is never used) so that zero and the
//             sign are exact; at 2 bits this leaves 3 levels.
// asymmetric: m = the largest fp16 value <= min(x), s = fp16((max(x) - m) / (2^bits - 1)),
//             q = clamp(round((x - m) / s), 0, 2^bits - 1), x̂ = m + s * q.
// Scales and minimums are rounded to fp16 before encoding, so decoding from the stored arrays is exact.
// Stored arrays: "codes" (rows x dim; Int for symmetric, UInt for asymmetric, `bits` bits each),
// "scales" (rows x groups, F16) and for asymmetric "mins" (rows x groups, F16).
// bits/param = bits + 16/G (symmetric) or bits + 32/G (asymmetric), G the group size.
// Per-token weights do not change a per-group closed form and are ignored. Refuses NaN/Inf values.
class RtnQuantizer : public Quantizer {
public:
    std::string name() const override { return "rtn"; }
    std::string label() const override { return "RTN (scalar)"; }
    std::string description() const override;
    const ParamSchema& schema() const override;
    std::vector<Preset> presets() const override;
    bool isBaseline() const override { return true; }
    // 2, 3, 4 and 8 bits over whole rows, symmetric; any run with the same bits stands for one.
    std::vector<QuantSpec> baselineSpecs() const override;
    bool isSameBaseline(const QuantSpec& run, const QuantSpec& baseline) const override;
    std::string baselineLabel(const QuantSpec& spec) const override; // "rtn 4"

    QuantSpec validate(const QuantSpec& spec, int64_t rows, int64_t dim) const override;
    void checkStored(const QuantizedTable& table) const override; // sym codes within +-(2^(b-1)-1)
    BitBudget estimate(const QuantSpec& spec, int64_t rows, int64_t dim) const override;
    QuantizedTable fit(const FitInput& input, const QuantSpec& spec, RunControl& control) const override;
    void decodeRows(const QuantizedTable& table, std::span<const int64_t> rowIds, float* out) const override;
    std::vector<std::string> keyParameters() const override;
    void fillReferenceLayout(const QuantizedTable& table, ReferenceLayout& out) const override;
};

} // namespace vq
