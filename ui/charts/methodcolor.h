#pragma once

#include <QColor>
#include <QString>

namespace vq {

// The colour of a method in every chart, the same in every session and whatever runs exist: the
// registry's methods in its order take a colour-blind-friendly palette (Okabe-Ito), methods past it and
// names the registry does not know get a hue from a fixed hash of the name.
QColor methodColor(const QString& method);

} // namespace vq
