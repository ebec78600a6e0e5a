#include "comparescatterchart.h"

#include "charts/axisticks.h"
#include "charts/paintedpoints.h"
#include "displaytext.h"

#include <QChart>
#include <QGraphicsLayout>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QMenu>
#include <QMouseEvent>
#include <QScatterSeries>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

namespace vq {

CompareScatterChart::CompareScatterChart(QWidget* parent)
    : ChartView(parent)
{
    auto* chart = new QChart;
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setBackgroundRoundness(0);
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->legend()->setAlignment(Qt::AlignBottom);

    m_diagonal = new QLineSeries(chart);
    m_diagonal->setName(tr("y = x"));
    m_diagonal->setPen(QPen(QColor(0x70, 0x70, 0x70), 1.2, Qt::DashLine));
    m_sample = new QScatterSeries(chart);
    m_sample->setName(tr("sampled tokens"));
    m_sample->setMarkerSize(4);
    m_sample->setColor(QColor(0x3b, 0x6e, 0xa8, 150));
    m_sample->setBorderColor(Qt::transparent);
    m_highlight = new QScatterSeries(chart);
    m_highlight->setName(tr("differ most"));
    m_highlight->setMarkerSize(6);
    m_highlight->setColor(QColor(0xd6, 0x3b, 0x2f));
    m_highlight->setBorderColor(Qt::transparent);
    chart->addSeries(m_diagonal);
    chart->addSeries(m_sample);
    chart->addSeries(m_highlight);

    m_linearX = new QValueAxis(chart);
    m_linearY = new QValueAxis(chart);
    m_linearX->setLabelFormat(QStringLiteral("%.3g"));
    m_linearY->setLabelFormat(QStringLiteral("%.3g"));
    m_logX = new QLogValueAxis(this);
    m_logY = new QLogValueAxis(this);
    for (QLogValueAxis* axis : { m_logX, m_logY }) {
        axis->setBase(10);
        axis->setLabelFormat(QStringLiteral("%g"));
    }
    chart->addAxis(m_linearX, Qt::AlignBottom);
    chart->addAxis(m_linearY, Qt::AlignLeft);
    for (auto* s : chart->series()) {
        s->attachAxis(m_linearX);
        s->attachAxis(m_linearY);
    }

    setChart(chart);
}

void CompareScatterChart::setData(std::span<const float> a, std::span<const float> b, const std::vector<int64_t>& rows,
    const std::vector<int64_t>& highlighted)
{
    std::vector<int64_t> hotRows = highlighted;
    std::sort(hotRows.begin(), hotRows.end());
    m_points.clear();
    m_points.reserve(rows.size());
    for (int64_t row : rows) {
        if (row < 0 || size_t(row) >= a.size() || size_t(row) >= b.size())
            continue;
        const bool hot = std::binary_search(hotRows.begin(), hotRows.end(), row);
        m_points.push_back({ row, a[size_t(row)], b[size_t(row)], hot });
    }
    rebuild();
}

void CompareScatterChart::clear()
{
    m_points.clear();
    rebuild();
}

void CompareScatterChart::setLogLog(bool logLog)
{
    if (m_logLog == logLog)
        return;
    m_logLog = logLog;
    rebuild();
}

void CompareScatterChart::setTitle(const QString& title)
{
    m_title = title;
    chart()->setTitle(m_subtitle.isEmpty()
            ? m_title
            : m_title + QStringLiteral("<br><small>") + m_subtitle.toHtmlEscaped() + QStringLiteral("</small>"));
}

void CompareScatterChart::setSubtitle(const QString& subtitle)
{
    m_subtitle = subtitle;
    setTitle(m_title);
}

void CompareScatterChart::setAxisTitles(const QString& x, const QString& y)
{
    m_linearX->setTitleText(x);
    m_logX->setTitleText(x);
    m_linearY->setTitleText(y);
    m_logY->setTitleText(y);
}

void CompareScatterChart::setPointText(std::function<QString(int64_t)> text)
{
    m_pointText = std::move(text);
}

int CompareScatterChart::pointCount() const
{
    return int(m_samplePoints.size() + m_hotPoints.size());
}

void CompareScatterChart::drawForeground(QPainter* painter, const QRectF& rect)
{
    ChartView::drawForeground(painter, rect);
    paintPoints(painter, chart(), m_diagonal, m_samplePoints, m_sample->color(), m_sample->markerSize());
    paintPoints(painter, chart(), m_diagonal, m_hotPoints, m_highlight->color(), m_highlight->markerSize());
}

void CompareScatterChart::useAxes(bool log)
{
    QAbstractAxis* x = log ? static_cast<QAbstractAxis*>(m_logX) : m_linearX;
    QAbstractAxis* y = log ? static_cast<QAbstractAxis*>(m_logY) : m_linearY;
    if (chart()->axes(Qt::Horizontal).contains(x))
        return;
    for (QAbstractAxis* old : chart()->axes()) {
        for (auto* s : chart()->series())
            s->detachAxis(old);
        chart()->removeAxis(old);
        old->setParent(this);
    }
    chart()->addAxis(x, Qt::AlignBottom);
    chart()->addAxis(y, Qt::AlignLeft);
    for (auto* s : chart()->series()) {
        s->attachAxis(x);
        s->attachAxis(y);
    }
}

void CompareScatterChart::rebuild()
{
    m_samplePoints.clear();
    m_hotPoints.clear();
    m_drawn.clear();
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (const Point& p : m_points) {
        if (!std::isfinite(p.a) || !std::isfinite(p.b))
            continue;
        if (m_logLog && !(p.a > 0 && p.b > 0))
            continue;
        m_drawn.push_back(p);
        (p.highlighted ? m_hotPoints : m_samplePoints).emplace_back(double(p.a), double(p.b));
        lo = std::min({ lo, double(p.a), double(p.b) });
        hi = std::max({ hi, double(p.a), double(p.b) });
    }
    // The diagonal cleared first, then the axes: a log axis must never see old linear points (0 included).
    m_diagonal->clear();
    useAxes(m_logLog);
    if (!(lo <= hi)) {
        lo = m_logLog ? 1 : 0;
        hi = m_logLog ? 10 : 1;
    }
    // Both axes span the same range, so y = x is the diagonal of the plot.
    if (m_logLog) {
        std::tie(lo, hi) = setLogDecades(m_logX, lo, hi);
        setLogDecades(m_logY, lo, hi);
    } else {
        lo = std::min(0.0, lo);
        hi = hi > lo ? hi * 1.05 : lo + 1;
        m_linearX->setRange(lo, hi);
        m_linearY->setRange(lo, hi);
        m_linearX->applyNiceNumbers();
        m_linearY->setRange(m_linearX->min(), m_linearX->max());
        m_linearY->setTickCount(m_linearX->tickCount());
        lo = m_linearX->min();
        hi = m_linearX->max();
    }
    m_diagonal->replace(QList<QPointF> { { lo, lo }, { hi, hi } });
    viewport()->update();
}

int64_t CompareScatterChart::rowNear(const QPointF& pos, double radius) const
{
    const QPointF chartPos = chart()->mapFromScene(mapToScene(pos.toPoint()));
    double best = radius * radius;
    int64_t row = -1;
    // A few thousand points: a linear scan per mouse move is cheap.
    for (const Point& p : m_drawn) {
        const QPointF at = chart()->mapToPosition(QPointF(double(p.a), double(p.b)), m_diagonal);
        const double d
            = (at.x() - chartPos.x()) * (at.x() - chartPos.x()) + (at.y() - chartPos.y()) * (at.y() - chartPos.y());
        if (d <= best) {
            best = d;
            row = p.row;
        }
    }
    return row;
}

void CompareScatterChart::mouseMoveEvent(QMouseEvent* event)
{
    QChartView::mouseMoveEvent(event);
    const int64_t row = rowNear(event->position());
    if (row < 0) {
        QToolTip::hideText();
        return;
    }
    QString text;
    if (m_pointText) {
        text = m_pointText(row);
    } else {
        const auto it = std::find_if(m_drawn.begin(), m_drawn.end(), [row](const Point& p) { return p.row == row; });
        text = tr("row %1: A %2, B %3").arg(display::count(row), display::number(it->a), display::number(it->b));
    }
    QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

void CompareScatterChart::addContextActions(QMenu& menu)
{
    QAction* log = menu.addAction(tr("Log-log axes"), this, [this](bool on) { setLogLog(on); });
    log->setCheckable(true);
    log->setChecked(m_logLog);
}

} // namespace vq
