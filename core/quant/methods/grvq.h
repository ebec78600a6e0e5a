#pragma once

#include "quant/quantizer.h"

namespace vq {

// "grvq": group residual VQ, the base of CARVQ. Columns are split into groups of h; for each group
// position (or one set shared by all positions) R residual stages of 2^kappa codewords of h dims, stage
// r fitted by weighted k-means on the residual stages 1..r-1 leave (see trainResidualCodebooks). The
// codebooks are rounded to their storage precision before the next stage is fitted and before encoding;
// every sub-vector is then encoded greedily or by beam search (ResidualEncoder).
//
// Parameters: h (must divide dim), R (1..8), kappa (1..16), shared, beam (1: greedy), codebook ("f16"
// default, "bf16", "f32"), iterations, tolerance, init, sampleCap.
// Stored arrays: "codes" (UInt, kappa wide, shape rows x dim/h x R) and "codebooks" (shape
// positions x R x 2^kappa x h, positions = 1 when shared).
// bits/param = R*kappa/h + positions * R * 2^kappa * h * (16 or 32) / (rows * dim).
class GrvqQuantizer : public Quantizer {
public:
    std::string name() const override { return "grvq"; }
    std::string label() const override { return "GRVQ (group residual VQ)"; }
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

// The reference decoder's layout of GRVQ's arrays (codes, codebooks), shared with CARVQ whose adaptor
// output is the decoder's addend.
void fillResidualReferenceLayout(const QuantizedTable& table, ReferenceLayout& out);

} // namespace vq
