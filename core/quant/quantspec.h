#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace vq {

// A method name and its parameters: the unit of reproducibility. JSON form:
//   {"method": "grvq", "params": {"h": 8, "R": 3, "kappa": 4}}
// Parameters absent from params take the schema default (ParamSchema::resolve fills them in).
struct QuantSpec {
    std::string method;
    nlohmann::json params = nlohmann::json::object();

    nlohmann::json toJson() const;
    // Throws vq::Error(InvalidArgument) when j is not of that form.
    static QuantSpec fromJson(const nlohmann::json& j);

    // Typed access with the value already resolved (see ParamSchema::resolve); throws InvalidArgument
    // when the key is missing or of the wrong type.
    int64_t getInt(const std::string& key) const;
    double getFloat(const std::string& key) const;
    bool getBool(const std::string& key) const;
    std::string getString(const std::string& key) const;

    bool operator==(const QuantSpec& other) const = default;
};

} // namespace vq
