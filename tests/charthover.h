#pragma once

// Pointing at a value of a shown chart as a user does: the view position of a value of a series, a
// mouse move there, and the tooltip it brings up.
#include <QAbstractSeries>
#include <QChart>
#include <QChartView>
#include <QTest>
#include <QToolTip>

namespace vqtest {

// Where value (in series' axes) is drawn, in the view's viewport coordinates.
inline QPoint viewPosOf(QChartView* view, const QPointF& value, QAbstractSeries* series)
{
    const QPointF inChart = view->chart()->mapToPosition(value, series);
    return view->mapFromScene(view->chart()->mapToScene(inChart));
}

// Moves the mouse to pos of the view's viewport and returns the tooltip text shown then (empty: none).
inline QString hoverTextAt(QChartView* view, const QPoint& pos)
{
    // A hidden tooltip fades out for a moment: wait until it is gone, so an old text never counts.
    QToolTip::hideText();
    if (!QTest::qWaitFor([] { return !QToolTip::isVisible(); }, 2000))
        return QStringLiteral("(a tooltip stayed up)");
    QTest::mouseMove(view->viewport(), pos);
    QCoreApplication::processEvents();
    return QToolTip::isVisible() ? QToolTip::text() : QString();
}

// Moves the mouse over value and returns the tooltip text shown then (empty: none).
inline QString hoverText(QChartView* view, const QPointF& value, QAbstractSeries* series)
{
    return hoverTextAt(view, viewPosOf(view, value, series));
}

} // namespace vqtest
