#include "quant/methods/rtn.h"

#include "quant/methods/vqshared.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "export/referencelayout.h"
#include "quant/rowblocks.h"

#include <algorithm>
#include <cmath>

namespace vq {

namespace {

constexpr float kHalfMax = 65504.0f;

struct Layout {
    int bits = 4;
    int64_t group = 0; // columns per group, resolved (never 0)
    int64_t groups = 0; // per row
    bool symmetric = true;
};

Layout layoutOf(const QuantSpec& resolved, int64_t dim)
{
    Layout l;
    l.bits = static_cast<int>(resolved.getInt("bits"));
    l.group = resolved.getInt("group") == 0 ? dim : resolved.getInt("group");
    l.groups = dim / l.group;
    l.symmetric = resolved.getString("mode") == "sym";
    return l;
}

// The largest fp16 value <= f (f finite and within the fp16 range).
float halfAtOrBelow(float f)
{
    const float r = roundToHalf(f);
    if (r <= f)
        return r;
    const uint16_t h = floatToHalf(r);
    if (h == 0x0000u) // +0 rounded up from a tiny negative: step to the smallest negative subnormal
        return halfToFloat(0x8001u);
    return halfToFloat(static_cast<uint16_t>((h & 0x8000u) ? h + 1 : h - 1));
}

[[noreturn]] void refuseValue(int64_t row, int64_t col, float v)
{
    throw Error(ErrorKind::InvalidArgument, {},
        "rtn: value " + std::to_string(v) + " at row " + std::to_string(row) + ", column " + std::to_string(col)
            + (std::isfinite(v) ? " is outside the fp16 range the asymmetric minimum is stored in" : " is not finite"));
}

void encodeRow(const Layout& l, const float* x, int64_t row, int32_t* codes, float* scales, float* mins)
{
    for (int64_t g = 0; g < l.groups; ++g) {
        const float* v = x + g * l.group;
        int32_t* q = codes + g * l.group;
        float lo = v[0], hi = v[0], amax = 0.0f;
        for (int64_t j = 0; j < l.group; ++j) {
            if (!std::isfinite(v[j]))
                refuseValue(row, g * l.group + j, v[j]);
            lo = std::min(lo, v[j]);
            hi = std::max(hi, v[j]);
            amax = std::max(amax, std::fabs(v[j]));
        }
        if (l.symmetric) {
            const int qmax = (1 << (l.bits - 1)) - 1;
            // Values beyond fp16 range would give an infinite scale: saturate at the largest fp16.
            const float s = roundToHalf(std::min(amax / static_cast<float>(qmax), kHalfMax));
            scales[g] = s;
            for (int64_t j = 0; j < l.group; ++j) {
                const float r = s > 0.0f ? std::round(v[j] / s) : 0.0f;
                q[j] = static_cast<int32_t>(std::clamp(r, -static_cast<float>(qmax), static_cast<float>(qmax)));
            }
        } else {
            const int levels = (1 << l.bits) - 1;
            if (lo < -kHalfMax)
                refuseValue(row, g * l.group + (std::min_element(v, v + l.group) - v), lo);
            const float m = halfAtOrBelow(lo);
            const float s = roundToHalf(std::min((hi - m) / static_cast<float>(levels), kHalfMax));
            mins[g] = m;
            scales[g] = s;
            for (int64_t j = 0; j < l.group; ++j) {
                const float r = s > 0.0f ? std::round((v[j] - m) / s) : 0.0f;
                q[j] = static_cast<int32_t>(std::clamp(r, 0.0f, static_cast<float>(levels)));
            }
        }
    }
}

} // namespace

std::string RtnQuantizer::description() const
{
    return "Round-to-nearest scalar quantization: each group of columns of a row gets an fp16 scale "
           "(symmetric) or an fp16 scale and minimum (asymmetric), and each value a signed or unsigned "
           "integer of the given bit width. The reference point every vector quantizer has to beat.";
}

const ParamSchema& RtnQuantizer::schema() const
{
    static const ParamSchema s { {
        { "bits", ParamDef::Type::Int, 2, 8, 4, {}, "bits per value", false },
        { "group", ParamDef::Type::Int, 0, 1 << 20, 0, {},
            "columns per scale group along a row; must divide the row length (0: whole row)", false },
        { "mode", ParamDef::Type::Choice, 0, 0, "sym", { "sym", "asym" },
            "sym: scale only, levels -(2^(b-1)-1)..2^(b-1)-1; asym: scale and minimum, levels 0..2^b-1", false },
    } };
    return s;
}

std::vector<Preset> RtnQuantizer::presets() const
{
    const auto preset = [](const char* label, int bits, int group) {
        return Preset { label, QuantSpec { "rtn", { { "bits", bits }, { "group", group }, { "mode", "sym" } } } };
    };
    return { preset("RTN int8 g128", 8, 128), preset("RTN int4 g128", 4, 128), preset("RTN int2 g64", 2, 64),
        preset("RTN int4 per row", 4, 0) };
}

QuantSpec RtnQuantizer::validate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    QuantSpec r = Quantizer::validate(spec, rows, dim);
    const int64_t group = r.getInt("group");
    if (group != 0)
        requireDividesRow("rtn", "group", group, dim, "0 for the whole row, or ");
    return r;
}

