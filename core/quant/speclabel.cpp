#include "quant/speclabel.h"

#include "quant/paramschema.h"
#include "quant/registry.h"

#include <algorithm>

namespace vq {

namespace {

std::string valueText(const nlohmann::json& v)
{
    return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string token(const std::string& name, const nlohmann::json& value)
{
    if (value.is_boolean())
        return value.get<bool>() ? name : name + "=no";
    if (name == "bits" && value.is_number_integer())
        return valueText(value) + "-bit";
    if (name.size() == 1 && value.is_number())
        return name + valueText(value);
    return name + "=" + valueText(value);
}

// The registered method of that name; null for one this version does not know (a record of another).
const Quantizer* methodOf(const std::string& method)
{
    for (const Quantizer* q : allQuantizers())
        if (q->name() == method)
            return q;
    return nullptr;
}

} // namespace

std::string specLabel(const QuantSpec& spec, SpecLabelParts parts)
{
    std::vector<std::string> tokens;
    if (parts == SpecLabelParts::All)
        tokens.push_back(spec.method);
    if (spec.params.is_object()) {
        const Quantizer* method = methodOf(spec.method);
        const std::vector<std::string> keys = method ? method->keyParameters() : std::vector<std::string> {};
        for (const std::string& name : keys)
            if (const auto v = spec.params.find(name); v != spec.params.end())
                tokens.push_back(token(name, *v));
        const auto shown
            = [&](const std::string& name) { return std::find(keys.begin(), keys.end(), name) != keys.end(); };
        if (const ParamSchema* schema = method ? &method->schema() : nullptr) {
            for (const ParamDef& def : schema->params)
                if (const auto v = spec.params.find(def.name);
                    v != spec.params.end() && !shown(def.name) && *v != def.defaultValue)
                    tokens.push_back(token(def.name, *v));
            // Keys the schema does not know (a record of another version) are shown too: labels of specs
            // that differ must differ.
            for (const auto& [name, value] : spec.params.items())
                if (!shown(name) && !schema->find(name))
                    tokens.push_back(token(name, value));
        } else {
            for (const auto& [name, value] : spec.params.items())
                if (!shown(name))
                    tokens.push_back(token(name, value));
        }
    }
    std::string label;
    for (const std::string& t : tokens)
        label += (label.empty() ? "" : " ") + t;
    return label;
}

} // namespace vq
