#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace vq {

// Integers packed at `bits` bits each (1..32) into a little-endian bit stream: value i occupies stream
// bits [i*bits, (i+1)*bits), stream bit k is bit (k % 8) of byte k / 8, and each value is stored least
// significant bit first. The last byte is zero-padded. This is the layout of the artifact's code arrays.

// Bytes needed for count values of the given width: ceil(count * bits / 8).
size_t packedBytes(size_t count, int bits);

// Each value must lie in [0, 2^bits); otherwise vq::Error(InvalidArgument) naming the index and value.
std::vector<uint8_t> packUnsigned(std::span<const uint32_t> values, int bits);
// Two's complement: each value must lie in [-2^(bits-1), 2^(bits-1)).
std::vector<uint8_t> packSigned(std::span<const int32_t> values, int bits);

// Reads count values back; throws vq::Error(Truncated) when bytes is shorter than packedBytes(count, bits).
std::vector<uint32_t> unpackUnsigned(std::span<const uint8_t> bytes, int bits, size_t count);
// Sign-extends each value from `bits` bits.
std::vector<int32_t> unpackSigned(std::span<const uint8_t> bytes, int bits, size_t count);

// The same for StoredArray::ints, whose UInt values are held as int32 (read as uint32 bit patterns at
// 32 bits): isSigned selects two's complement (StorageType::Int) or unsigned (StorageType::UInt).
std::vector<uint8_t> packInts(std::span<const int32_t> values, int bits, bool isSigned);
std::vector<int32_t> unpackInts(std::span<const uint8_t> bytes, int bits, size_t count, bool isSigned);

} // namespace vq
