#include "usagebarchart.h"

#include "displaytext.h"
#include "metrics/codebookusage.h"

#include <QAreaSeries>
#include <QChart>
#include <QGraphicsLayout>
#include <QLegendMarker>
#include <QLineSeries>
#include <QMouseEvent>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>

namespace vq {

UsageBarChart::UsageBarChart(QWidget* parent)
    : ChartView(parent)
{
    auto* chart = new QChart;
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setMargins(QMargins(4, 4, 8, 4));
    chart->setBackgroundRoundness(0);
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->legend()->setAlignment(Qt::AlignTop);

    m_upper = new QLineSeries(chart);
    m_area = new QAreaSeries(m_upper);
    m_area->setName(tr("uses per code"));
    QColor fill(0x3b, 0x6e, 0xa8);
    m_area->setPen(QPen(fill.darker(120), 1.0));
    fill.setAlpha(170);
    m_area->setBrush(fill);
    chart->addSeries(m_area);
    m_uniform = new QLineSeries(chart);
    m_uniform->setName(tr("uniform use"));
    m_uniform->setPen(QPen(QColor(0xd0, 0x50, 0x20), 1.5, Qt::DashLine));
    chart->addSeries(m_uniform);

    m_axisX = new QValueAxis(chart);
    m_axisX->setTitleText(tr("codes by rank (most used first)"));
    m_axisX->setLabelFormat(QStringLiteral("%d"));
    m_axisY = new QValueAxis(chart);
    m_axisY->setTitleText(tr("uses"));
    m_axisY->setLabelFormat(QStringLiteral("%d"));
    chart->addAxis(m_axisX, Qt::AlignBottom);
    chart->addAxis(m_axisY, Qt::AlignLeft);
    for (QAbstractSeries* s : chart->series()) {
        s->attachAxis(m_axisX);
        s->attachAxis(m_axisY);
    }
    setChart(chart);
}

void UsageBarChart::setTitle(const QString& title)
{
    chart()->setTitle(title);
}

void UsageBarChart::clear()
{
    m_ranked.clear();
    m_codes = 0;
    m_upper->clear();
    m_uniform->clear();
}

void UsageBarChart::setUsage(const CodeUsage& usage)
{
    m_codes = int64_t(usage.counts.size());
    // About two points per pixel of the plot: the min/max of each pixel column.
    const int64_t maxPoints = 2 * std::max<int64_t>(width(), 600);
    m_ranked = sortedCountsForPlot(usage.counts, maxPoints);
    m_bars = int64_t(m_ranked.size()) == m_codes;
    QList<QPointF> points;
    points.reserve(qsizetype(m_ranked.size() * (m_bars ? 2 : 1)));
    for (const RankedCount& r : m_ranked) {
        if (m_bars) {
            points.append({ double(r.rank), double(r.count) });
            points.append({ double(r.rank + 1), double(r.count) });
        } else {
            points.append({ double(r.rank) + 0.5, double(r.count) });
        }
    }
    m_upper->replace(points);
    const double uniform = m_codes > 0 ? double(usage.total) / double(m_codes) : 0;
    m_uniform->replace({ QPointF(0, uniform), QPointF(double(std::max<int64_t>(m_codes, 1)), uniform) });
    m_axisX->setRange(0, double(std::max<int64_t>(m_codes, 1)));
    const double top = m_ranked.empty() ? 1.0 : double(m_ranked.front().count);
    m_axisY->setRange(0, std::max({ 1.0, top, uniform }) * 1.05);
    m_axisY->applyNiceNumbers();
}

void UsageBarChart::mouseMoveEvent(QMouseEvent* event)
{
    ChartView::mouseMoveEvent(event);
    const QPointF chartPos = chart()->mapFromScene(mapToScene(event->position().toPoint()));
    if (m_ranked.empty() || !chart()->plotArea().contains(chartPos)) {
        QToolTip::hideText();
        return;
    }
    const double rank = chart()->mapToValue(chartPos, m_area).x();
    // The drawn point nearest in rank.
    auto it = std::lower_bound(m_ranked.begin(), m_ranked.end(), int64_t(rank),
        [](const RankedCount& r, int64_t value) { return r.rank < value; });
    if (it == m_ranked.end() || (it != m_ranked.begin() && it->rank > int64_t(rank)))
        --it;
    QToolTip::showText(event->globalPosition().toPoint(),
        tr("rank %1: code %2, %3 uses")
            .arg(display::count(it->rank), display::count(it->code), display::count(it->count)),
        this);
}

} // namespace vq
