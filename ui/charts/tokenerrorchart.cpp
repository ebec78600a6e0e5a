#include "tokenerrorchart.h"

#include "displaytext.h"

#include <QChart>
#include <QGraphicsLayout>
#include <QLogValueAxis>
#include <QMenu>
#include <QMouseEvent>
#include <QScatterSeries>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <limits>

namespace vq {

TokenErrorChart::TokenErrorChart(QWidget* parent)
    : ChartView(parent)
{
    auto* chart = new QChart;
    chart->legend()->hide();
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setBackgroundRoundness(0);
    chart->layout()->setContentsMargins(0, 0, 0, 0);

    m_series = new QScatterSeries(chart);
    m_series->setMarkerSize(4);
    m_series->setColor(QColor(0x3b, 0x6e, 0xa8));
    m_series->setBorderColor(Qt::transparent);
    m_series->setUseOpenGL(false);
    m_marked = new QScatterSeries(chart);
    m_marked->setMarkerSize(11);
    m_marked->setColor(QColor(0xd6, 0x3b, 0x2f));
    m_marked->setBorderColor(Qt::white);
    chart->addSeries(m_series);
    chart->addSeries(m_marked);

    m_axisX = new QValueAxis(chart);
    m_axisX->setLabelFormat(QStringLiteral("%d"));
    m_axisX->setTitleText(tr("token row"));
    m_linearY = new QValueAxis(chart);
    m_linearY->setLabelFormat(QStringLiteral("%.3g"));
    m_logYAxis = new QLogValueAxis(chart);
    m_logYAxis->setBase(10);
    m_logYAxis->setLabelFormat(QStringLiteral("%g"));
    chart->addAxis(m_axisX, Qt::AlignBottom);
    chart->addAxis(m_linearY, Qt::AlignLeft);
    for (QScatterSeries* s : { m_series, m_marked }) {
        s->attachAxis(m_axisX);
        s->attachAxis(m_linearY);
    }
    m_logYAxis->setParent(this);

    setChart(chart);
    setMouseTracking(true);

    m_replotTimer.setSingleShot(true);
    m_replotTimer.setInterval(50);
    connect(&m_replotTimer, &QTimer::timeout, this, &TokenErrorChart::replot);
}

void TokenErrorChart::setSeries(std::span<const float> values)
{
    m_values = values;
    m_markedRow = -1;
    replot();
}

void TokenErrorChart::clear()
{
    setSeries({});
}

void TokenErrorChart::setLogY(bool logY)
{
    if (m_logY == logY)
        return;
    m_logY = logY;
    replot();
}

void TokenErrorChart::setTitle(const QString& title)
{
    chart()->setTitle(title);
}

void TokenErrorChart::setAxisTitles(const QString& x, const QString& y)
{
    m_axisX->setTitleText(x);
    m_linearY->setTitleText(y);
    m_logYAxis->setTitleText(y);
}

void TokenErrorChart::setPointText(std::function<QString(int64_t)> text)
{
    m_pointText = std::move(text);
}

void TokenErrorChart::setMarkedRow(int64_t row)
{
    m_markedRow = row >= 0 && row < int64_t(m_values.size()) ? row : -1;
    QList<QPointF> points;
    const float v = m_markedRow >= 0 ? m_values[size_t(m_markedRow)] : 0.f;
    if (m_markedRow >= 0 && std::isfinite(v) && (!m_logY || v > 0))
        points.append({ double(m_markedRow), double(v) });
    m_marked->replace(points);
}

int64_t TokenErrorChart::pointBudget() const
{
    return std::max<int64_t>(200, int64_t(std::lround(chart()->plotArea().width())));
}

void TokenErrorChart::useYAxis(QAbstractAxis* axis)
{
    QAbstractAxis* other = axis == m_linearY ? static_cast<QAbstractAxis*>(m_logYAxis) : m_linearY;
    if (chart()->axes(Qt::Vertical).contains(axis))
        return;
    for (QScatterSeries* s : { m_series, m_marked })
        s->detachAxis(other);
    chart()->removeAxis(other);
    other->setParent(this);
    chart()->addAxis(axis, Qt::AlignLeft);
    for (QScatterSeries* s : { m_series, m_marked })
        s->attachAxis(axis);
}

void TokenErrorChart::replot()
{
    m_replotTimer.stop();
    m_plotted = thinForPlot(m_values, pointBudget());
    if (m_logY)
        std::erase_if(m_plotted, [](const PlotPoint& p) { return !(p.value > 0) || !std::isfinite(p.value); });
    else
        std::erase_if(m_plotted, [](const PlotPoint& p) { return !std::isfinite(p.value); });

    QList<QPointF> points;
    points.reserve(qsizetype(m_plotted.size()));
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (const PlotPoint& p : m_plotted) {
        points.append({ double(p.index), double(p.value) });
        lo = std::min(lo, double(p.value));
        hi = std::max(hi, double(p.value));
    }
    // New points first, then the axis: a log axis must never see the old linear points (0 included).
    m_series->replace(points);
    setMarkedRow(m_markedRow);
    useYAxis(m_logY ? static_cast<QAbstractAxis*>(m_logYAxis) : m_linearY);

    m_axisX->setRange(0, std::max<double>(1.0, double(m_values.size()) - 1));
    // Round row numbers as ticks (1, 2 or 5 times a power of ten).
    const double rough = std::max(1.0, double(m_values.size()) / 5.0);
    const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
    const double scaled = rough / magnitude;
    m_axisX->setTickType(QValueAxis::TicksDynamic);
    m_axisX->setTickAnchor(0);
    m_axisX->setTickInterval((scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * magnitude);
    if (m_logY) {
        if (!(lo <= hi)) {
            lo = 1;
            hi = 10;
        }
        // Whole decades around the data.
        m_logYAxis->setMinorTickCount(8);
        // Qt puts the first label at ceil(log10(min)): nudge min below the power of ten so it is labelled.
        m_logYAxis->setRange(
            std::pow(10.0, std::floor(std::log10(lo))) * (1 - 1e-9), std::pow(10.0, std::ceil(std::log10(hi) + 1e-9)));
    } else {
        if (!(lo <= hi)) {
            lo = 0;
            hi = 1;
        }
        m_linearY->setRange(std::min(0.0, lo), hi > std::min(0.0, lo) ? hi * 1.05 : 1.0);
        m_linearY->applyNiceNumbers();
    }
}

int64_t TokenErrorChart::rowNear(const QPointF& pos, double radius) const
{
    const QPointF chartPos = chart()->mapFromScene(mapToScene(pos.toPoint()));
    double best = radius * radius;
    int64_t row = -1;
    for (const PlotPoint& p : m_plotted) {
        const QPointF at = chart()->mapToPosition(QPointF(double(p.index), double(p.value)), m_series);
        const double dx = at.x() - chartPos.x();
        const double dy = at.y() - chartPos.y();
        if (dx * dx + dy * dy <= best) {
            best = dx * dx + dy * dy;
            row = p.index;
        }
    }
    return row;
}

void TokenErrorChart::mouseMoveEvent(QMouseEvent* event)
{
    QChartView::mouseMoveEvent(event);
    const int64_t row = rowNear(event->position());
    if (row < 0) {
        QToolTip::hideText();
        return;
    }
    const QString text = m_pointText
        ? m_pointText(row)
        : tr("row %1: %2").arg(display::count(row), display::number(m_values[size_t(row)]));
    QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

void TokenErrorChart::mousePressEvent(QMouseEvent* event)
{
    if (event->button() == Qt::LeftButton) {
        const int64_t row = rowNear(event->position());
        if (row >= 0) {
            setMarkedRow(row);
            emit pointClicked(row);
        }
    }
    QChartView::mousePressEvent(event);
}

void TokenErrorChart::resizeEvent(QResizeEvent* event)
{
    ChartView::resizeEvent(event);
    m_replotTimer.start();
}

void TokenErrorChart::addContextActions(QMenu& menu)
{
    QAction* log = menu.addAction(tr("Log scale (y)"), this, [this](bool on) { setLogY(on); });
    log->setCheckable(true);
    log->setChecked(m_logY);
}

} // namespace vq
