#pragma once

#include "metrics/thinning.h"

#include "charts/chartview.h"

class QAbstractAxis;
class QAreaSeries;
class QLineSeries;
class QLogValueAxis;
class QValueAxis;

namespace vq {

// A histogram of a per-token quantity over a prepared vq::PlotHistogram: bars as a filled step outline,
// on a linear or a log10 x axis (PlotHistogram::logScale, bins of equal width in log10), a tooltip naming
// the bin under the mouse, PNG/SVG export. Values outside the range are named in the chart's subtitle
// line by the caller. Owns only a copy of the histogram.
class ErrorHistogramChart : public ChartView {
    Q_OBJECT
public:
    explicit ErrorHistogramChart(QWidget* parent = nullptr);

    void setHistogram(const PlotHistogram& histogram);
    void clear();
    void setTitle(const QString& title);
    void setAxisTitles(const QString& x, const QString& y);

    const PlotHistogram& histogram() const { return m_histogram; }
    // The plotted outline: 2 points per bin.
    const QLineSeries* outline() const { return m_upper; }
    bool isLogX() const { return m_histogram.logScale; }

    // Bin holding value x, -1 outside [lo, hi] or when empty.
    int binAt(double x) const;
    // "[lo, hi): count" for the tooltip.
    QString binText(int bin) const;

protected:
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    void rebuild();
    void useXAxis(QAbstractAxis* axis);

    PlotHistogram m_histogram;
    QLineSeries* m_upper = nullptr;
    QAreaSeries* m_area = nullptr;
    QValueAxis* m_linearX = nullptr;
    QLogValueAxis* m_logX = nullptr;
    QValueAxis* m_axisY = nullptr;
};

} // namespace vq