BitBudget RtnQuantizer::estimate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    const Layout l = layoutOf(validate(spec, rows, dim), dim);
    BitBudget b;
    b.rows = rows;
    b.dim = dim;
    const auto n = static_cast<uint64_t>(rows);
    b.add("codes (" + std::string(l.symmetric ? "int" : "uint") + std::to_string(l.bits) + ")", "codes",
        n * static_cast<uint64_t>(dim) * static_cast<uint64_t>(l.bits));
    b.add("group scales (fp16)", "scale", n * static_cast<uint64_t>(l.groups) * 16);
    if (!l.symmetric)
        b.add("group minimums (fp16)", "scale", n * static_cast<uint64_t>(l.groups) * 16);
    return b;
}

QuantizedTable RtnQuantizer::fit(const FitInput& input, const QuantSpec& spec, RunControl& control) const
{
    checkFitInput(input, name());
    const Matrix& e = input.table;
    QuantizedTable t;
    t.spec = validate(spec, e.rows, e.cols);
    t.rows = e.rows;
    t.dim = e.cols;
    const Layout l = layoutOf(t.spec, e.cols);
    const BitBudget budget = estimate(t.spec, e.rows, e.cols);

    StoredArray codes { "codes", "codes", budget.items[0].label, l.symmetric ? StorageType::Int : StorageType::UInt,
        l.bits, { e.rows, e.cols }, {}, {} };
    codes.ints.resize(static_cast<size_t>(e.rows * e.cols));
    StoredArray scales { "scales", "scale", budget.items[1].label, StorageType::F16, 16, { e.rows, l.groups }, {}, {} };
    scales.floats.resize(static_cast<size_t>(e.rows * l.groups));
    StoredArray mins { "mins", "scale", l.symmetric ? "" : budget.items[2].label, StorageType::F16, 16,
        { e.rows, l.groups }, {}, {} };
    if (!l.symmetric)
        mins.floats.resize(static_cast<size_t>(e.rows * l.groups));

    parallelRowBlocks(e.rows, 256, control, "rtn: quantize", [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r)
            encodeRow(l, e.row(r), r, codes.ints.data() + r * e.cols, scales.floats.data() + r * l.groups,
                l.symmetric ? nullptr : mins.floats.data() + r * l.groups);
    });

    t.addArray(std::move(codes));
    t.addArray(std::move(scales));
    if (!l.symmetric)
        t.addArray(std::move(mins));
    t.info = { { "groupSize", l.group }, { "groupsPerRow", l.groups } };
    return t;
}

