#include "quant/quantizedtable.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "quant/registry.h"
#include "quant/rowblocks.h"

#include <cmath>

namespace vq {

const char* nameOf(StorageType type)
{
    switch (type) {
    case StorageType::F32:
        return "f32";
    case StorageType::F16:
        return "f16";
    case StorageType::BF16:
        return "bf16";
    case StorageType::UInt:
        return "uint";
    case StorageType::Int:
        return "int";
    }
    return "?";
}

int64_t StoredArray::elementCount() const
{
    int64_t n = 1;
    for (const int64_t d : shape)
        n *= d;
    return n;
}

void StoredArray::check() const
{
    const auto refuse = [this](const std::string& what) {
        throw Error(ErrorKind::Malformed, {}, "stored array '" + name + "': " + what);
    };
    for (const int64_t d : shape)
        if (d < 0)
            refuse("negative dimension in its shape");
    const auto count = static_cast<size_t>(elementCount());
    switch (type) {
    case StorageType::F32:
    case StorageType::F16:
    case StorageType::BF16: {
        const int expectedWidth = type == StorageType::F32 ? 32 : 16;
        if (bitWidth != expectedWidth)
            refuse("bit width " + std::to_string(bitWidth) + " for " + nameOf(type) + " (expected "
                + std::to_string(expectedWidth) + ")");
        if (floats.size() != count || !ints.empty())
            refuse(std::to_string(floats.size()) + " float values for " + std::to_string(count) + " elements");
        if (type == StorageType::F32)
            break;
        for (size_t i = 0; i < floats.size(); ++i) {
            const float f = floats[i];
            const float r = type == StorageType::F16 ? roundToHalf(f) : bf16ToFloat(floatToBf16(f));
            if (!(r == f || (std::isnan(r) && std::isnan(f))))
                refuse("value " + std::to_string(f) + " at " + std::to_string(i) + " is not exactly a " + nameOf(type)
                    + " value");
        }
        break;
    }
    case StorageType::UInt:
    case StorageType::Int: {
        if (bitWidth < 1 || bitWidth > 32)
            refuse("bit width " + std::to_string(bitWidth) + " outside 1..32");
        if (ints.size() != count || !floats.empty())
            refuse(std::to_string(ints.size()) + " integer values for " + std::to_string(count) + " elements");
        if (bitWidth == 32)
            break; // every int32 pattern is a valid 32-bit value (UInt: read as uint32)
        const int64_t lo = type == StorageType::Int ? -(int64_t(1) << (bitWidth - 1)) : 0;
        const int64_t hi = type == StorageType::Int ? (int64_t(1) << (bitWidth - 1)) - 1 : (int64_t(1) << bitWidth) - 1;
        for (size_t i = 0; i < ints.size(); ++i)
            if (ints[i] < lo || ints[i] > hi)
                refuse("value " + std::to_string(ints[i]) + " at " + std::to_string(i) + " does not fit "
                    + std::to_string(bitWidth) + " bits (" + nameOf(type) + ")");
        break;
    }
    }
}

const StoredArray& QuantizedTable::array(const std::string& name) const
{
    if (const StoredArray* a = findArray(name))
        return *a;
    throw Error(ErrorKind::InvalidArgument, {}, "quantized table (" + spec.method + ") has no array '" + name + "'");
}

const StoredArray* QuantizedTable::findArray(const std::string& name) const
{
    for (const auto& a : arrays)
        if (a.name == name)
            return &a;
    return nullptr;
}

StoredArray& QuantizedTable::addArray(StoredArray a)
{
    if (findArray(a.name))
        throw Error(ErrorKind::InvalidArgument, {}, "quantized table already has an array '" + a.name + "'");
    arrays.push_back(std::move(a));
    return arrays.back();
}

BitBudget QuantizedTable::bits() const
{
    BitBudget budget;
    budget.rows = rows;
    budget.dim = dim;
    for (const auto& a : arrays)
        budget.add(a.label.empty() ? a.name : a.label, a.role, a.storedBits());
    return budget;
}

void QuantizedTable::decodeRows(std::span<const int64_t> rowIds, float* out) const
{
    for (const int64_t r : rowIds)
        if (r < 0 || r >= rows)
            throw Error(ErrorKind::InvalidArgument, {},
                "row " + std::to_string(r) + " is outside the quantized table's " + std::to_string(rows) + " rows");
    quantizer(spec.method).decodeRows(*this, rowIds, out);
}

Matrix QuantizedTable::decodeAll() const
{
    Matrix m(rows, dim);
    const Quantizer& q = quantizer(spec.method);
    parallelRowBlocks(rows, 1024, nullRunControl(), "decode", [&](int64_t begin, int64_t end) {
        std::vector<int64_t> ids(static_cast<size_t>(end - begin));
        for (int64_t r = begin; r < end; ++r)
            ids[static_cast<size_t>(r - begin)] = r;
        q.decodeRows(*this, ids, m.row(begin));
    });
    return m;
}

} // namespace vq
