#include "residualwaterfallchart.h"

#include "charts/chartpainting.h"
#include "displaytext.h"

#include <QChart>
#include <QFontMetricsF>
#include <QPainter>
#include <algorithm>
#include <cmath>

namespace vq {

namespace {

const QColor kBar(0x2c, 0x71, 0x8e);
constexpr double kGap = 6; // between a name and its bar, a bar and its value

} // namespace

ResidualWaterfallChart::ResidualWaterfallChart(QWidget* parent)
    : ChartView(parent)
{
    setChart(newPaintedChart(8));
}

void ResidualWaterfallChart::setSteps(const QStringList& labels, const std::vector<double>& values)
{
    m_labels = labels;
    m_values = values;
    if (labels.size() != qsizetype(values.size())) {
        m_labels.clear();
        m_values.clear();
    }
    updateGeometry(); // the minimum height follows the number of bars
    viewport()->update();
}

void ResidualWaterfallChart::clear()
{
    setSteps({}, {});
}

void ResidualWaterfallChart::setTitle(const QString& title)
{
    chart()->setTitle(title);
}

QSize ResidualWaterfallChart::minimumSizeHint() const
{
    // A line per bar under the title: bars never get less height than their names.
    const QFontMetrics text(font());
    const QFontMetrics title(chart()->titleFont());
    const int rows = std::max(barCount(), 4);
    return { 140, title.height() * 2 + rows * text.lineSpacing() + 12 };
}

ResidualWaterfallChart::Layout ResidualWaterfallChart::layout(const QRectF& plot) const
{
    Layout out;
    const int n = barCount();
    if (n == 0 || plot.width() <= 0)
        return out;
    const QFontMetricsF metrics(font());
    double nameWidth = 0, valueWidth = 0;
    for (int i = 0; i < n; ++i) {
        out.valueTexts.append(display::number(m_values[size_t(i)]));
        nameWidth = std::max(nameWidth, metrics.horizontalAdvance(m_labels[i]));
        valueWidth = std::max(valueWidth, metrics.horizontalAdvance(out.valueTexts.back()));
    }
    const double pitch = std::min(plot.height() / n, metrics.lineSpacing() * 1.9);
    const double thickness = std::max(2.0, std::min(pitch * 0.62, metrics.height()));
    const double x0 = plot.left() + nameWidth + kGap;
    const double span = std::max(1.0, plot.right() - x0 - kGap - valueWidth);
    const double top = std::max(1e-30, *std::max_element(m_values.begin(), m_values.end()));
    for (int i = 0; i < n; ++i) {
        const double centre = plot.top() + (i + 0.5) * pitch;
        const double length = std::max(0.0, m_values[size_t(i)]) / top * span;
        const double lineHeight = metrics.height();
        out.names.push_back(QRectF(plot.left(), centre - lineHeight / 2, nameWidth, lineHeight));
        out.bars.push_back(QRectF(x0, centre - thickness / 2, std::max(1.0, length), thickness));
        out.values.push_back(QRectF(
            x0 + length + kGap, centre - lineHeight / 2, metrics.horizontalAdvance(out.valueTexts[i]) + 1, lineHeight));
    }
    return out;
}

std::vector<ResidualWaterfallChart::TextBox> ResidualWaterfallChart::textBoxes() const
{
    const QRectF plot = chart()->mapToScene(chart()->plotArea()).boundingRect();
    const Layout l = layout(plot);
    std::vector<TextBox> out;
    const QPointF origin = mapToScene(QPoint(0, 0)); // the view is never scaled: scene to view is a shift
    const auto add = [&](const QRectF& r, const QString& text) { out.push_back({ r.translated(-origin), text }); };
    for (size_t i = 0; i < l.names.size(); ++i)
        add(l.names[i], m_labels[qsizetype(i)]);
    for (size_t i = 0; i < l.values.size(); ++i)
        add(l.values[i], l.valueTexts[qsizetype(i)]);
    return out;
}

void ResidualWaterfallChart::drawForeground(QPainter* painter, const QRectF& rect)
{
    ChartView::drawForeground(painter, rect);
    const QRectF plot = chart()->mapToScene(chart()->plotArea()).boundingRect();
    const Layout l = layout(plot);
    if (l.bars.empty())
        return;
    painter->save();
    painter->setFont(font());
    painter->setRenderHint(QPainter::Antialiasing);
    const QColor text = palette().color(QPalette::WindowText);
    for (size_t i = 0; i < l.bars.size(); ++i) {
        painter->setPen(Qt::NoPen);
        painter->setBrush(i == 0 ? kBar.lighter(150) : kBar);
        painter->drawRect(l.bars[i]);
        painter->setPen(text);
        painter->drawText(l.names[i], Qt::AlignLeft | Qt::AlignVCenter, m_labels[qsizetype(i)]);
        painter->drawText(l.values[i], Qt::AlignLeft | Qt::AlignVCenter, l.valueTexts[qsizetype(i)]);
    }
    painter->restore();
}

} // namespace vq
