#pragma once

#include "metrics/thinning.h"

#include "charts/chartview.h"

class QAbstractAxis;
class QAreaSeries;
class QLineSeries;
class QLogValueAxis;
class QValueAxis;

namespace vq {

struct Histogram;

// The histogram view of vqscope, over a prepared vq::PlotHistogram: bars (a filled step outline) or an
// area through the bin centres, on a linear or a log10 x axis (PlotHistogram::logScale: bins of equal
// width in log10), titled axes, a tooltip naming the bin under the mouse ("[lo, hi): 42 tokens") and the
// PNG/SVG export of every chart. Owns only a copy of the histogram.
class HistogramChart : public ChartView {
    Q_OBJECT
public:
    enum class Style { Bars, Area };

    explicit HistogramChart(QWidget* parent = nullptr);

    void setHistogram(const PlotHistogram& histogram);
    // The table statistics' histogram (equal-width bins over [lo, hi]).
    void setHistogram(const Histogram& histogram);
    void clear();
    void setStyle(Style style);
    void setTitle(const QString& title);
    void setAxisTitles(const QString& x, const QString& y);
    // What is counted, for the tooltip ("tokens", "rows"); empty: the bare count.
    void setCountNoun(const QString& noun);

    const PlotHistogram& histogram() const { return m_histogram; }
    Style style() const { return m_style; }
    bool isLogX() const { return m_histogram.logScale; }
    // The plotted outline: 2 points per bin for Bars, 1 per bin for Area.
    const QLineSeries* outline() const { return m_upper; }

    // Bin holding value x, -1 outside [lo, hi] or when empty.
    int binAt(double x) const;
    // "[lo, hi): count noun" for the tooltip; the last bin is closed.
    QString binText(int bin) const;

protected:
    void addContextActions(QMenu& menu) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    void rebuild();

    PlotHistogram m_histogram;
    Style m_style = Style::Bars;
    QString m_noun;
    QLineSeries* m_upper = nullptr;
    QAreaSeries* m_area = nullptr;
    QValueAxis* m_linearX = nullptr;
    QLogValueAxis* m_logX = nullptr;
    QValueAxis* m_axisY = nullptr;
};

} // namespace vq
