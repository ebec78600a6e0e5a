#include "codewordmapchart.h"

#include "charts/chartpainting.h"
#include "displaytext.h"

#include <QChart>
#include <QMouseEvent>
#include <QPaintEngine>
#include <QPainter>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <numeric>

namespace vq {

namespace {

constexpr int kLegendWidth = 110;
constexpr double kMinRadius = 2.5;
constexpr double kMaxRadius = 12;
const QColor kNoValue(0xb0, 0xb0, 0xb0);
const QColor kSample(0x90, 0x90, 0x90, 110);
const QColor kSelected(0xe0, 0x40, 0x20);
constexpr int kColourLevels = 64;

} // namespace

CodewordMapChart::CodewordMapChart(QWidget* parent)
    : ChartView(parent)
{
    QChart* chart = newPaintedChart(kLegendWidth);
    m_axisX = new QValueAxis(chart);
    m_axisY = new QValueAxis(chart);
    for (QValueAxis* axis : { m_axisX, m_axisY }) {
        axis->setLabelFormat(QStringLiteral("%.3g"));
        axis->setTickCount(5);
    }
    addPaintedAxes(chart, m_axisX, m_axisY);
    setChart(chart);
    rebuild();
}

void CodewordMapChart::setPoints(std::vector<float> xy, std::vector<int64_t> usage, std::vector<double> colour,
    const QString& colourTitle, std::vector<float> samples)
{
    m_xy = std::move(xy);
    m_usage = std::move(usage);
    m_colour = std::move(colour);
    m_samples = std::move(samples);
    m_colourTitle = colourTitle;
    if (m_xy.size() != m_usage.size() * 2 || m_colour.size() != m_usage.size() || m_samples.size() % 2) {
        m_xy.clear();
        m_usage.clear();
        m_colour.clear();
        m_samples.clear();
    }
    if (m_selected >= codeCount())
        m_selected = -1;
    rebuild();
}

void CodewordMapChart::clear()
{
    m_selected = -1;
    setPoints({}, {}, {}, QString(), {});
}

void CodewordMapChart::setTitle(const QString& title)
{
    chart()->setTitle(title);
}

void CodewordMapChart::setAxisTitles(const QString& x, const QString& y)
{
    m_axisX->setTitleText(x);
    m_axisY->setTitleText(y);
}

void CodewordMapChart::setShowSamples(bool show)
{
    if (show == m_showSamples)
        return;
    m_showSamples = show;
    rebuild();
}

void CodewordMapChart::setSelectedCode(int code)
{
    m_selected = code >= 0 && code < codeCount() ? code : -1;
    viewport()->update();
}

void CodewordMapChart::rebuild()
{
    const int n = codeCount();
    m_maxUsage = 1;
    for (const int64_t u : m_usage)
        m_maxUsage = std::max(m_maxUsage, u);
    m_order.resize(size_t(n));
    std::iota(m_order.begin(), m_order.end(), 0);
    std::stable_sort(
        m_order.begin(), m_order.end(), [this](int a, int b) { return m_usage[size_t(a)] > m_usage[size_t(b)]; });

    // Colour range over the finite values, from the 2nd to the 98th percentile so that one odd code does not
    // flatten the others (values beyond are drawn at the ends); log10 when all are positive and span two
    // decades or more.
    std::vector<double> finite;
    for (const double v : m_colour)
        if (std::isfinite(v))
            finite.push_back(v);
    std::sort(finite.begin(), finite.end());
    const auto at = [&](double q) { return finite[size_t(q * double(finite.size() - 1) + 0.5)]; };
    const double lo = finite.empty() ? NAN : finite.size() >= 20 ? at(0.02) : finite.front();
    const double hi = finite.empty() ? NAN : finite.size() >= 20 ? at(0.98) : finite.back();
    m_colourClipped = finite.size() >= 20 && (finite.front() < lo || finite.back() > hi);
    m_logColour = lo > 0 && hi / lo >= 100;
    m_colourLo = std::isfinite(lo) ? (m_logColour ? std::log10(lo) : lo) : 0;
    m_colourHi = std::isfinite(hi) ? (m_logColour ? std::log10(hi) : hi) : 1;

    // Axis ranges: every codeword (and the samples when shown), 5% margins.
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    const auto include = [&](const std::vector<float>& v) {
        for (size_t i = 0; i + 1 < v.size(); i += 2) {
            x0 = std::min(x0, double(v[i]));
            x1 = std::max(x1, double(v[i]));
            y0 = std::min(y0, double(v[i + 1]));
            y1 = std::max(y1, double(v[i + 1]));
        }
    };
    include(m_xy);
    if (m_showSamples)
        include(m_samples);
    if (!std::isfinite(x0)) {
        x0 = y0 = -1;
        x1 = y1 = 1;
    }
    const double padX = std::max((x1 - x0) * 0.05, 1e-6), padY = std::max((y1 - y0) * 0.05, 1e-6);
    m_x0 = x0 - padX;
    m_x1 = x1 + padX;
    m_y0 = y0 - padY;
    m_y1 = y1 + padY;
    m_axisX->setRange(m_x0, m_x1);
    m_axisY->setRange(m_y0, m_y1);
    m_cache = QImage();
    viewport()->update();
}

QRectF CodewordMapChart::plotRectInScene() const
{
    return chart()->mapToScene(chart()->plotArea()).boundingRect();
}

QPointF CodewordMapChart::scenePosition(float x, float y, const QRectF& plot) const
{
    return { plot.left() + (x - m_x0) / (m_x1 - m_x0) * plot.width(),
        plot.bottom() - (y - m_y0) / (m_y1 - m_y0) * plot.height() };
}

double CodewordMapChart::radius(int code) const
{
    if (code < 0 || code >= codeCount())
        return 0;
    // Area proportional to usage.
    return kMinRadius + (kMaxRadius - kMinRadius) * std::sqrt(double(m_usage[size_t(code)]) / double(m_maxUsage));
}

QPoint CodewordMapChart::viewPosition(int code) const
{
    if (code < 0 || code >= codeCount())
        return { -1, -1 };
    return mapFromScene(scenePosition(m_xy[size_t(code) * 2], m_xy[size_t(code) * 2 + 1], plotRectInScene()));
}

int CodewordMapChart::codeAt(const QPoint& viewPos) const
{
    const QRectF plot = plotRectInScene();
    const QPointF p = mapToScene(viewPos);
    // The topmost disc under the point (the last drawn), else the nearest centre within 4 px of a rim.
    int nearest = -1;
    double nearestGap = 4;
    for (auto it = m_order.rbegin(); it != m_order.rend(); ++it) {
        const int c = *it;
        const QPointF q = scenePosition(m_xy[size_t(c) * 2], m_xy[size_t(c) * 2 + 1], plot);
        const double gap = std::hypot(q.x() - p.x(), q.y() - p.y()) - radius(c);
        if (gap <= 0)
            return c;
        if (gap < nearestGap) {
            nearest = c;
            nearestGap = gap;
        }
    }
    return nearest;
}

int CodewordMapChart::colourLevel(int code) const
{
    double v = m_colour[size_t(code)];
    if (!std::isfinite(v) || (m_logColour && v <= 0))
        return -1;
    if (m_logColour)
        v = std::log10(v);
    const double t = m_colourHi > m_colourLo ? (v - m_colourLo) / (m_colourHi - m_colourLo) : 0.5;
    return int(std::lround(std::clamp(t, 0.0, 1.0) * (kColourLevels - 1)));
}

QColor CodewordMapChart::colourOf(int code) const
{
    const int level = code >= 0 && code < codeCount() ? colourLevel(code) : -1;
    return level < 0 ? kNoValue : viridis(double(level) / (kColourLevels - 1));
}

void CodewordMapChart::drawMark(QPainter* painter, const QPointF& at, Mark mark, double r, const QColor& fill)
{
    painter->setRenderHint(QPainter::Antialiasing);
    switch (mark) {
    case Mark::Sample:
        painter->setPen(Qt::NoPen);
        painter->setBrush(kSample);
        painter->drawEllipse(at, 1.6, 1.6);
        break;
    case Mark::Dead:
        painter->setPen(QPen(QColor(0x80, 0x80, 0x80), 1.2));
        painter->drawLine(at + QPointF(-3, -3), at + QPointF(3, 3));
        painter->drawLine(at + QPointF(-3, 3), at + QPointF(3, -3));
        break;
    case Mark::Disc:
        painter->setPen(QPen(QColor(0x30, 0x30, 0x30, 160), 0.6));
        painter->setBrush(fill);
        painter->drawEllipse(at, r, r);
        break;
    }
}

void CodewordMapChart::drawPoints(QPainter* painter, const QRectF& plot, bool vectors) const
{
    // Into the cached layer each mark is a small image drawn once per (kind, radius step, colour level) and
    // blitted: rasterising 65536 antialiased outlined discs takes the GUI thread hundreds of milliseconds,
    // blitting them a few tens. Radii snap to half pixels and colours to kColourLevels steps of the map,
    // below what the eye tells apart at these sizes. SVG export draws vectors.
    const qreal ratio = painter->device() ? painter->device()->devicePixelRatioF() : 1.0;
    std::vector<QImage> sprites;
    const auto blit = [&](const QPointF& at, Mark mark, double r, int colour) {
        if (vectors) {
            drawMark(painter, at, mark, r, colour < 0 ? kNoValue : viridis(double(colour) / (kColourLevels - 1)));
            return;
        }
        const int step = int(std::lround(r * 2));
        const size_t key = mark == Mark::Disc ? size_t(step) * (kColourLevels + 1) + size_t(colour + 1) + 2
                                              : size_t(mark == Mark::Dead);
        if (key >= sprites.size())
            sprites.resize(key + 1);
        QImage& sprite = sprites[key];
        const double half = std::ceil(std::max(r, 3.0) + 1.5);
        if (sprite.isNull()) {
            sprite = QImage(QSize(int(2 * half * ratio), int(2 * half * ratio)), QImage::Format_ARGB32_Premultiplied);
            sprite.setDevicePixelRatio(ratio);
            sprite.fill(Qt::transparent);
            QPainter p(&sprite);
            drawMark(&p, QPointF(half, half), mark, step / 2.0,
                colour < 0 ? kNoValue : viridis(double(colour) / (kColourLevels - 1)));
        }
        painter->drawImage(at - QPointF(half, half), sprite);
    };
    if (m_showSamples)
        for (size_t i = 0; i + 1 < m_samples.size(); i += 2)
            blit(scenePosition(m_samples[i], m_samples[i + 1], plot), Mark::Sample, 1.6, -1);
    for (const int c : m_order) {
        const QPointF q = scenePosition(m_xy[size_t(c) * 2], m_xy[size_t(c) * 2 + 1], plot);
        if (m_usage[size_t(c)] == 0)
            blit(q, Mark::Dead, 3, -1);
        else
            blit(q, Mark::Disc, radius(c), colourLevel(c));
    }
}

void CodewordMapChart::drawColourBar(QPainter* painter, const QRectF& plot) const
{
    const QColor text = m_axisX->labelsBrush().color();
    const QFontMetrics metrics(m_axisX->labelsFont());
    painter->setFont(m_axisX->labelsFont());
    const QRectF bar(
        plot.right() + 16, plot.top() + metrics.height() * 2, 12, std::max(20.0, plot.height() - metrics.height() * 4));
    paintViridisBar(*painter, bar, text);
    const auto valueText = [this](double v) { return display::number(m_logColour ? std::pow(10.0, v) : v); };
    const QString above = m_colourClipped ? QStringLiteral("≥ ") : QString();
    const QString below = m_colourClipped ? QStringLiteral("≤ ") : QString();
    painter->drawText(QPointF(bar.right() + 4, bar.top() + metrics.ascent() / 2.0), above + valueText(m_colourHi));
    painter->drawText(QPointF(bar.right() + 4, bar.bottom() + metrics.ascent() / 2.0), below + valueText(m_colourLo));
    const QString title = m_colourTitle + (m_logColour ? tr(" (log)") : QString());
    painter->drawText(QRectF(plot.right() + 6, plot.top(), kLegendWidth - 8, metrics.height() * 2),
        Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, title);
    // Dead codes: the cross below the bar.
    const QPointF cross(bar.center().x(), bar.bottom() + metrics.height() * 1.2);
    painter->setPen(QPen(QColor(0x80, 0x80, 0x80), 1.2));
    painter->drawLine(cross + QPointF(-3, -3), cross + QPointF(3, 3));
    painter->drawLine(cross + QPointF(-3, 3), cross + QPointF(3, -3));
    painter->setPen(QPen(text, 1));
    painter->drawText(QPointF(bar.right() + 4, cross.y() + metrics.ascent() / 2.0 - 1), tr("dead"));
}

void CodewordMapChart::drawForeground(QPainter* painter, const QRectF& rect)
{
    ChartView::drawForeground(painter, rect);
    if (m_usage.empty())
        return;
    const QRectF plot = plotRectInScene();
    painter->save();
    painter->setClipRect(plot.adjusted(-kMaxRadius, -kMaxRadius, kMaxRadius, kMaxRadius));
    if (painter->paintEngine() && painter->paintEngine()->type() == QPaintEngine::SVG) {
        drawPoints(painter, plot, true); // vectors in an SVG export
    } else {
        // The points layer, cached per plot rectangle and data; 65536 discs are too many to draw per frame.
        const qreal ratio = devicePixelRatioF();
        if (m_cache.isNull() || m_cacheRect != plot) {
            const QRectF area = plot.adjusted(-kMaxRadius, -kMaxRadius, kMaxRadius, kMaxRadius);
            m_cache = QImage((area.size() * ratio).toSize(), QImage::Format_ARGB32_Premultiplied);
            m_cache.setDevicePixelRatio(ratio);
            m_cache.fill(Qt::transparent);
            QPainter layer(&m_cache);
            layer.translate(-area.topLeft());
            drawPoints(&layer, plot, false);
            m_cacheRect = plot;
        }
        painter->drawImage(plot.topLeft() - QPointF(kMaxRadius, kMaxRadius), m_cache);
    }
    if (m_selected >= 0) {
        const QPointF q = scenePosition(m_xy[size_t(m_selected) * 2], m_xy[size_t(m_selected) * 2 + 1], plot);
        painter->setRenderHint(QPainter::Antialiasing);
        painter->setPen(QPen(kSelected, 2.2));
        painter->setBrush(Qt::NoBrush);
        const double r = radius(m_selected) + 4;
        painter->drawEllipse(q, r, r);
    }
    painter->setClipping(false);
    drawColourBar(painter, plot);
    painter->restore();
}

void CodewordMapChart::mouseMoveEvent(QMouseEvent* event)
{
    ChartView::mouseMoveEvent(event);
    const int code = codeAt(event->position().toPoint());
    if (code >= 0 && m_pointText)
        QToolTip::showText(event->globalPosition().toPoint(), m_pointText(code), this);
    else
        QToolTip::hideText();
}

void CodewordMapChart::mousePressEvent(QMouseEvent* event)
{
    ChartView::mousePressEvent(event);
    if (event->button() != Qt::LeftButton)
        return;
    const int code = codeAt(event->position().toPoint());
    if (code >= 0) {
        setSelectedCode(code);
        emit codeClicked(code);
    }
}

void CodewordMapChart::resizeEvent(QResizeEvent* event)
{
    ChartView::resizeEvent(event);
    m_cache = QImage();
}

} // namespace vq
