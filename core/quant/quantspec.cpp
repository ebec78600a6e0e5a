#include "quant/quantspec.h"

#include "common/error.h"

#include <cmath>

namespace vq {

namespace {

[[noreturn]] void refuse(const std::string& message)
{
    throw Error(ErrorKind::InvalidArgument, {}, message);
}

const nlohmann::json& lookup(const QuantSpec& spec, const std::string& key)
{
    const auto it = spec.params.find(key);
    if (it == spec.params.end())
        refuse("method '" + spec.method + "': parameter '" + key + "' is missing");
    return *it;
}

[[noreturn]] void wrongType(const QuantSpec& spec, const std::string& key, const char* expected)
{
    refuse(
        "method '" + spec.method + "': parameter '" + key + "' = " + lookup(spec, key).dump() + " is not " + expected);
}

} // namespace

nlohmann::json QuantSpec::toJson() const
{
    return { { "method", method }, { "params", params.is_null() ? nlohmann::json::object() : params } };
}

QuantSpec QuantSpec::fromJson(const nlohmann::json& j)
{
    if (!j.is_object())
        refuse("quantization spec must be a JSON object {\"method\": ..., \"params\": {...}}, got " + j.dump());
    const auto method = j.find("method");
    if (method == j.end() || !method->is_string() || method->get<std::string>().empty())
        refuse("quantization spec needs a non-empty string \"method\", got " + j.dump());
    for (const auto& [key, value] : j.items()) {
        (void)value;
        if (key != "method" && key != "params")
            refuse("quantization spec has an unknown key '" + key + "' (expected \"method\" and \"params\")");
    }
    QuantSpec spec;
    spec.method = method->get<std::string>();
    const auto params = j.find("params");
    if (params != j.end()) {
        if (!params->is_object())
            refuse("quantization spec \"params\" must be an object, got " + params->dump());
        spec.params = *params;
    }
    return spec;
}

int64_t QuantSpec::getInt(const std::string& key) const
{
    const nlohmann::json& v = lookup(*this, key);
    if (v.is_number_integer())
        return v.get<int64_t>();
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15)
            return static_cast<int64_t>(d);
    }
    wrongType(*this, key, "an integer");
}

double QuantSpec::getFloat(const std::string& key) const
{
    const nlohmann::json& v = lookup(*this, key);
    if (!v.is_number())
        wrongType(*this, key, "a number");
    return v.get<double>();
}

bool QuantSpec::getBool(const std::string& key) const
{
    const nlohmann::json& v = lookup(*this, key);
    if (!v.is_boolean())
        wrongType(*this, key, "a boolean");
    return v.get<bool>();
}

std::string QuantSpec::getString(const std::string& key) const
{
    const nlohmann::json& v = lookup(*this, key);
    if (!v.is_string())
        wrongType(*this, key, "a string");
    return v.get<std::string>();
}

} // namespace vq
