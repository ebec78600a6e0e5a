#include "tradeoffchart.h"

#include "displaytext.h"
#include "methodcolor.h"
#include "run/pareto.h"

#include <QChart>
#include <QFontMetricsF>
#include <QGraphicsLayout>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
#include <QScatterSeries>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <map>

namespace vq {

namespace {

void padRange(double& lo, double& hi, bool log)
{
    if (log) {
        lo /= 1.6;
        hi *= 1.6;
        return;
    }
    const double span = hi - lo;
    const double pad = span > 0 ? span * 0.08 : std::max(std::abs(hi) * 0.1, 0.5);
    lo -= pad;
    hi += pad;
}

} // namespace

TradeoffChart::TradeoffChart(QWidget* parent)
    : ChartView(parent)
{
    auto* chart = new QChart;
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setMargins(QMargins(4, 4, 12, 4));
    chart->setBackgroundRoundness(0);
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->legend()->setAlignment(Qt::AlignRight);

    m_axisX = new QValueAxis(chart);
    m_axisX->setTitleText(tr("bits per parameter (everything stored)"));
    m_axisX->setLabelFormat(QStringLiteral("%g"));
    m_axisY = new QValueAxis(chart);
    m_axisY->setLabelFormat(QStringLiteral("%g"));
    m_axisLogY = new QLogValueAxis(chart);
    m_axisLogY->setLabelFormat(QStringLiteral("%g"));
    m_axisLogY->setMinorTickCount(8);
    chart->addAxis(m_axisX, Qt::AlignBottom);
    chart->addAxis(m_axisY, Qt::AlignLeft);

    m_frontierLine = new QLineSeries(chart);
    m_frontierLine->setName(tr("Pareto frontier"));
    m_frontierLine->setPen(QPen(QColor(0x50, 0x50, 0x50), 1.5, Qt::DashLine));
    chart->addSeries(m_frontierLine);
    m_frontierLine->attachAxis(m_axisX);
    m_frontierLine->attachAxis(m_axisY);

    m_selection = new QScatterSeries(chart);
    m_selection->setName(tr("selected"));
    m_selection->setMarkerSize(20);
    m_selection->setBrush(Qt::NoBrush);
    m_selection->setPen(QPen(QColor(0xe0, 0x30, 0x20), 2.5));
    chart->addSeries(m_selection);
    m_selection->attachAxis(m_axisX);
    m_selection->attachAxis(m_axisY);

    setChart(chart);
    rebuild();
}

void TradeoffChart::setPoints(std::vector<TradeoffPoint> points, const QString& metricTitle, bool lowerIsBetter)
{
    m_allPoints = std::move(points);
    m_metricTitle = metricTitle;
    m_lowerIsBetter = lowerIsBetter;
    rebuild();
}

void TradeoffChart::setSelectedKeys(const QList<quint64>& keys)
{
    m_selectedKeys = keys;
    QList<QPointF> ring;
    for (const TradeoffPoint& p : m_points)
        if (keys.contains(p.key))
            ring.append({ p.bitsPerParam, p.value });
    m_selection->replace(ring);
}

void TradeoffChart::setLogY(bool on)
{
    if (on == m_logY)
        return;
    m_logY = on;
    rebuild();
    emit logYChanged(on);
}

void TradeoffChart::setReference(double bits, const QString& label)
{
    m_referenceBits = bits;
    m_referenceLabel = label;
}

QColor TradeoffChart::referenceColor()
{
    return QColor(0x8e, 0x24, 0xaa);
}

void TradeoffChart::rebuild()
{
    QChart* c = chart();
    for (QScatterSeries* s : std::as_const(m_series)) {
        c->removeSeries(s);
        delete s;
    }
    m_series.clear();
    m_seriesPoints.clear();

    m_points.clear();
    for (const TradeoffPoint& p : m_allPoints)
        if (std::isfinite(p.bitsPerParam) && std::isfinite(p.value) && (!m_logY || p.value > 0))
            m_points.push_back(p);

    // Swap the vertical axis for the log one and back.
    QAbstractAxis* wanted = m_logY ? static_cast<QAbstractAxis*>(m_axisLogY) : m_axisY;
    QAbstractAxis* other = m_logY ? static_cast<QAbstractAxis*>(m_axisY) : m_axisLogY;
    if (c->axes(Qt::Vertical).contains(other)) {
        for (QAbstractSeries* s : c->series())
            s->detachAxis(other);
        c->removeAxis(other);
        other->setParent(this); // removeAxis gives up ownership
    }
    if (!c->axes(Qt::Vertical).contains(wanted))
        c->addAxis(wanted, Qt::AlignLeft);
    for (QAbstractSeries* s :
        { static_cast<QAbstractSeries*>(m_frontierLine), static_cast<QAbstractSeries*>(m_selection) })
        if (!s->attachedAxes().contains(wanted))
            s->attachAxis(wanted);
    wanted->setTitleText(m_metricTitle + (m_lowerIsBetter ? tr(" (lower is better)") : tr(" (higher is better)")));

    // A series per method, in name order; each method keeps its colour as runs come and go.
    std::map<QString, std::vector<size_t>> byMethod;
    for (size_t i = 0; i < m_points.size(); ++i)
        byMethod[m_points[i].method].push_back(i);
    for (const auto& [method, indices] : byMethod) {
        auto* s = new QScatterSeries(c);
        s->setName(method);
        const bool baseline = m_points[indices.front()].baseline;
        s->setMarkerShape(baseline ? QScatterSeries::MarkerShapeTriangle : QScatterSeries::MarkerShapeCircle);
        s->setMarkerSize(baseline ? 13 : 11);
        const QColor color = methodColor(method);
        s->setColor(color);
        s->setBorderColor(color.darker(150));
        QList<QPointF> xy;
        for (size_t i : indices)
            xy.append({ m_points[i].bitsPerParam, m_points[i].value });
        s->replace(xy);
        // Under the frontier and the selection ring, so those stay visible.
        c->addSeries(s);
        s->attachAxis(m_axisX);
        s->attachAxis(wanted);
        m_series.append(s);
        m_seriesPoints.push_back(indices);
    }
    // Keep the frontier and selection above the method series.
    c->removeSeries(m_frontierLine);
    c->removeSeries(m_selection);
    c->addSeries(m_frontierLine);
    c->addSeries(m_selection);
    for (QAbstractSeries* s :
        { static_cast<QAbstractSeries*>(m_frontierLine), static_cast<QAbstractSeries*>(m_selection) }) {
        s->attachAxis(m_axisX);
        s->attachAxis(wanted);
    }
    for (QLegendMarker* marker : c->legend()->markers(m_selection))
        marker->setVisible(false);

    std::vector<ParetoPoint> plane;
    plane.reserve(m_points.size());
    for (const TradeoffPoint& p : m_points)
        plane.push_back({ p.bitsPerParam, p.value });
    m_frontier = paretoFrontier(plane, m_lowerIsBetter);
    std::vector<ParetoPoint> front;
    for (size_t i : m_frontier)
        front.push_back(plane[i]);
    QList<QPointF> steps;
    for (const ParetoPoint& p : paretoSteps(front))
        steps.append({ p.x, p.y });
    m_frontierLine->replace(steps);

    double xlo = 0, xhi = 1, ylo = m_logY ? 1e-3 : 0, yhi = 1;
    if (!m_points.empty()) {
        xlo = xhi = m_points.front().bitsPerParam;
        ylo = yhi = m_points.front().value;
        for (const TradeoffPoint& p : m_points) {
            xlo = std::min(xlo, p.bitsPerParam);
            xhi = std::max(xhi, p.bitsPerParam);
            ylo = std::min(ylo, p.value);
            yhi = std::max(yhi, p.value);
        }
    }
    if (std::isfinite(m_referenceBits)) {
        xlo = m_points.empty() ? m_referenceBits : std::min(xlo, m_referenceBits);
        xhi = m_points.empty() ? m_referenceBits : std::max(xhi, m_referenceBits);
    }
    const bool nonNegative = ylo >= 0;
    padRange(xlo, xhi, false);
    padRange(ylo, yhi, m_logY);
    if (nonNegative && !m_logY)
        ylo = std::max(ylo, 0.0);
    // Padding must not show values the metric cannot take (a recall of 1.5).
    if (m_ceiling && yhi > *m_ceiling && ylo < *m_ceiling)
        yhi = *m_ceiling;
    m_axisX->setRange(std::max(0.0, xlo), xhi);
    m_axisX->setTickCount(9);
    m_axisX->applyNiceNumbers();
    if (m_logY) {
        m_axisLogY->setMinorTickCount(std::log10(yhi / ylo) <= 4.5 ? 8 : 0);
        m_axisLogY->setRange(ylo, yhi);
    } else {
        m_axisY->setRange(ylo, yhi);
        m_axisY->applyNiceNumbers();
        if (m_ceiling && m_axisY->max() > *m_ceiling)
            m_axisY->setMax(*m_ceiling);
    }
    setSelectedKeys(m_selectedKeys);
    viewport()->update();
}

QPair<double, double> TradeoffChart::valueRange() const
{
    return m_logY ? qMakePair(m_axisLogY->min(), m_axisLogY->max()) : qMakePair(m_axisY->min(), m_axisY->max());
}

const TradeoffPoint* TradeoffChart::pointAt(const QPoint& pos, double radius) const
{
    const QPointF target = chart()->mapFromScene(mapToScene(pos));
    if (!chart()->plotArea().adjusted(-radius, -radius, radius, radius).contains(target))
        return nullptr;
    // Nearest in plot pixels, so x and y weigh as the eye sees them. The selection ring is attached to
    // the axes shown, whichever they are.
    const TradeoffPoint* best = nullptr;
    double bestDistance = radius;
    for (const TradeoffPoint& p : m_points) {
        const QPointF at = chart()->mapToPosition({ p.bitsPerParam, p.value }, m_selection);
        const double d = std::hypot(at.x() - target.x(), at.y() - target.y());
        if (d <= bestDistance) {
            best = &p;
            bestDistance = d;
        }
    }
    return best;
}

QString TradeoffChart::pointText(const TradeoffPoint& p) const
{
    return tr("%1\nmethod %2\n%3 bits/param\n%4 = %5")
        .arg(p.name, p.method, QString::number(p.bitsPerParam, 'f', 3), m_metricTitle, display::number(p.value));
}

void TradeoffChart::mouseMoveEvent(QMouseEvent* event)
{
    ChartView::mouseMoveEvent(event);
    if (const TradeoffPoint* p = pointAt(event->position().toPoint()))
        QToolTip::showText(event->globalPosition().toPoint(), pointText(*p), this);
    else
        QToolTip::hideText();
}

void TradeoffChart::mousePressEvent(QMouseEvent* event)
{
    ChartView::mousePressEvent(event);
    if (event->button() != Qt::LeftButton)
        return;
    if (const TradeoffPoint* p = pointAt(event->position().toPoint()))
        emit pointClicked(p->key, event->modifiers());
}

void TradeoffChart::drawForeground(QPainter* painter, const QRectF& rect)
{
    ChartView::drawForeground(painter, rect);
    const QRectF plot = chart()->mapToScene(chart()->plotArea()).boundingRect();
    if (std::isfinite(m_referenceBits)) {
        // The stored format: a dashed vertical line through the plot, its label at the top.
        // Any y inside the axis maps x alike (0 would be off a log axis).
        const double y = m_logY ? m_axisLogY->min() : m_axisY->min();
        const double x = chart()->mapToScene(chart()->mapToPosition({ m_referenceBits, y }, m_frontierLine)).x();
        if (x >= plot.left() && x <= plot.right()) {
            painter->save();
            painter->setPen(QPen(referenceColor(), 2, Qt::DashLine));
            painter->drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
            painter->setFont(m_axisX->labelsFont());
            const QFontMetricsF metrics(painter->font());
            const double width = metrics.horizontalAdvance(m_referenceLabel);
            // Right of the line, or left of it when the label would leave the plot.
            const double left = x + 5 + width <= plot.right() ? x + 5 : x - 5 - width;
            painter->drawText(QPointF(left, plot.top() + metrics.ascent() + 2), m_referenceLabel);
            painter->restore();
        }
    }
    if (m_series.isEmpty())
        return;
    // Baseline labels beside their markers (QtCharts' point labels cannot carry text of our own).
    painter->save();
    QFont font = m_axisX->labelsFont();
    painter->setFont(font);
    painter->setPen(m_axisX->labelsBrush().color());
    for (qsizetype s = 0; s < m_series.size(); ++s) {
        for (size_t i : m_seriesPoints[size_t(s)]) {
            const TradeoffPoint& p = m_points[i];
            if (!p.baseline || p.label.isEmpty())
                continue;
            const QPointF at = chart()->mapToScene(chart()->mapToPosition({ p.bitsPerParam, p.value }, m_series[s]));
            if (!plot.contains(at))
                continue;
            painter->drawText(at + QPointF(9, -6), p.label);
        }
    }
    painter->restore();
}

void TradeoffChart::addContextActions(QMenu& menu)
{
    QAction* log = menu.addAction(tr("Logarithmic y axis"), this, [this](bool on) { setLogY(on); });
    log->setCheckable(true);
    log->setChecked(m_logY);
}

} // namespace vq
