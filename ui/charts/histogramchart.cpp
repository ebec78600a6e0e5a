#include "histogramchart.h"

#include "displaytext.h"

#include <QAreaSeries>
#include <QChart>
#include <QGraphicsLayout>
#include <QImage>
#include <QLineSeries>
#include <QMenu>
#include <QPainter>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

namespace vq {

namespace {

double niceStep(double rough)
{
    if (!(rough > 0) || !std::isfinite(rough))
        return 1.0;
    const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
    const double scaled = rough / magnitude;
    const double nice = scaled <= 1.0 ? 1.0 : scaled <= 2.0 ? 2.0 : scaled <= 5.0 ? 5.0 : 10.0;
    return nice * magnitude;
}

} // namespace

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

    m_axisX = new QValueAxis(chart);
    m_axisY = new QValueAxis(chart);
    m_axisX->setLabelFormat(QStringLiteral("%g"));
    m_axisY->setLabelFormat(QStringLiteral("%d"));
    chart->addAxis(m_axisX, Qt::AlignBottom);
    chart->addAxis(m_axisY, Qt::AlignLeft);
    m_area->attachAxis(m_axisX);
    m_area->attachAxis(m_axisY);

    setChart(chart);
    setRenderHint(QPainter::Antialiasing);
    setMouseTracking(true);
}

void HistogramChart::setHistogram(const Histogram& histogram)
{
    m_histogram = histogram;
    rebuild();
}

void HistogramChart::clear()
{
    m_histogram = {};
    rebuild();
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
    m_axisX->setTitleText(x);
    m_axisY->setTitleText(y);
}

void HistogramChart::rebuild()
{
    const auto& counts = m_histogram.counts;
    const size_t bins = counts.size();
    QList<QPointF> points;
    if (bins > 0) {
        const double width = (m_histogram.hi - m_histogram.lo) / double(bins);
        points.reserve(qsizetype(m_style == Style::Bars ? 2 * bins : bins));
        for (size_t i = 0; i < bins; ++i) {
            const double left = m_histogram.lo + width * double(i);
            const double y = double(counts[i]);
            if (m_style == Style::Bars) {
                points.append({ left, y });
                points.append({ left + width, y });
            } else {
                points.append({ left + width / 2, y });
            }
        }
    }
    // One bulk replace: a single repaint, whatever the bin count.
    m_upper->replace(points);

    const int64_t top = bins > 0 ? *std::max_element(counts.begin(), counts.end()) : 0;
    double lo = m_histogram.lo;
    double hi = m_histogram.hi;
    if (!(hi > lo)) {
        lo -= 0.5;
        hi += 0.5;
    }
    m_axisX->setRange(lo, hi);
    // Round tick values (1, 2 or 5 times a power of ten) while the axis spans exactly [lo, hi].
    m_axisX->setTickType(QValueAxis::TicksDynamic);
    m_axisX->setTickAnchor(0.0);
    m_axisX->setTickInterval(niceStep((hi - lo) / 6.0));
    m_axisY->setRange(0, std::max<double>(1.0, double(top) * 1.05));
    m_axisY->applyNiceNumbers();
}

int HistogramChart::binAt(double x) const
{
    const size_t bins = m_histogram.counts.size();
    if (bins == 0 || !(x >= m_histogram.lo && x <= m_histogram.hi))
        return -1;
    const double width = (m_histogram.hi - m_histogram.lo) / double(bins);
    if (!(width > 0))
        return 0;
    // The last bin includes hi.
    return std::min(int(bins) - 1, int(std::floor((x - m_histogram.lo) / width)));
}

QString HistogramChart::binText(int bin) const
{
    if (bin < 0 || size_t(bin) >= m_histogram.counts.size())
        return {};
    const double width = (m_histogram.hi - m_histogram.lo) / double(m_histogram.counts.size());
    const double left = m_histogram.lo + width * bin;
    const bool last = size_t(bin) + 1 == m_histogram.counts.size();
    return tr("[%1, %2%3: %4")
        .arg(display::number(left), display::number(left + width), last ? QStringLiteral("]") : QStringLiteral(")"),
            display::count(m_histogram.counts[size_t(bin)]));
}

void HistogramChart::mouseMoveEvent(QMouseEvent* event)
{
    QChartView::mouseMoveEvent(event);
    const QPointF scenePos = mapToScene(event->position().toPoint());
    const QPointF chartPos = chart()->mapFromScene(scenePos);
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
