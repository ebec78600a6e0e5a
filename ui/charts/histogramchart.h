#pragma once

#include "stats/tablestats.h"

#include "charts/chartview.h"

class QAreaSeries;
class QLineSeries;
class QValueAxis;

namespace vq {

// A histogram view over a prepared vq::Histogram (equal-width bins over [lo, hi]): bars (a filled step
// outline) or an area through the bin centres, titled axes, a tooltip naming the bin under the mouse,
// and a context menu exporting the chart to PNG or SVG. Owns no data beyond a copy of the histogram.
class HistogramChart : public ChartView {
    Q_OBJECT
public:
    enum class Style { Bars, Area };

    explicit HistogramChart(QWidget* parent = nullptr);

    void setHistogram(const Histogram& histogram);
    void clear();
    void setStyle(Style style);
    void setTitle(const QString& title);
    void setAxisTitles(const QString& x, const QString& y);

    const Histogram& histogram() const { return m_histogram; }
    Style style() const { return m_style; }
    // The plotted outline: 2 points per bin for Bars, 1 per bin for Area.
    const QLineSeries* outline() const { return m_upper; }

    // Bin holding value x, -1 outside [lo, hi] or when empty.
    int binAt(double x) const;
    // "[lo, hi): count" for the tooltip.
    QString binText(int bin) const;

protected:
    void addContextActions(QMenu& menu) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    void rebuild();

    Histogram m_histogram;
    Style m_style = Style::Bars;
    QLineSeries* m_upper = nullptr;
    QAreaSeries* m_area = nullptr;
    QValueAxis* m_axisX = nullptr;
    QValueAxis* m_axisY = nullptr;
};

} // namespace vq
