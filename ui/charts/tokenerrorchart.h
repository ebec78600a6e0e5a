#pragma once

#include "metrics/thinning.h"

#include "charts/chartview.h"

#include <QTimer>
#include <functional>
#include <span>
#include <vector>

class QAbstractAxis;
class QLogValueAxis;
class QScatterSeries;
class QValueAxis;

namespace vq {

// A per-token error against the token's row (rank in a frequency-ordered vocabulary) as a scatter. The
// series is thinned in core (thinForPlot, min/max buckets, so single-token spikes survive) to about the
// plot's pixel width, again after a resize (coalesced by a single-shot timer), and painted straight onto
// the plot area (paintPoints: no graphics item per point). Optional log10 y axis (values <= 0 are left out
// there). Hovering a point shows
// pointText(row); clicking one emits pointClicked(row). One row can be marked (setMarkedRow).
class TokenErrorChart : public ChartView {
    Q_OBJECT
public:
    explicit TokenErrorChart(QWidget* parent = nullptr);

    // values: one per table row; not copied: the caller keeps them alive and unchanged until the next
    // setSeries() or clear().
    void setSeries(std::span<const float> values);
    void clear();
    void setLogY(bool logY);
    bool isLogY() const { return m_logY; }
    void setTitle(const QString& title);
    void setAxisTitles(const QString& x, const QString& y);
    // The tooltip text of a row; the default names the row and its value.
    void setPointText(std::function<QString(int64_t row)> text);
    // Marks one row (or none: -1) with a highlighted point.
    void setMarkedRow(int64_t row);

    // Most points drawn: the plot area's width in pixels (at least 200).
    int64_t pointBudget() const;
    // What is drawn now (row index and value), in row order.
    const std::vector<PlotPoint>& plotted() const { return m_plotted; }
    // The colour the points are painted in.
    QColor pointColor() const;
    // The plotted point nearest to pos (viewport coordinates) within radius pixels; -1 when none.
    int64_t rowNear(const QPointF& pos, double radius = 8) const;
    // Thins and redraws now (normally done on a timer after changes and resizes).
    void replot();

signals:
    void pointClicked(qint64 row);

protected:
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void drawForeground(QPainter* painter, const QRectF& rect) override;
    void addContextActions(QMenu& menu) override;

private:
    std::span<const float> m_values;
    std::vector<PlotPoint> m_plotted;
    std::vector<QPointF> m_points; // m_plotted as values of the axes
    std::function<QString(int64_t)> m_pointText;
    int64_t m_markedRow = -1;
    bool m_logY = false;
    QScatterSeries* m_series = nullptr;
    QValueAxis* m_axisX = nullptr;
    QValueAxis* m_linearY = nullptr;
    QLogValueAxis* m_logYAxis = nullptr;
    QTimer m_replotTimer;
};

} // namespace vq
