#pragma once

#include "quant/quantspec.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace vq {

// One parameter of a method. The GUI builds its form from these, the CLI validates against them.
struct ParamDef {
    enum class Type { Int, Float, Bool, Choice, Path }; // Path: a file name, "" for none
    std::string name; // key in QuantSpec::params ("h", "R", "kappa", "bits")
    Type type = Type::Int;
    double min = 0; // inclusive, Int/Float
    double max = 0; // inclusive, Int/Float
    nlohmann::json defaultValue;
    std::vector<std::string> choices; // Choice only
    std::string help; // one line, shown as a tooltip and by `vqscope-cli methods`
    bool logScale = false; // hint for sliders/sweeps (learning rates, sample caps)

    nlohmann::json toJson() const;
};

struct ParamSchema {
    std::vector<ParamDef> params;

    const ParamDef* find(const std::string& name) const;
    // Returns spec with every parameter present: unknown keys, wrong types and values out of range are
    // refused with vq::Error(InvalidArgument) naming the parameter and its allowed range; missing ones
    // take their default. Ints given as integral floats (8.0) are accepted.
    QuantSpec resolve(const QuantSpec& spec) const;
    nlohmann::json toJson() const;
};

// A named starting point shown in the GUI ("CARVQ ~1.6 bits", "AQLM 2x8", "Q4_0").
struct Preset {
    std::string label;
    QuantSpec spec;
};

} // namespace vq