void RtnQuantizer::decodeRows(const QuantizedTable& table, std::span<const int64_t> rowIds, float* out) const
{
    const Layout l = layoutOf(table.spec, table.dim);
    const StoredArray& codes = table.array("codes");
    const StoredArray& scales = table.array("scales");
    const StoredArray* mins = l.symmetric ? nullptr : &table.array("mins");
    const auto n = static_cast<size_t>(table.rows);
    if (codes.ints.size() != n * static_cast<size_t>(table.dim)
        || scales.floats.size() != n * static_cast<size_t>(l.groups)
        || (mins && mins->floats.size() != scales.floats.size()))
        throw Error(ErrorKind::Malformed, {}, "rtn: stored arrays do not match the table shape and group size");
    for (size_t i = 0; i < rowIds.size(); ++i) {
        const int64_t r = rowIds[i];
        const int32_t* q = codes.ints.data() + r * table.dim;
        const float* s = scales.floats.data() + r * l.groups;
        float* x = out + static_cast<int64_t>(i) * table.dim;
        for (int64_t g = 0; g < l.groups; ++g) {
            const float m = mins ? mins->floats[static_cast<size_t>(r * l.groups + g)] : 0.0f;
            for (int64_t j = g * l.group; j < (g + 1) * l.group; ++j)
                x[j] = mins ? m + s[g] * static_cast<float>(q[j]) : s[g] * static_cast<float>(q[j]);
        }
    }
}

std::vector<std::string> RtnQuantizer::keyParameters() const
{
    return { "bits", "group" };
}

void RtnQuantizer::fillReferenceLayout(const QuantizedTable& t, ReferenceLayout& r) const
{
    vq_layout& l = r.layout;
    bindCodes(t, r, t.array("codes"));
    l.group_dim = 1;
    l.codebooks = 1;
    l.codebook_kind = VQ_CODEBOOK_INTEGER;
    const int64_t group = t.spec.getInt("group");
    l.scale_cols = group == 0 ? t.dim : group;
    bindValues(t.array("scales"), l.scales, r.scaleBits, r.scaleFloats);
    if (t.spec.getString("mode") == "asym")
        bindValues(t.array("mins"), l.offsets, r.offsetBits, r.offsetFloats);
}

void RtnQuantizer::checkStored(const QuantizedTable& t) const
{
    Quantizer::checkStored(t);
    const Layout l = layoutOf(t.spec, t.dim);
    if (!l.symmetric)
        return; // asym levels 0..2^b-1 fill the unsigned storage exactly
    // Symmetric levels leave out -2^(b-1), which the signed storage could hold.
    const int32_t top = (int32_t(1) << (l.bits - 1)) - 1;
    const std::vector<int32_t>& codes = t.array("codes").ints;
    for (size_t i = 0; i < codes.size(); ++i)
        if (codes[i] < -top || codes[i] > top)
            throw Error(ErrorKind::Malformed, {},
                "rtn: code " + std::to_string(codes[i]) + " at element " + std::to_string(i) + " is outside the "
                    + std::to_string(l.bits) + "-bit symmetric range -" + std::to_string(top) + ".."
                    + std::to_string(top));
}

std::vector<QuantSpec> RtnQuantizer::baselineSpecs() const
{
    std::vector<QuantSpec> specs;
    for (int bits : { 2, 3, 4, 8 })
        specs.push_back(QuantSpec { name(), { { "bits", bits }, { "group", 0 }, { "mode", "sym" } } });
    return specs;
}

bool RtnQuantizer::isSameBaseline(const QuantSpec& run, const QuantSpec& baseline) const
{
    return run.method == baseline.method && run.params.value("bits", 0) == baseline.params.value("bits", -1);
}

std::string RtnQuantizer::baselineLabel(const QuantSpec& spec) const
{
    if (spec.params.contains("bits") && spec.params["bits"].is_number_integer())
        return name() + " " + std::to_string(spec.params["bits"].get<int>());
    return name();
}

} // namespace vq
