#include "errorhistogramchart.h"

#include "displaytext.h"

#include <QAreaSeries>
#include <QChart>
#include <QGraphicsLayout>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QMouseEvent>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

namespace vq {

ErrorHistogramChart::ErrorHistogramChart(QWidget* parent)
    : ChartView(parent)
{
    auto* chart = new QChart;
    chart->legend()->hide();
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setBackgroundRoundness(0);
    chart->layout()->setContentsMargins(0, 0, 0, 0);

    m_upper = new QLineSeries(chart);
    m_area = new QAreaSeries(m_upper);
    m_area->setName(tr("tokens"));
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
    setMouseTracking(true);
}

void ErrorHistogramChart::setHistogram(const PlotHistogram& histogram)
{
    m_histogram = histogram;
    rebuild();
}

void ErrorHistogramChart::clear()
{
    m_histogram = {};
    rebuild();
}

void ErrorHistogramChart::setTitle(const QString& title)
{
    chart()->setTitle(title);
}

void ErrorHistogramChart::setAxisTitles(const QString& x, const QString& y)
{
    m_linearX->setTitleText(x);
    m_logX->setTitleText(x);
    m_axisY->setTitleText(y);
}

void ErrorHistogramChart::useXAxis(QAbstractAxis* axis)
{
    QAbstractAxis* other = axis == m_linearX ? static_cast<QAbstractAxis*>(m_logX) : m_linearX;
    if (chart()->axes(Qt::Horizontal).contains(axis))
        return;
    m_area->detachAxis(other);
    chart()->removeAxis(other);
    other->setParent(this);
    chart()->addAxis(axis, Qt::AlignBottom);
    m_area->attachAxis(axis);
}

void ErrorHistogramChart::rebuild()
{
    const auto& counts = m_histogram.counts;
    const int bins = int(counts.size());
    QList<QPointF> points;
    points.reserve(2 * bins);
    for (int i = 0; i < bins; ++i) {
        const double y = double(counts[size_t(i)]);
        points.append({ m_histogram.edge(i), y });
        points.append({ m_histogram.edge(i + 1), y });
    }
    useXAxis(m_histogram.logScale ? static_cast<QAbstractAxis*>(m_logX) : m_linearX);
    // One bulk replace: a single repaint, whatever the bin count.
    m_upper->replace(points);

    double lo = m_histogram.lo;
    double hi = m_histogram.hi;
    if (m_histogram.logScale) {
        if (!(lo > 0) || !(hi > lo)) {
            lo = 1;
            hi = 10;
        }
        // Whole decades: a log axis labels powers of ten only, and a range inside one decade has none.
        const double from = std::pow(10.0, std::floor(std::log10(lo) + 1e-9));
        const double to = std::pow(10.0, std::ceil(std::log10(hi) - 1e-9));
        // Qt puts the first label at ceil(log10(min)): nudge min below the power of ten so it is labelled.
        m_logX->setRange(from * (1 - 1e-9), to > from ? to : from * 10);
        m_logX->setMinorTickCount(std::log10(to / from) < 4 ? 8 : 0);
    } else {
        if (!(hi > lo)) {
            lo -= 0.5;
            hi += 0.5;
        }
        m_linearX->setRange(lo, hi);
        // Round tick values (1, 2 or 5 times a power of ten) while the axis spans exactly [lo, hi].
        const double rough = (hi - lo) / 6.0;
        const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
        const double scaled = rough / magnitude;
        m_linearX->setTickType(QValueAxis::TicksDynamic);
        m_linearX->setTickAnchor(0.0);
        m_linearX->setTickInterval((scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * magnitude);
    }
    const int64_t top = bins > 0 ? *std::max_element(counts.begin(), counts.end()) : 0;
    m_axisY->setRange(0, std::max<double>(1.0, double(top) * 1.05));
    m_axisY->applyNiceNumbers();
}

int ErrorHistogramChart::binAt(double x) const
{
    const int bins = int(m_histogram.counts.size());
    if (bins == 0 || !(x >= m_histogram.lo && x <= m_histogram.hi))
        return -1;
    // Edges are monotonic: the first bin whose upper edge is above x.
    for (int i = 0; i < bins; ++i)
        if (x < m_histogram.edge(i + 1))
            return i;
    return bins - 1;
}

QString ErrorHistogramChart::binText(int bin) const
{
    if (bin < 0 || size_t(bin) >= m_histogram.counts.size())
        return {};
    const bool last = size_t(bin) + 1 == m_histogram.counts.size();
    return tr("[%1, %2%3: %4 tokens")
        .arg(display::number(m_histogram.edge(bin)), display::number(m_histogram.edge(bin + 1)),
            last ? QStringLiteral("]") : QStringLiteral(")"), display::count(m_histogram.counts[size_t(bin)]));
}

void ErrorHistogramChart::mouseMoveEvent(QMouseEvent* event)
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

} // namespace vq
