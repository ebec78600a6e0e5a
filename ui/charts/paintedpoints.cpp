#include "paintedpoints.h"

#include <QAbstractSeries>
#include <QChart>
#include <QPainter>

namespace vq {

void paintPoints(QPainter* painter, QChart* chart, QAbstractSeries* mapping, const std::vector<QPointF>& values,
    const QColor& color, double size)
{
    if (values.empty())
        return;
    const QRectF plot = chart->plotArea();
    std::vector<QRectF> squares;
    squares.reserve(values.size());
    const double half = size / 2;
    for (const QPointF& v : values) {
        const QPointF at = chart->mapToPosition(v, mapping);
        if (plot.adjusted(-half, -half, half, half).contains(at))
            squares.emplace_back(at.x() - half, at.y() - half, size, size);
    }
    painter->save();
    // Chart coordinates to scene coordinates: the chart item's own transform.
    painter->setTransform(chart->sceneTransform(), true);
    painter->setClipRect(plot);
    painter->setRenderHint(QPainter::Antialiasing, false);
    painter->setPen(Qt::NoPen);
    painter->setBrush(color);
    painter->drawRects(squares.data(), int(squares.size()));
    painter->restore();
}

} // namespace vq
