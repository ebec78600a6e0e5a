#pragma once

#include "quant/quantizer.h"
#include "quant/quantspec.h"

#include <cstdint>
#include <string>

namespace vq {

// A spec made to fit a table shape, or why it cannot be.
struct FittedSpec {
    QuantSpec spec; // resolved (every parameter present) when ok; else the spec as given
    bool ok = false; // spec is accepted by the method for the shape
    std::string refusal; // the method's refusal of the spec as given; empty when it was accepted as is
    std::string parameter; // the parameter that was changed; empty when none was
    nlohmann::json from; // its value before (null when none was changed)
    nlohmann::json to; // and after

    bool adapted() const { return ok && !parameter.empty(); }
    // "h 8 → 10" (UTF-8); empty when nothing was changed.
    std::string changeText() const;
};

// Returns spec when method accepts it for a rows x dim table; otherwise the nearest spec it accepts
// that differs in the one integer parameter the refusal names (Quantizer::validate names it as
// "parameter 'X'"): the value closest to the given one within the schema's range, the smaller one on a
// tie ("h" 8 on 100 columns gives 10, "group" 128 gives 100). ok is false when the refusal names no
// integer parameter or no value of it is accepted (q4_0 on 100 columns); refusal then holds the
// method's message. Uses nothing but the schema and validate(): no per-method knowledge. Cheap enough
// for the GUI thread (validate() only; at most a few thousand calls for an unfittable spec).
FittedSpec fitSpecToShape(const Quantizer& method, const QuantSpec& spec, int64_t rows, int64_t dim);

// The parameter a refusal message names ("parameter 'h' = 8 does not divide ..." gives "h"); empty
// when it names none.
std::string refusedParameter(const std::string& message);

} // namespace vq
