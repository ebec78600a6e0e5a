#include "quant/paramschema.h"

#include "common/error.h"

#include <cmath>
#include <sstream>

namespace vq {

namespace {

const char* typeName(ParamDef::Type type)
{
    switch (type) {
    case ParamDef::Type::Int:
        return "int";
    case ParamDef::Type::Float:
        return "float";
    case ParamDef::Type::Bool:
        return "bool";
    case ParamDef::Type::Choice:
        return "choice";
    case ParamDef::Type::Path:
        return "path";
    }
    return "?";
}

std::string formatNumber(double v, bool integral)
{
    if (integral)
        return std::to_string(static_cast<int64_t>(v));
    std::ostringstream s;
    s << v;
    return s.str();
}

// "[2, 8]" or "one of sym, asym" or "true or false": the allowed values, for messages.
std::string allowed(const ParamDef& def)
{
    switch (def.type) {
    case ParamDef::Type::Int:
    case ParamDef::Type::Float: {
        const bool integral = def.type == ParamDef::Type::Int;
        return std::string(integral ? "an integer" : "a number") + " in [" + formatNumber(def.min, integral) + ", "
            + formatNumber(def.max, integral) + "]";
    }
    case ParamDef::Type::Bool:
        return "true or false";
    case ParamDef::Type::Choice: {
        std::string s = "one of";
        for (size_t i = 0; i < def.choices.size(); ++i)
            s += (i ? ", \"" : " \"") + def.choices[i] + "\"";
        return s;
    }
    case ParamDef::Type::Path:
        return "a file path (\"\" for none)";
    }
    return {};
}

[[noreturn]] void refuse(const std::string& method, const ParamDef& def, const nlohmann::json& value)
{
    throw Error(ErrorKind::InvalidArgument, {},
        "method '" + method + "': parameter '" + def.name + "' = " + value.dump() + " is not allowed; expected "
            + allowed(def));
}

// Returns the value in its canonical JSON type (Int as integer, Float as double) or refuses it.
nlohmann::json check(const std::string& method, const ParamDef& def, const nlohmann::json& value)
{
    switch (def.type) {
    case ParamDef::Type::Int: {
        int64_t i = 0;
        if (value.is_number_integer()) {
            i = value.get<int64_t>();
            if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
                refuse(method, def, value);
        } else if (value.is_number_float()) {
            const double d = value.get<double>();
            if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15)
                refuse(method, def, value);
            i = static_cast<int64_t>(d);
        } else {
            refuse(method, def, value);
        }
        if (static_cast<double>(i) < def.min || static_cast<double>(i) > def.max)
            refuse(method, def, value);
        return i;
    }
    case ParamDef::Type::Float: {
        if (!value.is_number())
            refuse(method, def, value);
        const double d = value.get<double>();
        if (!std::isfinite(d) || d < def.min || d > def.max)
            refuse(method, def, value);
        return d;
    }
    case ParamDef::Type::Bool:
        if (!value.is_boolean())
            refuse(method, def, value);
        return value;
    case ParamDef::Type::Choice:
        if (!value.is_string())
            refuse(method, def, value);
        for (const auto& c : def.choices)
            if (c == value.get<std::string>())
                return value;
        refuse(method, def, value);
    case ParamDef::Type::Path:
        // Only the type here: whether the file exists and what it must hold is the method's to check.
        if (!value.is_string())
            refuse(method, def, value);
        return value;
    }
    refuse(method, def, value);
}

} // namespace

nlohmann::json ParamDef::toJson() const
{
    nlohmann::json j = { { "name", name }, { "type", typeName(type) }, { "default", defaultValue }, { "help", help } };
    if (type == Type::Int) {
        j["min"] = static_cast<int64_t>(min);
        j["max"] = static_cast<int64_t>(max);
    } else if (type == Type::Float) {
        j["min"] = min;
        j["max"] = max;
    }
    if (type == Type::Choice)
        j["choices"] = choices;
    if (logScale)
        j["logScale"] = true;
    return j;
}

const ParamDef* ParamSchema::find(const std::string& name) const
{
    for (const auto& p : params)
        if (p.name == name)
            return &p;
    return nullptr;
}

QuantSpec ParamSchema::resolve(const QuantSpec& spec) const
{
    if (!spec.params.is_null() && !spec.params.is_object())
        throw Error(ErrorKind::InvalidArgument, {},
            "method '" + spec.method + "': params must be a JSON object, got " + spec.params.dump());
    QuantSpec out;
    out.method = spec.method;
    out.params = nlohmann::json::object();
    if (spec.params.is_object()) {
        for (const auto& [key, value] : spec.params.items()) {
            const ParamDef* def = find(key);
            if (!def) {
                std::string known;
                for (const auto& p : params)
                    known += (known.empty() ? "" : ", ") + p.name;
                throw Error(ErrorKind::InvalidArgument, {},
                    "method '" + spec.method + "': unknown parameter '" + key + "' = " + value.dump()
                        + " (known: " + (known.empty() ? "none" : known) + ")");
            }
            out.params[key] = check(spec.method, *def, value);
        }
    }
    for (const auto& def : params)
        if (!out.params.contains(def.name))
            out.params[def.name] = check(spec.method, def, def.defaultValue);
    return out;
}

nlohmann::json ParamSchema::toJson() const
{
    nlohmann::json j = nlohmann::json::array();
    for (const auto& p : params)
        j.push_back(p.toJson());
    return j;
}

} // namespace vq
