#pragma once

#include "quant/quantizer.h"

namespace vq {

// "crvq": channel-relaxed VQ (arXiv 2412.09282). A base VQ (one codebook of 2^b codewords over groups of
// g columns, shared by every group position as in the paper's code, or one per position) quantizes the
// whole table; a few critical groups get E extended codebooks of 2^b codewords that quantize what the
// base leaves, encoded jointly with the base by beam search.
//
// Axis "column" (the paper): each column is scored by the f-weighted mean squared residual the base VQ
// leaves in it; columns are sorted by score (highest first, ties by index), the base VQ is refitted on
// the permuted table, and the first C = floor(dim * lambda / g) groups are critical. When lambda > 0 and
// E > 0 but that floor is 0 (GloVe: 100 columns at lambda 0.02), C is raised to 1 and warnings() says so.
// Axis "row" (our extension): each row t is scored by f_t * ||e_t - ê_t||^2 under the base VQ; the
// M = floor(rows * lambda) highest-scoring rows (at least 1, as above) get the extended codebooks over
// all their groups. The extended codebooks are shared by every critical group.
//
// Extended codebooks: residual k-means on the residual the base leaves in the critical groups, then
// every critical group is re-encoded by beam search over [base, extended 1..E] (its base code may change).
//
// Stored arrays: "codes" (UInt b, rows x dim/g, base codes of the permuted table for the column axis),
// "codebooks" (positions x 2^b x g), and when C (or M) > 0: "extCodes" (UInt b, rows x C x E, or
// M x dim/g x E), "extCodebooks" (E x 2^b x g), and "permutation" (UInt ceil(log2 dim) bits, dim entries:
// entry j is the original column stored at position j) or "rowIds" (UInt ceil(log2 rows) bits, the M
// critical rows ascending). Codebooks are stored at the chosen precision and encoded as stored.
class CrvqQuantizer : public Quantizer {
public:
    std::string name() const override { return "crvq"; }
    std::string label() const override { return "CRVQ (channel-relaxed VQ)"; }
    std::string description() const override;
    const ParamSchema& schema() const override;
    std::vector<Preset> presets() const override;

    QuantSpec validate(const QuantSpec& spec, int64_t rows, int64_t dim) const override;
    BitBudget estimate(const QuantSpec& spec, int64_t rows, int64_t dim) const override;
    std::vector<std::string> warnings(const QuantSpec& spec, int64_t rows, int64_t dim) const override;
    QuantizedTable fit(const FitInput& input, const QuantSpec& spec, RunControl& control) const override;
    void decodeRows(const QuantizedTable& table, std::span<const int64_t> rowIds, float* out) const override;
    // "codes" (rows x groups, one stage) and, when there are critical groups, "extCodes" (critical rows x
    // critical groups per row x E stages, each stage one codebook shared by those groups).
    std::vector<CodeArrayLayout> codeLayouts(const QuantizedTable& table) const override;

    // The number of critical groups (column axis) or rows (row axis) a resolved spec gives for a
    // rows x dim table; 0 when lambda or E is 0.
    static int64_t criticalCount(const QuantSpec& resolved, int64_t rows, int64_t dim);
    std::vector<std::string> keyParameters() const override;
    void fillReferenceLayout(const QuantizedTable& table, ReferenceLayout& out) const override;
};

} // namespace vq
