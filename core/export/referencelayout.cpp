#include "export/referencelayout.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "quant/bitpack.h"
#include "quant/registry.h"

namespace vq {

void refuseLayout(const QuantizedTable& t, const std::string& what)
{
    throw Error(ErrorKind::Malformed, {}, t.spec.method + ": " + what);
}

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
        refuseLayout(t, "codes are not integers");
    r.codes = packInts(codes.ints, codes.bitWidth, codes.type == StorageType::Int);
    r.layout.codes = r.codes.data();
    r.layout.codes_bytes = r.codes.size();
    r.layout.code_bits = codes.bitWidth;
    r.layout.code_signed = codes.type == StorageType::Int;
}

bool bindPacked(
    const QuantizedTable& t, const StoredArray& a, vq_packed& p, std::vector<uint8_t>& bytes, bool allowSigned)
{
    const bool isSigned = a.type == StorageType::Int;
    if (a.type != StorageType::UInt && !(allowSigned && isSigned))
        refuseLayout(t, "array '" + a.name + "' is not an unsigned integer array");
    bytes = packInts(a.ints, a.bitWidth, isSigned);
    p.data = bytes.data();
    p.bytes = bytes.size();
    p.bits = a.bitWidth;
    return isSigned;
}

std::unique_ptr<ReferenceLayout> makeReferenceLayout(const QuantizedTable& table)
{
    auto r = std::make_unique<ReferenceLayout>();
    r->layout.rows = table.rows;
    r->layout.dim = table.dim;
    quantizer(table.spec.method).fillReferenceLayout(table, *r);
    if (vq_check_layout(&r->layout) != VQ_OK)
        refuseLayout(table, "the stored arrays do not form a consistent reference layout");
    return r;
}

} // namespace vq
