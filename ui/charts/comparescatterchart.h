#pragma once

#include "charts/chartview.h"

#include <QPointF>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

class QAbstractAxis;
class QLineSeries;
class QLogValueAxis;
class QScatterSeries;
class QValueAxis;

namespace vq {

// Per-token errors of run A (x) against run B (y) for chosen rows (a sample plus the rows that differ
// most, picked in core by compareScatterRows), with the y = x line: points above it are tokens B
// reconstructs worse. The highlighted rows are drawn in a second colour. Linear or log-log axes (points
// with a value <= 0 are left out of a log plot). Hover shows pointText(row). The points are painted
// straight onto the plot area (paintPoints); the two scatter series only name them in the legend.
class CompareScatterChart : public ChartView {
    Q_OBJECT
public:
    explicit CompareScatterChart(QWidget* parent = nullptr);

    // a, b: one value per table row (read during the call only). rows: what to draw (ascending);
    // highlighted: those among them drawn in the second colour.
    void setData(std::span<const float> a, std::span<const float> b, const std::vector<int64_t>& rows,
        const std::vector<int64_t>& highlighted);
    void clear();
    void setLogLog(bool logLog);
    bool isLogLog() const { return m_logLog; }
    void setTitle(const QString& title);
    void setSubtitle(const QString& subtitle);
    QString subtitle() const { return m_subtitle; }
    void setAxisTitles(const QString& x, const QString& y);
    void setPointText(std::function<QString(int64_t row)> text);

    // Points drawn (both kinds, as (A, B) values) and the diagonal.
    int pointCount() const;
    const std::vector<QPointF>& samplePoints() const { return m_samplePoints; }
    const std::vector<QPointF>& highlightPoints() const { return m_hotPoints; }
    const QLineSeries* diagonal() const { return m_diagonal; }
    // The table row of the drawn point nearest to pos (viewport coordinates) within radius pixels; -1 if none.
    int64_t rowNear(const QPointF& pos, double radius = 8) const;

protected:
    void mouseMoveEvent(QMouseEvent* event) override;
    void drawForeground(QPainter* painter, const QRectF& rect) override;
    void addContextActions(QMenu& menu) override;

private:
    void rebuild();
    void useAxes(bool log);

    struct Point {
        int64_t row;
        float a;
        float b;
        bool highlighted;
    };
    std::vector<Point> m_points;
    std::vector<Point> m_drawn;
    std::vector<QPointF> m_samplePoints; // what is painted, as values of the axes
    std::vector<QPointF> m_hotPoints;
    std::function<QString(int64_t)> m_pointText;
    QString m_title;
    QString m_subtitle;
    bool m_logLog = false;
    QScatterSeries* m_sample = nullptr;
    QScatterSeries* m_highlight = nullptr;
    QLineSeries* m_diagonal = nullptr;
    QValueAxis* m_linearX = nullptr;
    QValueAxis* m_linearY = nullptr;
    QLogValueAxis* m_logX = nullptr;
    QLogValueAxis* m_logY = nullptr;
};

} // namespace vq
