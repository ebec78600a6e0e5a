#include "io/ggmlwritable.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "io/ggmlblocks.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace vq::ggml {

namespace {

void encodeF32(std::span<const float> in, std::span<uint8_t> out)
{
    std::memcpy(out.data(), in.data(), in.size_bytes());
}

template <uint16_t (*Narrow)(float)> void encodeHalf(std::span<const float> in, std::span<uint8_t> out)
{
    for (size_t i = 0; i < in.size(); ++i) {
        const uint16_t h = Narrow(in[i]);
        out[2 * i] = static_cast<uint8_t>(h & 0xffu);
        out[2 * i + 1] = static_cast<uint8_t>(h >> 8);
    }
}

template <BlockType Type> void encodeBlocks(std::span<const float> in, std::span<uint8_t> out)
{
    quantize(Type, in, out);
}

// ggml ids from ggml.h's enum ggml_type.
constexpr std::array kWritable = {
    WritableType { "f32", 0, 1, 4, encodeF32 },
    WritableType { "f16", 1, 1, 2, encodeHalf<floatToHalf> },
    WritableType { "bf16", 30, 1, 2, encodeHalf<floatToBf16> },
    WritableType { "q8_0", 8, kBlockValues, kQ8_0BlockBytes, encodeBlocks<BlockType::Q8_0> },
    WritableType { "q4_0", 2, kBlockValues, kQ4_0BlockBytes, encodeBlocks<BlockType::Q4_0> },
};

bool sameName(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        return lower(x) == lower(y);
    });
}

} // namespace

std::span<const WritableType> writableTypes()
{
    return kWritable;
}

const WritableType* findWritableType(std::string_view name)
{
    for (const WritableType& t : kWritable)
        if (sameName(t.name, name))
            return &t;
    return nullptr;
}

const WritableType* writableTypeById(uint32_t id)
{
    for (const WritableType& t : kWritable)
        if (t.id == id)
            return &t;
    return nullptr;
}

std::string writableTypeList()
{
    std::string list;
    for (const WritableType& t : kWritable) {
        if (!list.empty())
            list += ", ";
        list += t.name;
    }
    return list;
}

const WritableType& requireWritableType(std::string_view name, const std::string& path)
{
    if (const WritableType* t = findWritableType(name))
        return *t;
    throw Error(ErrorKind::Unsupported, path,
        "cannot write tensors of type '" + std::string(name) + "'; writable types are " + writableTypeList());
}

} // namespace vq::ggml
