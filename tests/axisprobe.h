#pragma once

// What Qt Charts builds for the axes of a chart. Qt lays out an axis' labels inside setRange(), with the
// tick settings the axis has at that moment: the probe watches every axis of a chart view and records,
// at each range change, how many ticks the axis' settings give for its new range and how many text
// items (labels and titles) the chart's scene holds right after Qt built them.
#include <QBarCategoryAxis>
#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QGraphicsScene>
#include <QGraphicsTextItem>
#include <QLogValueAxis>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace vqtest {

// A chart's axes: those on the chart and those parked on the view while another one is shown.
inline QList<QAbstractAxis*> allAxes(QChartView* view)
{
    QList<QAbstractAxis*> axes = view->chart()->findChildren<QAbstractAxis*>();
    for (QAbstractAxis* a : view->findChildren<QAbstractAxis*>())
        if (!axes.contains(a))
            axes.append(a);
    return axes;
}

// Major ticks (each a label) plus minor ticks the axis' settings give over its range; a dynamic interval
// that is not positive counts as unbounded.
inline double ticksFor(const QAbstractAxis* axis)
{
    if (const auto* category = qobject_cast<const QCategoryAxis*>(axis))
        return category->count();
    if (const auto* bars = qobject_cast<const QBarCategoryAxis*>(axis))
        return bars->count();
    if (const auto* value = qobject_cast<const QValueAxis*>(axis)) {
        const double minor = value->minorTickCount();
        if (value->tickType() == QValueAxis::TicksFixed)
            return value->tickCount() * (1 + minor);
        const double interval = value->tickInterval();
        if (!(interval > 0))
            return INFINITY;
        // As Qt does: the first tick at or after min on the anchor's grid, then one per interval.
        const double first
            = value->tickAnchor() - std::floor((value->tickAnchor() - value->min()) / interval) * interval;
        return (std::floor((value->max() - first) / interval) + 1) * (1 + minor);
    }
    if (const auto* log = qobject_cast<const QLogValueAxis*>(axis)) {
        const double base = std::log(log->base());
        if (!(log->min() > 0) || !(log->max() > log->min()) || !(base > 0))
            return 0;
        const double decades
            = std::floor(std::log(log->max()) / base + 1e-9) - std::ceil(std::log(log->min()) / base - 1e-9) + 1;
        return std::max(0.0, decades) * (1 + log->minorTickCount());
    }
    return 0;
}

class AxisProbe {
public:
    explicit AxisProbe(QChartView* view)
        : m_view(view)
    {
        for (QAbstractAxis* axis : allAxes(view)) {
            auto record = [this, axis] { measure(axis); };
            if (auto* bars = qobject_cast<QBarCategoryAxis*>(axis))
                QObject::connect(bars, &QBarCategoryAxis::rangeChanged, &m_context, record);
            else if (auto* value = qobject_cast<QValueAxis*>(axis))
                QObject::connect(value, &QValueAxis::rangeChanged, &m_context, record);
            else if (auto* log = qobject_cast<QLogValueAxis*>(axis))
                QObject::connect(log, &QLogValueAxis::rangeChanged, &m_context, record);
        }
    }

    void reset()
    {
        m_worstTicks = 0;
        m_worstTextItems = 0;
        m_worstAxis.clear();
        m_changes = 0;
    }
    // The most ticks an axis' settings gave at a range change, and that axis' title.
    double worstTicks() const { return m_worstTicks; }
    QString worstAxis() const { return m_worstAxis; }
    // The most text items in the scene just after an axis was laid out.
    int worstTextItems() const { return m_worstTextItems; }
    int rangeChanges() const { return m_changes; }

    // Ticks of every axis the chart shows now.
    double currentWorstTicks() const
    {
        double worst = 0;
        for (QAbstractAxis* axis : m_view->chart()->axes())
            worst = std::max(worst, ticksFor(axis));
        return worst;
    }

private:
    void measure(QAbstractAxis* axis)
    {
        ++m_changes;
        const double ticks = ticksFor(axis);
        if (ticks > m_worstTicks) {
            m_worstTicks = ticks;
            m_worstAxis = axis->titleText();
        }
        int text = 0;
        if (QGraphicsScene* scene = m_view->scene())
            for (QGraphicsItem* item : scene->items())
                text += dynamic_cast<QGraphicsTextItem*>(item) != nullptr ? 1 : 0;
        m_worstTextItems = std::max(m_worstTextItems, text);
    }

    QChartView* m_view;
    QObject m_context;
    double m_worstTicks = 0;
    QString m_worstAxis;
    int m_worstTextItems = 0;
    int m_changes = 0;
};

} // namespace vqtest
