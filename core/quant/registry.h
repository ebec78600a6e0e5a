#pragma once

#include "quant/quantizer.h"

#include <string>
#include <vector>

namespace vq {

// Every method, in display order. The list lives in registry.cpp: one line per method.
const std::vector<const Quantizer*>& allQuantizers();
// Throws vq::Error(InvalidArgument) listing the known names when name is unknown.
const Quantizer& quantizer(const std::string& name);

} // namespace vq
