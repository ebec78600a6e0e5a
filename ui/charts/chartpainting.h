#pragma once

#include <QColor>

namespace vq {

// The viridis colour map at t in [0, 1] (clamped): perceptually even and readable in grey.
QColor viridis(double t);

} // namespace vq
