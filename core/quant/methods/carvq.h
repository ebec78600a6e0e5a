#pragma once

#include "quant/quantizer.h"

namespace vq {

// "carvq": CARVQ, group residual VQ plus a corrective adaptor (METHODS.md): ê_t = GRVQ(t) + gamma(t),
// gamma = sigma_1 o sigma_0 (see CorrectiveAdaptor): sigma_0 a learned rows x m table stored as int4 or
// int8 with an fp16 scale per row, sigma_1 = Linear(m, width) -> GELU (tanh approximation) or SiLU ->
// Linear(width, dim) in fp16, last layer initialised to 0.
//
// Order "adaptor-first" (default: 11% lower error on GloVe) fits gamma on E, GRVQ on E - gamma(E), then
// gamma again on E - GRVQ(E); "grvq-first" fits GRVQ on E, then gamma on E - GRVQ(E). Each of `rounds` refinement
// rounds re-encodes the GRVQ codes (same codebooks) on E - gamma(E) and refits gamma. At the end sigma_0 is quantized
// and the MLP is fine-tuned for fineTuneEpochs through its fp16-rounded weights with sigma_0 frozen, so the stored
// adaptor is the one that was optimised.
//
// Parameters: the GRVQ ones (h, R, kappa, shared, beam, codebook, iterations, tolerance, init, sampleCap)
// plus m, width, activation, sigma0 ("int4"/"int8"), order, epochs, batch, lr, tableLr, fineTuneEpochs,
// rounds. Stored arrays: GRVQ's "codes" and "codebooks", then "adaptor/sigma0" (Int, 4 or 8 bits,
// rows x m), "adaptor/sigma0_scale" (F16, rows), "adaptor/w1" (F16, width x m), "adaptor/b1" (F16, width),
// "adaptor/w2" (F16, dim x width), "adaptor/b2" (F16, dim). Decoding adds gamma to the GRVQ decode.
class CarvqQuantizer : public Quantizer {
public:
    std::string name() const override { return "carvq"; }
    std::string label() const override { return "CARVQ (corrective adaptor + group RVQ)"; }
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

// Adds the stored adaptor's output gamma(t) of each row to out (rowIds.size() x dim), elementwise and
// last: decodeRows() is the GRVQ decode followed by this, and a deployment that decodes the GRVQ part
// itself (the C reference decoder) gets the adaptor term as this function's output on a zeroed buffer.
void addCarvqAdaptor(const QuantizedTable& table, std::span<const int64_t> rowIds, float* out);

} // namespace vq
