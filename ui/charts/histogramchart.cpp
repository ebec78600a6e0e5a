#include "histogramchart.h"

#include "charts/axisticks.h"
#include "displaytext.h"
#include "stats/tablestats.h"

#include <QAreaSeries>
#include <QChart>
#include <QGraphicsLayout>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QMenu>
#include <QMouseEvent>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

namespace vq {

HistogramChart::HistogramChart(QWidget* parent)
    : ChartView(parent)
{
    auto* chart = new QChart;
    chart->legend()->hide();
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setBackgroundRoundness(0);
    // No grey band between the view's edge and the chart background.
    chart->layout()->setContentsMargins(0, 0, 0, 0);

    m_upper = new QLineSeries(chart);
    m_area = new QAreaSeries(m_upper);
    m_area->setName(tr("count"));
    QColor fill(0x3b, 0x6e, 0xa8);
    m_area->setPen(QPen(fill.darker(120), 1.0));
    fill.setAlpha(170);
    m_area->setBrush(fill);
    chart->addSeries(m_area);

    m_linearX = new QValueAxis(chart);
    m_linearX->setLabelFormat(QStringLiteral("%.3g"));
    m_logX = new QLogValueAxis(chart);
    m_logX->setBase(10);
    m_logX->setLabelFormat(QStringLiteral("%g"));
    m_axisY = new QValueAxis(chart);
    m_axisY->setLabelFormat(QStringLiteral("%d"));
    chart->addAxis(m_axisY, Qt::AlignLeft);
    m_area->attachAxis(m_axisY);
    chart->addAxis(m_linearX, Qt::AlignBottom);
    m_area->attachAxis(m_linearX);
    // The log axis is owned by the chart only while shown; keep it parented to the view otherwise.
    m_logX->setParent(this);

    setChart(chart);
}

void HistogramChart::setHistogram(const PlotHistogram& histogram)
{
    m_histogram = histogram;
    rebuild();
}

void HistogramChart::setHistogram(const Histogram& histogram)
{
    PlotHistogram h;
    h.lo = histogram.lo;
    h.hi = histogram.hi;
    h.counts = histogram.counts;
    setHistogram(h);
}

void HistogramChart::clear()
{
    setHistogram(PlotHistogram {});
}

void HistogramChart::setStyle(Style style)
{
    m_style = style;
    rebuild();
}

void HistogramChart::setTitle(const QString& title)
{
    chart()->setTitle(title);
}

void HistogramChart::setAxisTitles(const QString& x, const QString& y)
{
    m_linearX->setTitleText(x);
    m_logX->setTitleText(x);
    m_axisY->setTitleText(y);
}

void HistogramChart::setCountNoun(const QString& noun)
{
    m_noun = noun;
}

void HistogramChart::rebuild()
{
    const auto& counts = m_histogram.counts;
    const int bins = int(counts.size());
    QList<QPointF> points;
    points.reserve(m_style == Style::Bars ? 2 * bins : bins);
    for (int i = 0; i < bins; ++i) {
        const double y = double(counts[size_t(i)]);
        const double left = m_histogram.edge(i);
        const double right = m_histogram.edge(i + 1);
        if (m_style == Style::Bars) {
            points.append({ left, y });
            points.append({ right, y });
        } else {
            points.append({ m_histogram.logScale ? std::sqrt(left * right) : (left + right) / 2, y });
        }
    }
    // New points first, then the axis: a log axis must never see old linear points (0 included).
    m_upper->replace(points);
    if (m_histogram.logScale)
        showAxis(chart(), m_area, m_logX, m_linearX, Qt::AlignBottom, this);
    else
        showAxis(chart(), m_area, m_linearX, m_logX, Qt::AlignBottom, this);

    // Round tick values while the axis spans exactly [lo, hi] (whole decades on a log axis).
    if (m_histogram.logScale)
        setLogDecades(m_logX, m_histogram.lo, m_histogram.hi);
    else
        setRangeWithRoundTicks(m_linearX, m_histogram.lo, m_histogram.hi);
    const int64_t top = bins > 0 ? *std::max_element(counts.begin(), counts.end()) : 0;
    m_axisY->setRange(0, std::max<double>(1.0, double(top) * 1.05));
    m_axisY->applyNiceNumbers();
}

int HistogramChart::binAt(double x) const
{
    const int bins = int(m_histogram.counts.size());
    if (bins == 0 || !(x >= m_histogram.lo && x <= m_histogram.hi))
        return -1;
    const bool log = m_histogram.logScale;
    if (log && !(x > 0))
        return -1;
    const auto unit = [log](double v) { return log ? std::log10(v) : v; };
    const double span = unit(m_histogram.hi) - unit(m_histogram.lo);
    if (!(span > 0))
        return 0;
    // The last bin includes hi.
    return std::min(bins - 1, int(std::floor((unit(x) - unit(m_histogram.lo)) / span * bins)));
}

QString HistogramChart::binText(int bin) const
{
    if (bin < 0 || size_t(bin) >= m_histogram.counts.size())
        return {};
    const bool last = size_t(bin) + 1 == m_histogram.counts.size();
    QString text
        = tr("[%1, %2%3: %4")
              .arg(display::number(m_histogram.edge(bin)), display::number(m_histogram.edge(bin + 1)),
                  last ? QStringLiteral("]") : QStringLiteral(")"), display::count(m_histogram.counts[size_t(bin)]));
    if (!m_noun.isEmpty())
        text += u' ' + m_noun;
    return text;
}

void HistogramChart::mouseMoveEvent(QMouseEvent* event)
{
    QChartView::mouseMoveEvent(event);
    const QPointF chartPos = chart()->mapFromScene(mapToScene(event->position().toPoint()));
    int bin = -1;
    if (chart()->plotArea().contains(chartPos))
        bin = binAt(chart()->mapToValue(chartPos, m_area).x());
    if (bin >= 0)
        QToolTip::showText(event->globalPosition().toPoint(), binText(bin), this);
    else
        QToolTip::hideText();
}

void HistogramChart::addContextActions(QMenu& menu)
{
    QAction* bars = menu.addAction(tr("Bars"), this, [this] { setStyle(Style::Bars); });
    bars->setCheckable(true);
    bars->setChecked(m_style == Style::Bars);
    QAction* area = menu.addAction(tr("Area"), this, [this] { setStyle(Style::Area); });
    area->setCheckable(true);
    area->setChecked(m_style == Style::Area);
}

} // namespace vq
