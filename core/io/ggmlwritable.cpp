#include "io/ggmlwritable.h"

#include "common/error.h"
#include "io/ggmlblocks.h"

#include <algorithm>
#include <vector>

namespace vq::ggml {

namespace {

bool isFloat(GgmlType type)
{
    return type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16;
}

// Plain floats first, then the block types in ggml's id order.
std::vector<WritableType> makeWritable()
{
    std::vector<WritableType> out;
    for (const bool floats : { true, false })
        for (const TypeTraits& t : allTypes())
            if (t.quantizable && isFloat(t.type) == floats)
                out.push_back({ t.name, static_cast<uint32_t>(t.type), t.blockValues, t.blockBytes });
    return out;
}

const std::vector<WritableType>& writable()
{
    static const std::vector<WritableType> types = makeWritable();
    return types;
}

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
    return writable();
}

const WritableType* findWritableType(std::string_view name)
{
    for (const WritableType& t : writable())
        if (sameName(t.name, name))
            return &t;
    return nullptr;
}

const WritableType* writableTypeById(uint32_t id)
{
    for (const WritableType& t : writable())
        if (t.id == id)
            return &t;
    return nullptr;
}

std::string writableTypeList()
{
    std::string list;
    for (const WritableType& t : writable()) {
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
