#include "tokenerrorchart.h"

#include "charts/axisticks.h"
#include "charts/paintedpoints.h"
#include "displaytext.h"

#include <QChart>
#include <QGraphicsLayout>
#include <QLogValueAxis>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
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

    // Holds no points: it places the painted ones on the axes (and names their colour).
    m_series = new QScatterSeries(chart);
    m_series->setMarkerSize(4);
    m_series->setColor(QColor(0x3b, 0x6e, 0xa8));
    m_series->setBorderColor(Qt::transparent);
    chart->addSeries(m_series);

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
    m_series->attachAxis(m_axisX);
    m_series->attachAxis(m_linearY);
    m_logYAxis->setParent(this);

    setChart(chart);

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
    viewport()->update();
}

int64_t TokenErrorChart::pointBudget() const
{
    return std::max<int64_t>(200, int64_t(std::lround(chart()->plotArea().width())));
}

void TokenErrorChart::replot()
{
    m_replotTimer.stop();
    m_plotted = thinForPlot(m_values, pointBudget());
    if (m_logY)
        std::erase_if(m_plotted, [](const PlotPoint& p) { return !(p.value > 0) || !std::isfinite(p.value); });
    else
        std::erase_if(m_plotted, [](const PlotPoint& p) { return !std::isfinite(p.value); });

    m_points.clear();
    m_points.reserve(m_plotted.size());
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (const PlotPoint& p : m_plotted) {
        m_points.emplace_back(double(p.index), double(p.value));
        lo = std::min(lo, double(p.value));
        hi = std::max(hi, double(p.value));
    }
    if (m_logY)
        showAxis(chart(), m_series, m_logYAxis, m_linearY, Qt::AlignLeft, this);
    else
        showAxis(chart(), m_series, m_linearY, m_logYAxis, Qt::AlignLeft, this);

    // Round row numbers as ticks (whole rows: at least 1 apart).
    const double lastRow = std::max<double>(1.0, double(m_values.size()) - 1);
    setRangeWithInterval(m_axisX, 0, lastRow, std::max(1.0, niceStep(lastRow / 5)));
    if (m_logY) {
        // Whole decades around the data.
        setLogDecades(m_logYAxis, lo, hi);
    } else {
        if (!(lo <= hi)) {
            lo = 0;
            hi = 1;
        }
        m_linearY->setRange(std::min(0.0, lo), hi > std::min(0.0, lo) ? hi * 1.05 : 1.0);
        m_linearY->applyNiceNumbers();
    }
    viewport()->update();
}

QColor TokenErrorChart::pointColor() const
{
    return m_series->color();
}

void TokenErrorChart::drawForeground(QPainter* painter, const QRectF& rect)
{
    ChartView::drawForeground(painter, rect);
    paintPoints(painter, chart(), m_series, m_points, m_series->color(), m_series->markerSize());
    // The marked row on top, as a ringed dot.
    const float v = m_markedRow >= 0 ? m_values[size_t(m_markedRow)] : 0.f;
    if (m_markedRow < 0 || !std::isfinite(v) || (m_logY && !(v > 0)))
        return;
    const QPointF at = chart()->mapToPosition(QPointF(double(m_markedRow), double(v)), m_series);
    if (!chart()->plotArea().contains(at))
        return;
    painter->save();
    painter->setTransform(chart()->sceneTransform(), true);
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(QPen(Qt::white, 1.5));
    painter->setBrush(QColor(0xd6, 0x3b, 0x2f));
    painter->drawEllipse(at, 5.5, 5.5);
    painter->restore();
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
