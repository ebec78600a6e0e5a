#include "quant/methods/ggmlblock.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "export/referencelayout.h"
#include "io/importancevector.h"
#include "quant/rowblocks.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace vq {

namespace {

using ggml::GgmlType;
using ggml::MinKind;

// What each format stores, in words (the formula is ParamLayout's).
const char* formatText(GgmlType type)
{
    switch (type) {
    case GgmlType::Q8_0:
        return "blocks of 32 values with an fp16 scale d = max|x| / 127 and 8-bit codes, x = d * q";
    case GgmlType::Q4_0:
        return "blocks of 32 values with an fp16 scale d (the value of largest magnitude / -8) and 4-bit codes, "
               "x = d * (q - 8)";
    case GgmlType::Q4_1:
        return "blocks of 32 values with an fp16 scale d and minimum m and 4-bit codes, x = d * q + m";
    case GgmlType::Q5_0:
        return "blocks of 32 values with an fp16 scale d and 5-bit codes, x = d * (q - 16)";
    case GgmlType::Q5_1:
        return "blocks of 32 values with an fp16 scale d and minimum m and 5-bit codes, x = d * q + m";
    case GgmlType::Q2_K:
        return "super-blocks of 256 values in 16 sub-blocks of 16, each with a 4-bit scale sc and a 4-bit minimum m "
               "under fp16 super-block scales d and dmin, and 2-bit codes, x = d * sc * q - dmin * m";
    case GgmlType::Q3_K:
        return "super-blocks of 256 values in 16 sub-blocks of 16, each with a 6-bit scale sc under an fp16 "
               "super-block scale d, and 3-bit codes in [-4, 3], x = d * sc * q";
    case GgmlType::Q4_K:
        return "super-blocks of 256 values in 8 sub-blocks of 32, each with a 6-bit scale sc and a 6-bit minimum m "
               "under fp16 super-block scales d and dmin, and 4-bit codes, x = d * sc * q - dmin * m";
    case GgmlType::Q5_K:
        return "super-blocks of 256 values in 8 sub-blocks of 32, each with a 6-bit scale sc and a 6-bit minimum m "
               "under fp16 super-block scales d and dmin, and 5-bit codes, x = d * sc * q - dmin * m";
    case GgmlType::Q6_K:
        return "super-blocks of 256 values in 16 sub-blocks of 16, each with an 8-bit scale sc under an fp16 "
               "super-block scale d, and 6-bit codes in [-32, 31], x = d * sc * q";
    case GgmlType::IQ4_NL:
        return "blocks of 32 values with an fp16 scale d and 4-bit indices into a fixed non-linear grid of 16 "
               "values (-127 ... 113), x = d * grid[q]";
    case GgmlType::IQ4_XS:
        return "super-blocks of 256 values in 8 sub-blocks of 32, each with a 6-bit scale sc under an fp16 "
               "super-block scale d, and 4-bit indices into iq4_nl's grid, x = d * sc * grid[q]";
    default:
        return "";
    }
}

std::string upper(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

double bitsPerValue(GgmlType type)
{
    return static_cast<double>(ggml::blockBytes(type) * 8) / static_cast<double>(ggml::blockValues(type));
}

std::string numberText(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

const ParamDef kImportance { "importance", ParamDef::Type::Path, 0, 0, "", {},
    "a .npy of one weight >= 0 per column (llama.cpp's imatrix for this tensor): runs ggml's "
    "importance-weighted search, as llama-quantize --imatrix; empty: none",
    false };
const ParamDef kRounding { "rounding", ParamDef::Type::Choice, 0, 0, "separate", { "separate", "fused" },
    "x/d + 8.5 rounded twice as ggml's C code on x86-64 (separate) or once as FMA builds and gguf-py (fused); "
    "differs on rare values at a code boundary; not used with an importance vector",
    false };

// The stored arrays of a rows x dim table, in order: codes, d, then m/dmin, scales, mins when the format
// has them. Shapes are per row (rows x count).
struct ArrayPlan {
    std::string name;
    std::string label;
    StorageType type;
    int bits;
    int64_t perRow;
};

std::vector<ArrayPlan> planArrays(GgmlType type, int64_t dim)
{
    const ggml::ParamLayout& p = ggml::traits(type).params;
    const ggml::ParamCounts c = ggml::paramCounts(type, dim);
    const bool super = ggml::blockValues(type) > ggml::kBlockValues;
    const std::string width = std::to_string(p.codeBits);
    std::vector<ArrayPlan> plan;
    plan.push_back({ "q",
        p.codesIndexValues ? "grid indices q (" + width + "-bit)"
                           : "codes q (" + std::string(p.codeSigned ? "int" : "uint") + width + ")",
        p.codeSigned ? StorageType::Int : StorageType::UInt, p.codeBits, static_cast<int64_t>(c.codes) });
    plan.push_back({ "d", super ? "super-block scales d (fp16)" : "block scales d (fp16)", StorageType::F16, 16,
        static_cast<int64_t>(c.d) });
    if (p.minKind == MinKind::Add)
        plan.push_back({ "m", "block minimums m (fp16)", StorageType::F16, 16, static_cast<int64_t>(c.m) });
    if (p.minKind == MinKind::Subtract)
        plan.push_back(
            { "dmin", "super-block minimum scales dmin (fp16)", StorageType::F16, 16, static_cast<int64_t>(c.m) });
    if (c.scales > 0)
        plan.push_back({ "scales", "sub-block scales (" + std::to_string(p.scaleBits) + "-bit)",
            p.scaleSigned ? StorageType::Int : StorageType::UInt, p.scaleBits, static_cast<int64_t>(c.scales) });
    if (c.mins > 0)
        plan.push_back({ "mins", "sub-block minimums (" + std::to_string(p.minBits) + "-bit)", StorageType::UInt,
            p.minBits, static_cast<int64_t>(c.mins) });
    return plan;
}

// Row r's numbers of the parameter form in and out of a table's arrays.
void storeRow(const ggml::BlockParams& p, int64_t r, std::vector<StoredArray*>& arrays)
{
    const auto put = [r](StoredArray& a, const auto& values) {
        const size_t at = static_cast<size_t>(r) * values.size();
        for (size_t i = 0; i < values.size(); ++i) {
            if (a.type == StorageType::F16)
                a.floats[at + i] = halfToFloat(static_cast<uint16_t>(values[i]));
            else
                a.ints[at + i] = values[i];
        }
    };
    for (StoredArray* a : arrays) {
        if (a->name == "q")
            put(*a, p.codes);
        else if (a->name == "d")
            put(*a, p.d);
        else if (a->name == "m" || a->name == "dmin")
            put(*a, p.m);
        else if (a->name == "scales")
            put(*a, p.scales);
        else
            put(*a, p.mins);
    }
}

void loadRow(const QuantizedTable& t, int64_t r, ggml::BlockParams& p)
{
    const auto get = [&](const StoredArray& a, auto& values) {
        const int64_t perRow = a.shape.size() == 2 ? a.shape[1] : 0;
        const size_t n = a.type == StorageType::F16 ? a.floats.size() : a.ints.size();
        if (a.shape.size() != 2 || a.shape[0] != t.rows || n != static_cast<size_t>(t.rows * perRow))
            throw Error(ErrorKind::Malformed, {}, t.spec.method + ": array '" + a.name + "' does not match the table");
        values.resize(static_cast<size_t>(perRow));
        const size_t at = static_cast<size_t>(r * perRow);
        for (size_t i = 0; i < values.size(); ++i) {
            using V = typename std::decay_t<decltype(values)>::value_type;
            values[i] = a.type == StorageType::F16 ? static_cast<V>(floatToHalf(a.floats[at + i]))
                                                   : static_cast<V>(a.ints[at + i]);
        }
    };
    get(t.array("q"), p.codes);
    get(t.array("d"), p.d);
    if (const StoredArray* m = t.findArray("m"))
        get(*m, p.m);
    else if (const StoredArray* dmin = t.findArray("dmin"))
        get(*dmin, p.m);
    else
        p.m.clear();
    if (const StoredArray* s = t.findArray("scales"))
        get(*s, p.scales);
    else
        p.scales.clear();
    if (const StoredArray* m = t.findArray("mins"))
        get(*m, p.mins);
    else
        p.mins.clear();
}

} // namespace

GgmlBlockQuantizer::GgmlBlockQuantizer(ggml::GgmlType type)
    : m_type(type)
{
    if (!ggml::canQuantize(type) || ggml::traits(type).params.codeBits == 0)
        throw Error(ErrorKind::InvalidArgument, {}, std::string(ggml::nameOf(type)) + " is not a block method");
}

std::string GgmlBlockQuantizer::name() const
{
    return ggml::nameOf(m_type);
}

std::string GgmlBlockQuantizer::label() const
{
    return upper(name()) + " (llama.cpp)";
}

std::string GgmlBlockQuantizer::description() const
{
    return "llama.cpp's " + upper(name()) + ": " + formatText(m_type) + "; bit-exact with ggml"
        + (ggml::traits(m_type).usesImportance ? ", with and without an importance vector" : "") + ". "
        + numberText(bitsPerValue(m_type)) + " bits per parameter.";
}

const ParamSchema& GgmlBlockQuantizer::schema() const
{
    static const ParamSchema none {};
    static const ParamSchema q4_0 { { kRounding, kImportance } };
    static const ParamSchema importance { { kImportance } };
    if (m_type == GgmlType::Q4_0)
        return q4_0;
    return ggml::traits(m_type).usesImportance ? importance : none;
}

std::vector<Preset> GgmlBlockQuantizer::presets() const
{
    return { Preset { upper(name()), QuantSpec { name(), nlohmann::json::object() } } };
}

QuantSpec GgmlBlockQuantizer::validate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    QuantSpec r = Quantizer::validate(spec, rows, dim);
    const int64_t block = ggml::blockValues(m_type);
    if (dim % block != 0) {
        const int64_t below = dim / block * block;
        std::string nearest = below > 0 ? std::to_string(below) + " or " : "";
        nearest += std::to_string(below + block);
        throw Error(ErrorKind::InvalidArgument, {},
            name() + ": the row length " + std::to_string(dim) + " is not a multiple of the "
                + (block > ggml::kBlockValues ? "super-block" : "block") + " size " + std::to_string(block)
                + "; it needs tables of " + std::to_string(block) + ", " + std::to_string(2 * block) + ", "
                + std::to_string(3 * block) + " ... columns (the nearest: " + nearest + ")");
    }
    if (r.params.contains("importance") && !r.getString("importance").empty()) {
        try {
            readImportanceVector(r.getString("importance"), dim);
        } catch (const Error& e) {
            throw Error(e.kind(), e.path(), name() + ": parameter 'importance': " + e.message());
        }
    }
    return r;
}

BitBudget GgmlBlockQuantizer::estimate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    validate(spec, rows, dim);
    BitBudget b;
    b.rows = rows;
    b.dim = dim;
    for (const ArrayPlan& a : planArrays(m_type, dim))
        b.add(a.label, a.name == "q" ? "codes" : "scale",
            static_cast<uint64_t>(rows) * static_cast<uint64_t>(a.perRow) * static_cast<uint64_t>(a.bits));
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
    const std::string importancePath = t.spec.params.value("importance", std::string());
    const std::vector<float> importance
        = importancePath.empty() ? std::vector<float>() : readImportanceVector(importancePath, e.cols);
    const ggml::Q4Rounding rounding = m_type == GgmlType::Q4_0 && t.spec.getString("rounding") == "fused"
        ? ggml::Q4Rounding::Fused
        : ggml::Q4Rounding::Separate;

