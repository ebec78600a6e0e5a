#pragma once

#include <cstdio>
#include <string>

namespace vq {

// A number as messages and labels show it: printf's %g (at most 6 significant digits, no trailing
// zeros): 2.05, 0.01, 4.5, 1e-05.
inline std::string numberText(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

} // namespace vq
