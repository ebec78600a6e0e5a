#pragma once

#include "quant/quantizer.h"

namespace vq {

// "aqlm": additive quantization in the style of AQLM (arXiv 2401.06118). Each row is cut into groups of
// g consecutive columns; each group is the sum of M codewords, one from each of M codebooks of 2^B
// vectors of g dims shared by all groups of the table; the decoded row is multiplied by a per-row fp16
// scale (optional). Objective: the f-weighted row MSE sum_t f_t ||e_t - s_t d_t||^2 (for a one-hot input
// this is exactly AQLM's ||WX - ŴX||^2).
//
// Fit: scales start at the fp16 row norm and the rows are divided by them; the codebooks start from
// residual k-means on the normalised groups (weights f_t s_t^2, so the normalised fit still minimises the
// objective) and the codes from greedy residual encoding. Then rounds of
//   (1) code assignment: beam search over the M codes of each group (AdditiveBeamSearch), starting from
//       the current codes, never increasing any group's error;
//   (2) codebook update: weighted least squares over all codebooks jointly, by block coordinate descent
//       over the codebooks (codebookleastsquares.h; `sweeps` sweeps, exact in one for M = 1), rounded to
//       fp16 codebook by codebook;
//   (3) scale update: s_t = fp16(<e_t, d_t> / ||d_t||^2), the closed-form optimum for fixed codes and
//       codebooks (the nearest fp16 value is the best fp16 value of a quadratic);
// until the relative improvement of the objective over a round drops under `tolerance` or `maxRounds`
// rounds have run. The state with the lowest objective is returned, so more rounds never give a worse
// table (fp16 rounding could otherwise raise it by a hair in a late round).
//
// Stored arrays: "codes" (UInt, B bits, rows x dim/g x M), "codebooks" (F16, M x 2^B x g), "scales"
// (F16, rows; absent when scales are off). bits/param = (16 g M 2^B + V (n/g) B M + 16 V) / (V n).
// Refuses NaN/Inf values and bad weights. Same seed and thread count give bit-identical arrays (the
// arrays do not depend on the thread count at all).
class AqlmQuantizer : public Quantizer {
public:
    std::string name() const override { return "aqlm"; }
    std::string label() const override { return "AQLM (additive)"; }
    std::string description() const override;
    const ParamSchema& schema() const override;
    std::vector<Preset> presets() const override;

    QuantSpec validate(const QuantSpec& spec, int64_t rows, int64_t dim) const override;
    BitBudget estimate(const QuantSpec& spec, int64_t rows, int64_t dim) const override;
    std::vector<std::string> warnings(const QuantSpec& spec, int64_t rows, int64_t dim) const override;
    QuantizedTable fit(const FitInput& input, const QuantSpec& spec, RunControl& control) const override;
    void decodeRows(const QuantizedTable& table, std::span<const int64_t> rowIds, float* out) const override;
    std::vector<CodeArrayLayout> codeLayouts(const QuantizedTable& table) const override;
    std::vector<std::string> keyParameters() const override;
    void fillReferenceLayout(const QuantizedTable& table, ReferenceLayout& out) const override;
};

} // namespace vq
