#pragma once

#include <QColor>
#include <QPointF>
#include <vector>

class QAbstractSeries;
class QChart;
class QPainter;

namespace vq {

// Scatter points painted straight onto a chart's plot area, for charts of thousands of points. A
// QScatterSeries makes a graphics item per point: replacing 2000 points costs Qt Charts hundreds of
// milliseconds on the GUI thread, painting them costs about one. mapping is a series attached to the
// chart's axes (it may hold no points): values are placed as it would place them. Squares of size pixels,
// clipped to the plot area. Call from QChartView::drawForeground (scene coordinates).
void paintPoints(QPainter* painter, QChart* chart, QAbstractSeries* mapping, const std::vector<QPointF>& values,
    const QColor& color, double size);

} // namespace vq
