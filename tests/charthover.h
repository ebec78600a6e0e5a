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

// Moves the mouse over value and returns the tooltip text shown then (empty: none).
inline QString hoverText(QChartView* view, const QPointF& value, QAbstractSeries* series)
{
    QToolTip::hideText();
    QTest::mouseMove(view->viewport(), viewPosOf(view, value, series));
    QCoreApplication::processEvents();
    return QToolTip::isVisible() ? QToolTip::text() : QString();
}

} // namespace vqtest
