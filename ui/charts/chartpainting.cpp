#include "chartpainting.h"

#include <QChart>
#include <QGraphicsLayout>
#include <QLinearGradient>
#include <QPainter>

#include <algorithm>
#include <iterator>

namespace vq {

QColor viridis(double t)
{
    // Sampled at nine stops, linear between them.
    static const QColor stops[] = { QColor(0x44, 0x01, 0x54), QColor(0x47, 0x2c, 0x7a), QColor(0x3b, 0x51, 0x8b),
        QColor(0x2c, 0x71, 0x8e), QColor(0x21, 0x90, 0x8d), QColor(0x27, 0xad, 0x81), QColor(0x5c, 0xc8, 0x63),
        QColor(0xaa, 0xdc, 0x32), QColor(0xfd, 0xe7, 0x25) };
    constexpr int n = int(std::size(stops));
    t = std::clamp(t, 0.0, 1.0) * (n - 1);
    const int i = std::min(int(t), n - 2);
    const double f = t - i;
    const QColor& a = stops[i];
    const QColor& b = stops[i + 1];
    return QColor::fromRgbF(float(a.redF() + f * (b.redF() - a.redF())),
        float(a.greenF() + f * (b.greenF() - a.greenF())), float(a.blueF() + f * (b.blueF() - a.blueF())));
}

void paintViridisBar(QPainter& painter, const QRectF& bar, const QColor& outline)
{
    QLinearGradient gradient(bar.bottomLeft(), bar.topLeft());
    for (int i = 0; i <= 8; ++i)
        gradient.setColorAt(i / 8.0, viridis(i / 8.0));
    painter.setPen(QPen(outline, 1));
    painter.setBrush(gradient);
    painter.drawRect(bar);
}

QChart* newPaintedChart(int rightMargin)
{
    auto* chart = new QChart;
    chart->legend()->hide();
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setMargins(QMargins(4, 4, rightMargin, 4));
    chart->setBackgroundRoundness(0);
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    return chart;
}

} // namespace vq