    std::vector<StoredArray> arrays;
    for (const ArrayPlan& a : planArrays(m_type, e.cols)) {
        StoredArray s { a.name, a.name == "q" ? "codes" : "scale", a.label, a.type, a.bits, { e.rows, a.perRow }, {},
            {} };
        (a.type == StorageType::F16 ? s.floats.resize(static_cast<size_t>(e.rows * a.perRow))
                                    : s.ints.resize(static_cast<size_t>(e.rows * a.perRow)));
        arrays.push_back(std::move(s));
    }
    std::vector<StoredArray*> targets;
    for (StoredArray& a : arrays)
        targets.push_back(&a);

    const size_t rowBytes = ggml::storedBytes(m_type, e.cols);
    parallelRowBlocks(e.rows, 256, control, name() + ": quantize", [&](int64_t begin, int64_t end) {
        const auto n = static_cast<size_t>((end - begin) * e.cols);
        const std::span<const float> in(e.row(begin), n);
        for (size_t i = 0; i < n; ++i)
            if (!std::isfinite(in[i]))
                throw Error(ErrorKind::InvalidArgument, {},
                    name() + ": value at row " + std::to_string(begin + static_cast<int64_t>(i) / e.cols) + ", column "
                        + std::to_string(static_cast<int64_t>(i) % e.cols) + " is not finite");
        std::vector<uint8_t> bytes(rowBytes * static_cast<size_t>(end - begin));
        ggml::quantize(m_type, in, bytes, importance, rounding);
        ggml::BlockParams p;
        for (int64_t r = begin; r < end; ++r) {
            ggml::unpack(m_type, std::span(bytes).subspan(static_cast<size_t>(r - begin) * rowBytes, rowBytes), p);
            storeRow(p, r, targets);
        }
    });
    for (StoredArray& a : arrays)
        t.addArray(std::move(a));
    return t;
}

