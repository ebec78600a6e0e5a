#include "axisticks.h"

#include <QAbstractSeries>
#include <QChart>
#include <QLogValueAxis>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

namespace vq {

double niceStep(double rough)
{
    if (!(rough > 0) || !std::isfinite(rough))
        return 1.0;
    const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
    const double scaled = rough / magnitude;
    const double nice = scaled <= 1.0 ? 1.0 : scaled <= 2.0 ? 2.0 : scaled <= 5.0 ? 5.0 : 10.0;
    return nice * magnitude;
}

void setRangeWithInterval(QValueAxis* axis, double lo, double hi, double interval, double anchor)
{
    if (!(hi > lo)) {
        lo -= 0.5;
        hi += 0.5;
    }
    const double span = hi - lo;
    if (!(interval > 0) || !std::isfinite(interval) || span / interval > kMaxAxisLabels - 1)
        interval = niceStep(span / (kMaxAxisLabels - 1));
    axis->setTickType(QValueAxis::TicksFixed);
    axis->setRange(lo, hi);
    axis->setTickAnchor(anchor);
    axis->setTickInterval(interval);
    axis->setTickType(QValueAxis::TicksDynamic);
}

void setRangeWithRoundTicks(QValueAxis* axis, double lo, double hi, int ticks, double anchor)
{
    setRangeWithInterval(axis, lo, hi, niceStep((hi - lo) / std::max(ticks, 1)), anchor);
}

void showAxis(QChart* chart, QAbstractSeries* series, QAbstractAxis* axis, QAbstractAxis* other,
    Qt::Alignment alignment, QObject* owner)
{
    if (chart->axes().contains(axis))
        return;
    series->detachAxis(other);
    chart->removeAxis(other);
    other->setParent(owner);
    chart->addAxis(axis, alignment);
    series->attachAxis(axis);
}

std::pair<double, double> setLogDecades(QLogValueAxis* axis, double lo, double hi)
{
    if (!(lo > 0) || !(hi >= lo) || !std::isfinite(lo) || !std::isfinite(hi)) {
        lo = 1;
        hi = 10;
    }
    const double from = std::pow(10.0, std::floor(std::log10(lo) + 1e-9));
    double to = std::pow(10.0, std::ceil(std::log10(hi) - 1e-9));
    if (!(to > from))
        to = from * 10;
    // Minor ticks first: like the labels, they are laid out with the settings the range meets.
    axis->setMinorTickCount(std::log10(to / from) <= 4.5 ? 8 : 0);
    // Qt puts the first label at ceil(log10(min)): nudge min below the power of ten so it is labelled.
    axis->setRange(from * (1 - 1e-9), to);
    return { from, to };
}

} // namespace vq
