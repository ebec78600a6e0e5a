#pragma once

#include "io/ggmlblocks.h"
#include "quant/quantizer.h"

namespace vq {

// llama.cpp's Q8_0 and Q4_0 block formats as methods ("q8_0", "q4_0"), bit-exact with ggml (see
// io/ggmlblocks.h), so results compare with llama.cpp users' numbers and export to GGUF unchanged.
// Each row is cut into blocks of 32 values (the row length must be a multiple of 32); a block stores
// its fp16 scale d and 32 signed codes, x̂ = d * code:
//   q8_0: codes in [-127, 127] stored as 8-bit ints, 8.5 bits/param;
//   q4_0: codes n - 8 in [-8, 7] stored as 4-bit two's complement ints (ggml stores the unsigned nibble
//         n; GGUF export adds 8 back), 4.5 bits/param.
// Stored arrays: "d" (rows x dim/32, F16) and "q" (rows x dim, Int). Per-token weights are ignored
// (the format fixes the encoding); NaN/Inf values are refused.
class GgmlBlockQuantizer : public Quantizer {
public:
    explicit GgmlBlockQuantizer(ggml::BlockType type);

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

private:
    ggml::BlockType m_type;
};

class Q8_0Quantizer : public GgmlBlockQuantizer {
public:
    Q8_0Quantizer()
        : GgmlBlockQuantizer(ggml::BlockType::Q8_0)
    {
    }
};

class Q4_0Quantizer : public GgmlBlockQuantizer {
public:
    Q4_0Quantizer()
        : GgmlBlockQuantizer(ggml::BlockType::Q4_0)
    {
    }
};

} // namespace vq