void GgmlBlockQuantizer::decodeRows(const QuantizedTable& table, std::span<const int64_t> rowIds, float* out) const
{
    if (table.dim % ggml::blockValues(m_type) != 0)
        throw Error(ErrorKind::Malformed, {}, name() + ": stored arrays do not match the table shape");
    ggml::BlockParams p;
    for (size_t i = 0; i < rowIds.size(); ++i) {
        loadRow(table, rowIds[i], p);
        ggml::dequantize(m_type, p, { out + static_cast<int64_t>(i) * table.dim, static_cast<size_t>(table.dim) });
    }
}

std::vector<uint8_t> GgmlBlockQuantizer::blockBytes(const QuantizedTable& table) const
{
    if (table.dim % ggml::blockValues(m_type) != 0)
        throw Error(ErrorKind::Malformed, {}, name() + ": stored arrays do not match the table shape");
    const size_t rowBytes = ggml::storedBytes(m_type, table.dim);
    std::vector<uint8_t> bytes(rowBytes * static_cast<size_t>(table.rows));
    ggml::BlockParams p;
    for (int64_t r = 0; r < table.rows; ++r) {
        loadRow(table, r, p);
        ggml::pack(m_type, p, std::span(bytes).subspan(static_cast<size_t>(r) * rowBytes, rowBytes));
    }
    return bytes;
}

