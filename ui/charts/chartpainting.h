#pragma once

#include <QColor>
#include <QRectF>

class QChart;
class QPainter;

namespace vq {

// Pieces shared by the charts that paint their data over a chart's plot area (heat map, codeword map).

// The viridis colour map at t in [0, 1] (clamped): perceptually even and readable in grey.
QColor viridis(double t);

// A vertical colour bar, viridis from the bottom (0) to the top (1), outlined.
void paintViridisBar(QPainter& painter, const QRectF& bar, const QColor& outline);

// A chart with no legend, animation, rounded background or layout margins, and rightMargin pixels right
// of the plot area for a colour bar; the caller adds axes and paints the data.
QChart* newPaintedChart(int rightMargin);

} // namespace vq
