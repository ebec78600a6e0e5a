#pragma once

#include "quant/quantspec.h"

#include <string>
#include <vector>

namespace vq {

// How much of a spec a label shows.
enum class SpecLabelParts {
    All, // the method, then its parameters
    ParamsOnly, // the parameters without the method (beside a method column)
};

// The one readable label of a spec (UTF-8): the method, its key parameters (Quantizer::keyParameters), then every
// other parameter that differs from the method's default, in schema order: "pq d4 8-bit",
// "grvq h8 R3 kappa=4 beam=4", "rtn 4-bit group=128 mode=asym", "q4_0". A parameter named with one
// letter is written glued to its value ("d4"), "bits" as "8-bit", a true flag by its name ("shared"), a
// false one as "name=no", anything else as "name=value" (numbers in their shortest exact form). Two
// resolved specs of a method get the same label only when they are equal. An unknown method shows
// every parameter.
std::string specLabel(const QuantSpec& spec, SpecLabelParts parts = SpecLabelParts::All);

} // namespace vq
