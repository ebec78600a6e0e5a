#include "tableformat.h"

#include "cliargs.h"
#include "io/ggmlwritable.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace vqcli {

namespace {

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::vector<std::string> typesOf(TableFormat format)
{
    switch (format) {
    case TableFormat::Npy:
        return { "f32", "f16" };
    case TableFormat::Safetensors:
        return { "f32", "f16", "bf16" };
    case TableFormat::Gguf:
        break;
    }
    std::vector<std::string> all;
    for (const vq::ggml::WritableType& t : vq::ggml::writableTypes())
        all.emplace_back(t.name);
    return all;
}

// The format's spelling of type ("Q4_K" -> "q4_K"), or "" when the format cannot hold it.
std::string canonicalType(TableFormat format, const std::string& type)
{
    for (const std::string& t : typesOf(format))
        if (lower(t) == lower(type))
            return t;
    return {};
}

} // namespace

std::optional<TableFormat> tableFormatOf(const std::string& path)
{
    const std::string p = lower(path);
    if (endsWith(p, ".npy"))
        return TableFormat::Npy;
    if (endsWith(p, ".safetensors"))
        return TableFormat::Safetensors;
    if (endsWith(p, ".gguf"))
        return TableFormat::Gguf;
    return std::nullopt;
}

bool formatHolds(TableFormat format, const std::string& type)
{
    return !canonicalType(format, type).empty();
}

std::string checkedType(TableFormat format, const std::string& text, const std::string& option)
{
    if (std::string type = canonicalType(format, text); !type.empty())
        return type;
    const char* name = format == TableFormat::Npy ? ".npy"
        : format == TableFormat::Safetensors      ? "safetensors"
                                                  : "GGUF";
    std::string list;
    for (const std::string& t : typesOf(format))
        list += (list.empty() ? "" : ", ") + t;
    throw UsageError("option '--" + option + "': " + name + " holds " + list + ", not '" + text + "'");
}

vq::DType floatDType(const std::string& type)
{
    if (type == "f16")
        return vq::DType::F16;
    if (type == "bf16")
        return vq::DType::BF16;
    return vq::DType::F32;
}

} // namespace vqcli
