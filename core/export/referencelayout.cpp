#include "export/referencelayout.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "quant/bitpack.h"

namespace vq {

namespace {

[[noreturn]] void refuse(const QuantizedTable& t, const std::string& what)
{
    throw Error(ErrorKind::Malformed, {}, t.spec.method + ": " + what);
}

// Points v at the array's values in its storage type, keeping the converted copy in bits or floats.
void bindValues(const StoredArray& a, vq_values& v, std::vector<uint16_t>& bits, std::vector<float>& floats)
{
    v.count = a.floats.size();
    switch (a.type) {
    case StorageType::F32:
        floats = a.floats;
        v.type = VQ_F32;
        v.data = floats.data();
        return;
    case StorageType::F16:
    case StorageType::BF16:
        bits.resize(a.floats.size());
        for (size_t i = 0; i < bits.size(); ++i)
            bits[i] = a.type == StorageType::F16 ? floatToHalf(a.floats[i]) : floatToBf16(a.floats[i]);
        v.type = a.type == StorageType::F16 ? VQ_F16 : VQ_BF16;
        v.data = bits.data();
        return;
    default:
        throw Error(ErrorKind::Malformed, {}, "array '" + a.name + "' is not a float array");
    }
}

void bindCodes(const QuantizedTable& t, ReferenceLayout& r, const StoredArray& codes)
{
    if (codes.type != StorageType::UInt && codes.type != StorageType::Int)
        refuse(t, "codes are not integers");
    r.codes = packInts(codes.ints, codes.bitWidth, codes.type == StorageType::Int);
    r.layout.codes = r.codes.data();
    r.layout.codes_bytes = r.codes.size();
    r.layout.code_bits = codes.bitWidth;
    r.layout.code_signed = codes.type == StorageType::Int;
}

void mapRtn(const QuantizedTable& t, ReferenceLayout& r)
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

// q8_0 / q4_0: x = code * d per block of 32 columns (IEEE products commute, so the order is free).
void mapGgmlBlock(const QuantizedTable& t, ReferenceLayout& r)
{
    vq_layout& l = r.layout;
    bindCodes(t, r, t.array("q"));
    l.group_dim = 1;
    l.codebooks = 1;
    l.codebook_kind = VQ_CODEBOOK_INTEGER;
    l.scale_cols = 32;
    bindValues(t.array("d"), l.scales, r.scaleBits, r.scaleFloats);
}

void mapPq(const QuantizedTable& t, ReferenceLayout& r)
{
    vq_layout& l = r.layout;
    bindCodes(t, r, t.array("codes"));
    const int64_t d = t.spec.getInt("d");
    l.group_dim = static_cast<int32_t>(d);
    l.codebooks = 1;
    l.codebook_kind = VQ_CODEBOOK_TABLE;
    l.codebook_entries = int64_t(1) << t.spec.getInt("bits");
    const StoredArray& books = t.array("codebooks");
    const int64_t groups = t.dim / d;
    const int64_t asked = t.spec.params.contains("codebooks") ? t.spec.getInt("codebooks") : 0;
    const int64_t count = t.spec.getBool("shared") ? 1 : asked == 0 ? groups : asked;
    if (books.shape.empty() || books.shape[0] != count)
        refuse(t, "the codebooks array does not hold the " + std::to_string(count) + " codebooks of the spec");
    l.codebook_shared = count == 1 ? 1 : 0;
    if (count == 1 || count == groups) {
        bindValues(books, l.codebook_values, r.codebookBits, r.codebookFloats);
        return;
    }
    // Codebooks shared by blocks of positions: the decoder knows one set per position, so each
    // position gets a copy of its block's codebook (position p uses codebook p * count / groups).
    StoredArray expanded = books;
    const size_t per = static_cast<size_t>(l.codebook_entries * d);
    if (books.floats.size() != static_cast<size_t>(count) * per)
        refuse(t, "codebooks do not match their shape");
    expanded.shape[0] = groups;
    expanded.floats.clear();
    for (int64_t p = 0; p < groups; ++p) {
        const auto first
            = books.floats.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(p * count / groups) * per);
        expanded.floats.insert(expanded.floats.end(), first, first + static_cast<std::ptrdiff_t>(per));
    }
    bindValues(expanded, l.codebook_values, r.codebookBits, r.codebookFloats);
}

void mapGrvq(const QuantizedTable& t, ReferenceLayout& r)
{
    vq_layout& l = r.layout;
    bindCodes(t, r, t.array("codes"));
    l.group_dim = static_cast<int32_t>(t.spec.getInt("h"));
    l.codebooks = static_cast<int32_t>(t.spec.getInt("R"));
    l.sum_from_zero = 1; // GrvqQuantizer::decodeRows adds every stage to a zeroed row
    l.codebook_kind = VQ_CODEBOOK_TABLE;
    l.codebook_entries = int64_t(1) << t.spec.getInt("kappa");
    l.codebook_shared = t.spec.getBool("shared") ? 1 : 0;
    bindValues(t.array("codebooks"), l.codebook_values, r.codebookBits, r.codebookFloats);
}

// aqlm: M codebooks shared by every group position, summed from the first codeword (not from zero),
// then multiplied by the row's scale (AqlmQuantizer::decodeRows).
void mapAqlm(const QuantizedTable& t, ReferenceLayout& r)
{
    vq_layout& l = r.layout;
    bindCodes(t, r, t.array("codes"));
    l.group_dim = static_cast<int32_t>(t.spec.getInt("g"));
    l.codebooks = static_cast<int32_t>(t.spec.getInt("M"));
    l.codebook_kind = VQ_CODEBOOK_TABLE;
    l.codebook_entries = int64_t(1) << t.spec.getInt("B");
    l.codebook_shared = 1;
    bindValues(t.array("codebooks"), l.codebook_values, r.codebookBits, r.codebookFloats);
    if (t.spec.getBool("scales")) {
        l.scale_cols = t.dim;
        bindValues(t.array("scales"), l.scales, r.scaleBits, r.scaleFloats);
    }
}

// An unsigned integer array packed as the artifact stores it, bound to p.
void bindPacked(const QuantizedTable& t, const StoredArray& a, vq_packed& p, std::vector<uint8_t>& bytes)
{
    if (a.type != StorageType::UInt)
        refuse(t, "array '" + a.name + "' is not an unsigned integer array");
    bytes = packInts(a.ints, a.bitWidth, false);
    p.data = bytes.data();
    p.bytes = bytes.size();
    p.bits = a.bitWidth;
}

// crvq: one base codebook summed from zero, then in the critical groups the extended codebooks
// (CrvqQuantizer::decodeRows), scattered back through the column permutation (column axis) or added in
// the critical rows only (row axis).
void mapCrvq(const QuantizedTable& t, ReferenceLayout& r)
{
    vq_layout& l = r.layout;
    bindCodes(t, r, t.array("codes"));
    l.group_dim = static_cast<int32_t>(t.spec.getInt("g"));
    l.codebooks = 1;
    l.sum_from_zero = 1;
    l.codebook_kind = VQ_CODEBOOK_TABLE;
    l.codebook_entries = int64_t(1) << t.spec.getInt("b");
    l.codebook_shared = t.spec.getBool("shared") ? 1 : 0;
    bindValues(t.array("codebooks"), l.codebook_values, r.codebookBits, r.codebookFloats);
    const StoredArray* extCodes = t.findArray("extCodes");
    if (extCodes == nullptr)
        return; // no critical groups: the base VQ alone
    const StoredArray& ext = *extCodes;
    if (ext.shape.size() != 3)
        refuse(t, "extCodes is not critical rows x groups x codebooks");
    l.ext_codebooks = static_cast<int32_t>(ext.shape[2]);
    l.ext_groups = ext.shape[1];
    bindPacked(t, ext, l.ext_codes, r.extCodes);
    bindValues(t.array("extCodebooks"), l.ext_codebook_values, r.extCodebookBits, r.extCodebookFloats);
    if (t.spec.getString("axis") == "row") {
        const StoredArray& ids = t.array("rowIds");
        bindPacked(t, ids, l.ext_rows, r.extRows);
        l.ext_row_count = static_cast<int64_t>(ids.ints.size());
    } else {
        bindPacked(t, t.array("permutation"), l.permutation, r.permutation);
    }
}

} // namespace

std::unique_ptr<ReferenceLayout> makeReferenceLayout(const QuantizedTable& table)
{
    auto r = std::make_unique<ReferenceLayout>();
    r->layout.rows = table.rows;
    r->layout.dim = table.dim;
    const std::string& method = table.spec.method;
    if (method == "rtn")
        mapRtn(table, *r);
    else if (method == "q8_0" || method == "q4_0")
        mapGgmlBlock(table, *r);
    else if (method == "pq")
        mapPq(table, *r);
    else if (method == "grvq")
        mapGrvq(table, *r);
    else if (method == "aqlm")
        mapAqlm(table, *r);
    else if (method == "carvq")
        mapGrvq(table, *r); // the adaptor term is the caller's addend (addCarvqAdaptor)
    else if (method == "crvq")
        mapCrvq(table, *r);
    else
        throw Error(ErrorKind::Unsupported, {}, "the reference decoder has no layout for method '" + method + "'");
    if (vq_check_layout(&r->layout) != VQ_OK)
        refuse(table, "the stored arrays do not form a consistent reference layout");
    return r;
}

} // namespace vq
