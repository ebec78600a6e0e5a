#pragma once

#include "quant/quantizer.h"

namespace vq {

// "pq": product quantization (k-means VQ on sub-vectors). Each row is cut into dim/d sub-vectors of d
// consecutive columns; sub-vector position p gets its own codebook of 2^bits centroids fitted by
// weighted k-means (or one codebook is shared by every position), and each sub-vector is stored as the
// index of its nearest centroid (encoded against the codebook as stored, i.e. after rounding to fp16).
// Between the two, "codebooks" = C (1 < C < dim/d) fits C codebooks, each shared by a contiguous block
// of positions: position p uses codebook floor(p * C / (dim/d)). On small tables per-position codebooks
// cost much of the budget (0.2 bits/param for d4 8-bit on 20000 x 100) and a few shared ones keep most
// of their gain.
//
// Parameters: d (must divide dim), bits (1..16), shared, codebooks (0: one per position, else 1..dim/d;
// shared = true is codebooks = 1), codebook ("f16" default, "f32"), iterations, tolerance, init
// ("kmeans++" or "random"), sampleCap (training vectors per centroid, 0: all).
// Stored arrays: "codes" (UInt, `bits` wide, shape rows x dim/d) and "codebooks" (F16/F32, shape
// C x 2^bits x d, C = the number of distinct codebooks).
// bits/param = bits/d + C * 2^bits * d * (16 or 32) / (rows * dim).
// Per-token weights (FitInput::weights) weight the k-means objective.
class PqQuantizer : public Quantizer {
public:
    std::string name() const override { return "pq"; }
    std::string label() const override { return "PQ (product quantization)"; }
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