// Codes (grid indices through the 16-entry iq4_nl grid as a shared table codebook) times d per block, or
// times d * scale code per sub-block; plus m per block (q4_1, q5_1) or minus dmin * min code per
// sub-block (q2_K, q4_K, q5_K): ParamLayout's formula, operation by operation.
void GgmlBlockQuantizer::fillReferenceLayout(const QuantizedTable& t, ReferenceLayout& r) const
{
    const ggml::ParamLayout& p = ggml::traits(m_type).params;
    vq_layout& l = r.layout;
    bindCodes(t, r, t.array("q"));
    l.group_dim = 1;
    l.codebooks = 1;
    if (p.codesIndexValues) {
        l.codebook_kind = VQ_CODEBOOK_TABLE;
        l.codebook_entries = 16;
        l.codebook_shared = 1;
        StoredArray grid { "grid", "codebook", "", StorageType::F32, 32, { 16 }, {}, {} };
        grid.floats.assign(std::begin(ggml::kIq4nlValues), std::end(ggml::kIq4nlValues));
        bindValues(grid, l.codebook_values, r.codebookBits, r.codebookFloats);
    } else {
        l.codebook_kind = VQ_CODEBOOK_INTEGER;
    }
    l.scale_cols = ggml::blockValues(m_type);
    bindValues(t.array("d"), l.scales, r.scaleBits, r.scaleFloats);
    if (p.minKind == MinKind::Add)
        bindValues(t.array("m"), l.offsets, r.offsetBits, r.offsetFloats);
    if (p.subValues > 0) {
        l.sub_cols = p.subValues;
        l.scale_codes_signed = bindPacked(t, t.array("scales"), l.scale_codes, r.scaleCodes, true) ? 1 : 0;
    }
    if (p.minKind == MinKind::Subtract) {
        bindValues(t.array("dmin"), l.offsets, r.offsetBits, r.offsetFloats);
        bindPacked(t, t.array("mins"), l.offset_codes, r.offsetCodes);
        l.offset_subtract = 1;
    }
}

} // namespace vq
