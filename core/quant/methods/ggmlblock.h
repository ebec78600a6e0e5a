#pragma once

#include "io/ggmlblocks.h"
#include "quant/quantizer.h"

namespace vq {

// llama.cpp's block formats as methods, named as llama.cpp spells the types: q8_0, q4_0, q4_1, q5_0,
// q5_1, q2_K, q3_K, q4_K, q5_K, q6_K, iq4_nl, iq4_xs. Bit-exact with ggml_quantize_chunk (see
// io/ggmlblocks.h): the stored numbers are exactly the block bytes llama.cpp writes, so results compare
// with llama.cpp users' numbers and export to GGUF unchanged.
//
// Each row is cut into blocks (32 values; 256 for the K-quants and iq4_xs) and the row length must be a
// multiple of the block size. A block stores what ggml's format stores, as separate arrays in the
// format's parameter form (ggml::ParamLayout): "q" one code per value (rows x dim; signed for q8_0, q4_0,
// q5_0, q3_K, q6_K; grid indices for iq4_nl/iq4_xs), "d" the fp16 scale per block, "m" (q4_1, q5_1: the
// fp16 minimum per block) or "dmin" (q2_K, q4_K, q5_K: the fp16 scale of the minimums), "scales" and
// "mins" the integer codes per sub-block of the two-level formats. Bits per parameter: q8_0 8.5, q4_0
// 4.5, q4_1 5, q5_0 5.5, q5_1 6, q2_K 2.625, q3_K 3.4375, q4_K 4.5, q5_K 5.5, q6_K 6.5625, iq4_nl 4.5,
// iq4_xs 4.25.
//
// Parameter "importance" (every type but q8_0, which ggml quantizes without one): a .npy of one weight
// >= 0 per column, llama.cpp's imatrix for this tensor; with it ggml's importance-weighted searches run
// (and the bytes match llama-quantize given the same imatrix). Per-token weights are ignored (the format
// fixes the encoding); NaN/Inf values are refused.
class GgmlBlockQuantizer : public Quantizer {
public:
    explicit GgmlBlockQuantizer(ggml::GgmlType type);

    std::string name() const override;
    std::string label() const override;
    std::string description() const override;
    const ParamSchema& schema() const override;
    std::vector<Preset> presets() const override;
    bool isBaseline() const override { return true; }
    std::vector<QuantSpec> baselineSpecs() const override { return { QuantSpec { name(), nlohmann::json::object() } }; }

    QuantSpec validate(const QuantSpec& spec, int64_t rows, int64_t dim) const override;
    BitBudget estimate(const QuantSpec& spec, int64_t rows, int64_t dim) const override;
    QuantizedTable fit(const FitInput& input, const QuantSpec& spec, RunControl& control) const override;
    void decodeRows(const QuantizedTable& table, std::span<const int64_t> rowIds, float* out) const override;
    void fillReferenceLayout(const QuantizedTable& table, ReferenceLayout& out) const override;

    ggml::GgmlType type() const { return m_type; }
    // The table's arrays as ggml's block bytes, row after row: exactly what a GGUF file stores for this
    // type (ggml::storedBytes(type(), rows * dim) bytes). Throws Error(Malformed) for arrays that are not
    // this method's.
    std::vector<uint8_t> blockBytes(const QuantizedTable& table) const;

private:
    ggml::GgmlType m_type;
};

// One registrable method per ggml type.
template <ggml::GgmlType Type> class GgmlTypeQuantizer : public GgmlBlockQuantizer {
public:
    GgmlTypeQuantizer()
        : GgmlBlockQuantizer(Type)
    {
    }
};

using Q8_0Quantizer = GgmlTypeQuantizer<ggml::GgmlType::Q8_0>;
using Q4_0Quantizer = GgmlTypeQuantizer<ggml::GgmlType::Q4_0>;

} // namespace vq
