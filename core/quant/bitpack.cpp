#include "quant/bitpack.h"

#include "common/error.h"

namespace vq {

namespace {

void checkWidth(int bits)
{
    if (bits < 1 || bits > 32)
        throw Error(ErrorKind::InvalidArgument, {}, "bit width " + std::to_string(bits) + " is outside 1..32");
}

uint64_t mask(int bits)
{
    return bits == 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
}

// Values are already range-checked and reduced to their low `bits` bits.
template <class Get> std::vector<uint8_t> pack(size_t count, int bits, Get get)
{
    std::vector<uint8_t> out(packedBytes(count, bits), 0);
    uint64_t acc = 0; // pending bits, least significant first
    int pending = 0;
    size_t pos = 0;
    for (size_t i = 0; i < count; ++i) {
        acc |= static_cast<uint64_t>(get(i)) << pending;
        pending += bits;
        while (pending >= 8) {
            out[pos++] = static_cast<uint8_t>(acc);
            acc >>= 8;
            pending -= 8;
        }
    }
    if (pending > 0)
        out[pos] = static_cast<uint8_t>(acc);
    return out;
}

template <class Put> void unpack(std::span<const uint8_t> bytes, int bits, size_t count, Put put)
{
    checkWidth(bits);
    const size_t need = packedBytes(count, bits);
    if (bytes.size() < need)
        throw Error(ErrorKind::Truncated, {},
            std::to_string(count) + " values of " + std::to_string(bits) + " bits need " + std::to_string(need)
                + " bytes, got " + std::to_string(bytes.size()));
    uint64_t acc = 0;
    int available = 0;
    size_t pos = 0;
    const uint64_t m = mask(bits);
    for (size_t i = 0; i < count; ++i) {
        while (available < bits) {
            acc |= static_cast<uint64_t>(bytes[pos++]) << available;
            available += 8;
        }
        put(i, static_cast<uint32_t>(acc & m));
        acc >>= bits;
        available -= bits;
    }
}

int32_t signExtend(uint32_t v, int bits)
{
    if (bits == 32)
        return static_cast<int32_t>(v);
    const uint32_t sign = uint32_t(1) << (bits - 1);
    return static_cast<int32_t>(static_cast<int64_t>(v ^ sign) - static_cast<int64_t>(sign));
}

[[noreturn]] void outOfRange(size_t index, int64_t value, int bits, bool isSigned)
{
    throw Error(ErrorKind::InvalidArgument, {},
        "value " + std::to_string(value) + " at index " + std::to_string(index) + " does not fit "
            + std::to_string(bits) + (isSigned ? " bits (signed)" : " bits (unsigned)"));
}

} // namespace

size_t packedBytes(size_t count, int bits)
{
    checkWidth(bits);
    return (count * static_cast<size_t>(bits) + 7) / 8;
}

std::vector<uint8_t> packUnsigned(std::span<const uint32_t> values, int bits)
{
    checkWidth(bits);
    const uint64_t m = mask(bits);
    for (size_t i = 0; i < values.size(); ++i)
        if (values[i] > m)
            outOfRange(i, values[i], bits, false);
    return pack(values.size(), bits, [&](size_t i) { return values[i]; });
}

std::vector<uint8_t> packSigned(std::span<const int32_t> values, int bits)
{
    checkWidth(bits);
    const int64_t lo = -(int64_t(1) << (bits - 1));
    const int64_t hi = (int64_t(1) << (bits - 1)) - 1;
    for (size_t i = 0; i < values.size(); ++i)
        if (values[i] < lo || values[i] > hi)
            outOfRange(i, values[i], bits, true);
    const uint64_t m = mask(bits);
    return pack(values.size(), bits, [&](size_t i) { return static_cast<uint32_t>(values[i]) & m; });
}

std::vector<uint32_t> unpackUnsigned(std::span<const uint8_t> bytes, int bits, size_t count)
{
    std::vector<uint32_t> out(count);
    unpack(bytes, bits, count, [&](size_t i, uint32_t v) { out[i] = v; });
    return out;
}

std::vector<int32_t> unpackSigned(std::span<const uint8_t> bytes, int bits, size_t count)
{
    std::vector<int32_t> out(count);
    unpack(bytes, bits, count, [&](size_t i, uint32_t v) { out[i] = signExtend(v, bits); });
    return out;
}

std::vector<uint8_t> packInts(std::span<const int32_t> values, int bits, bool isSigned)
{
    if (isSigned)
        return packSigned(values, bits);
    checkWidth(bits);
    const uint64_t m = mask(bits);
    for (size_t i = 0; i < values.size(); ++i)
        if (bits < 32 && (values[i] < 0 || static_cast<uint64_t>(values[i]) > m))
            outOfRange(i, values[i], bits, false);
    return pack(values.size(), bits, [&](size_t i) { return static_cast<uint32_t>(values[i]); });
}

std::vector<int32_t> unpackInts(std::span<const uint8_t> bytes, int bits, size_t count, bool isSigned)
{
    if (isSigned)
        return unpackSigned(bytes, bits, count);
    std::vector<int32_t> out(count);
    unpack(bytes, bits, count, [&](size_t i, uint32_t v) { out[i] = static_cast<int32_t>(v); });
    return out;
}

} // namespace vq
