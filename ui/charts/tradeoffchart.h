#pragma once

#include "charts/chartview.h"

#include <QList>
#include <QString>
#include <limits>
#include <vector>

class QLineSeries;
class QLogValueAxis;
class QScatterSeries;
class QValueAxis;

namespace vq {

// One run on the trade-off plane.
struct TradeoffPoint {
    quint64 key = 0; // the run's RunKey
    double bitsPerParam = 0; // x
    double value = 0; // y: the chosen metric
    QString method; // series: one per method
    QString name; // for the tooltip
    bool baseline = false; // drawn as a triangle and labelled
    QString label; // the baseline's label ("rtn 4")
};

// Bits per parameter against a quality metric: a scatter series per method (baselines as labelled
// triangles), the Pareto frontier over all points as a dashed staircase (computed in core:
// paretoFrontier), the selected runs ringed. Tooltip on hover; a click reports the run's key. Log y
// for metrics spanning decades (points with y <= 0 are then left out).
class TradeoffChart : public ChartView {
    Q_OBJECT
public:
    explicit TradeoffChart(QWidget* parent = nullptr);

    void setPoints(std::vector<TradeoffPoint> points, const QString& metricTitle, bool lowerIsBetter);
    void setSelectedKeys(const QList<quint64>& keys);
    void setLogY(bool on);
    bool logY() const { return m_logY; }
    // A labelled vertical marker at `bits` (the format the table was stored in, "Q4_K as stored"), kept
    // inside the x range; NaN removes it. Takes effect at the next setPoints().
    void setReference(double bits, const QString& label);
    double referenceBits() const { return m_referenceBits; }
    QString referenceLabel() const { return m_referenceLabel; }
    // The marker's colour (tests look for it in a grab).
    static QColor referenceColor();

    // What is drawn: every point (after the log filter), the frontier's indices into points() in x order.
    const std::vector<TradeoffPoint>& points() const { return m_points; }
    const std::vector<size_t>& frontier() const { return m_frontier; }
    const QList<QScatterSeries*>& methodSeries() const { return m_series; }
    const QLineSeries* frontierLine() const { return m_frontierLine; }
    const QScatterSeries* selectionSeries() const { return m_selection; }
    // The key of the point of series nearest to value (chart coordinates); 0 when series has none.
    quint64 keyAt(const QScatterSeries* series, const QPointF& value) const;
    QString pointText(const TradeoffPoint& p) const;

    // What a click on a point of series does (the series' clicked signal lands here).
    void handleClick(const QScatterSeries* series, const QPointF& value);

signals:
    // A point was clicked; modifiers as held (Ctrl: add to the selection).
    void pointClicked(quint64 key, Qt::KeyboardModifiers modifiers);
    void logYChanged(bool on);

protected:
    void drawForeground(QPainter* painter, const QRectF& rect) override;
    void addContextActions(QMenu& menu) override;

private:
    void rebuild();
    // Indices into m_points of each series' points, in the series' order.
    std::vector<std::vector<size_t>> m_seriesPoints;
    std::vector<size_t> m_selectionPoints;

    std::vector<TradeoffPoint> m_allPoints;
    std::vector<TradeoffPoint> m_points;
    std::vector<size_t> m_frontier;
    QList<quint64> m_selectedKeys;
    QString m_metricTitle;
    bool m_lowerIsBetter = true;
    bool m_logY = false;
    double m_referenceBits = std::numeric_limits<double>::quiet_NaN();
    QString m_referenceLabel;
    QList<QScatterSeries*> m_series;
    QLineSeries* m_frontierLine = nullptr;
    QScatterSeries* m_selection = nullptr;
    QValueAxis* m_axisX = nullptr;
    QValueAxis* m_axisY = nullptr;
    QLogValueAxis* m_axisLogY = nullptr;
};

} // namespace vq
