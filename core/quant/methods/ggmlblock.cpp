#include "quant/methods/ggmlblock.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "quant/rowblocks.h"

#include <cmath>

namespace vq {

namespace {

constexpr int64_t kBlock = ggml::kBlockValues;

int codeBits(ggml::BlockType type)
{
    return type == ggml::BlockType::Q8_0 ? 8 : 4;
}

} // namespace

GgmlBlockQuantizer::GgmlBlockQuantizer(ggml::BlockType type)
    : m_type(type)
{
}

std::string GgmlBlockQuantizer::name() const
{
    return ggml::nameOf(m_type);
}

std::string GgmlBlockQuantizer::label() const
{
    return m_type == ggml::BlockType::Q8_0 ? "Q8_0 (llama.cpp)" : "Q4_0 (llama.cpp)";
}

std::string GgmlBlockQuantizer::description() const
{
    return m_type == ggml::BlockType::Q8_0
        ? "llama.cpp's Q8_0: blocks of 32 values with an fp16 scale d = max|x|/127 and 8-bit codes; "
          "bit-exact with ggml. 8.5 bits per parameter."
        : "llama.cpp's Q4_0: blocks of 32 values with an fp16 scale d (the value of largest magnitude / -8) "
          "and 4-bit codes, x = d * (q - 8); bit-exact with ggml. 4.5 bits per parameter.";
}

const ParamSchema& GgmlBlockQuantizer::schema() const
{
    static const ParamSchema q8 {};
    static const ParamSchema q4 { {
        { "rounding", ParamDef::Type::Choice, 0, 0, "separate", { "separate", "fused" },
            "x/d + 8.5 rounded twice as ggml's C code on x86-64 (separate) or once as FMA builds and gguf-py "
            "(fused); differs on rare values at a code boundary",
            false },
    } };
    return m_type == ggml::BlockType::Q8_0 ? q8 : q4;
}

std::vector<Preset> GgmlBlockQuantizer::presets() const
{
    return { Preset { m_type == ggml::BlockType::Q8_0 ? "Q8_0" : "Q4_0", QuantSpec { name(), {} } } };
}

QuantSpec GgmlBlockQuantizer::validate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    QuantSpec r = Quantizer::validate(spec, rows, dim);
    if (dim % kBlock != 0)
        throw Error(ErrorKind::InvalidArgument, {},
            name() + ": the row length " + std::to_string(dim)
                + " is not a multiple of the block size 32 (it fits row lengths 32, 64, 96, 128, ...; nearest here "
                + std::to_string(dim / kBlock * kBlock) + " and " + std::to_string((dim / kBlock + 1) * kBlock) + ")");
    return r;
}

BitBudget GgmlBlockQuantizer::estimate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    validate(spec, rows, dim);
    BitBudget b;
    b.rows = rows;
    b.dim = dim;
    const auto values = static_cast<uint64_t>(rows) * static_cast<uint64_t>(dim);
    b.add(codeBits(m_type) == 8 ? "codes q (int8)" : "codes q (int4)", "codes",
        values * static_cast<uint64_t>(codeBits(m_type)));
    b.add("block scales d (fp16)", "scale", values / kBlock * 16);
    return b;
}

QuantizedTable GgmlBlockQuantizer::fit(const FitInput& input, const QuantSpec& spec, RunControl& control) const
{
    checkFitInput(input, name());
    const Matrix& e = input.table;
    QuantizedTable t;
    t.spec = validate(spec, e.rows, e.cols);
    t.rows = e.rows;
    t.dim = e.cols;
    const BitBudget budget = estimate(t.spec, e.rows, e.cols);
    const ggml::Q4Rounding rounding = m_type == ggml::BlockType::Q4_0 && t.spec.getString("rounding") == "fused"
        ? ggml::Q4Rounding::Fused
        : ggml::Q4Rounding::Separate;
    const int64_t blocksPerRow = e.cols / kBlock;

    StoredArray q { "q", "codes", budget.items[0].label, StorageType::Int, codeBits(m_type), { e.rows, e.cols }, {},
        {} };
    q.ints.resize(static_cast<size_t>(e.rows * e.cols));
    StoredArray d { "d", "scale", budget.items[1].label, StorageType::F16, 16, { e.rows, blocksPerRow }, {}, {} };
    d.floats.resize(static_cast<size_t>(e.rows * blocksPerRow));

    parallelRowBlocks(e.rows, 256, control, name() + ": quantize", [&](int64_t begin, int64_t end) {
        const auto n = static_cast<size_t>((end - begin) * e.cols);
        const std::span<const float> in(e.row(begin), n);
        for (size_t i = 0; i < n; ++i)
            if (!std::isfinite(in[i]))
                throw Error(ErrorKind::InvalidArgument, {},
                    name() + ": value at row " + std::to_string(begin + static_cast<int64_t>(i) / e.cols) + ", column "
                        + std::to_string(static_cast<int64_t>(i) % e.cols) + " is not finite");
        std::vector<uint16_t> scales(n / kBlock);
        std::vector<int8_t> codes(n);
        ggml::quantizeParams(m_type, in, scales, codes, rounding);
        for (size_t b = 0; b < scales.size(); ++b)
            d.floats[static_cast<size_t>(begin * blocksPerRow) + b] = halfToFloat(scales[b]);
        for (size_t i = 0; i < n; ++i)
            q.ints[static_cast<size_t>(begin * e.cols) + i] = codes[i];
    });

    t.addArray(std::move(q));
    t.addArray(std::move(d));
    return t;
}

void GgmlBlockQuantizer::decodeRows(const QuantizedTable& table, std::span<const int64_t> rowIds, float* out) const
{
    const StoredArray& q = table.array("q");
    const StoredArray& d = table.array("d");
    const int64_t blocksPerRow = table.dim / kBlock;
    if (table.dim % kBlock != 0 || q.ints.size() != static_cast<size_t>(table.rows * table.dim)
        || d.floats.size() != static_cast<size_t>(table.rows * blocksPerRow))
        throw Error(ErrorKind::Malformed, {}, name() + ": stored arrays do not match the table shape");
    for (size_t i = 0; i < rowIds.size(); ++i) {
        const int32_t* codes = q.ints.data() + rowIds[i] * table.dim;
        const float* scales = d.floats.data() + rowIds[i] * blocksPerRow;
        float* x = out + static_cast<int64_t>(i) * table.dim;
        // As ggml's dequantize_row_*: the float code times the fp16 scale widened to float.
        for (int64_t j = 0; j < table.dim; ++j)
            x[j] = static_cast<float>(codes[j]) * scales[j / kBlock];
    }
}

} // namespace vq
