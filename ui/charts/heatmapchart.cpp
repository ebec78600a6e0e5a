#include "heatmapchart.h"

#include "charts/axisticks.h"
#include "charts/chartpainting.h"
#include "displaytext.h"

#include <QCategoryAxis>
#include <QChart>
#include <QMouseEvent>
#include <QPainter>
#include <QTimer>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

namespace vq {

namespace {

// Room right of the plot area for the colour bar and its labels.
constexpr int kLegendWidth = 96;

const QColor kDeadColor(Qt::white);

// Row labels a plot of this height has room for (about 24 px a label: closer, Qt Charts elides them).
int labelFit(double height)
{
    return std::max(1, int(height / 24.0));
}

} // namespace

HeatmapChart::HeatmapChart(QWidget* parent)
    : ChartView(parent)
{
    QChart* chart = newPaintedChart(kLegendWidth);

    m_axisX = new QValueAxis(chart);
    m_axisX->setTitleText(tr("code"));
    m_axisX->setLabelFormat(QStringLiteral("%d"));
    m_axisX->setGridLineVisible(false);
    m_axisY = new QCategoryAxis(chart);
    m_axisY->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    m_axisY->setGridLineVisible(false);
    m_axisY->setReverse(true); // row 0 at the top, as in the image
    addPaintedAxes(chart, m_axisX, m_axisY);

    setChart(chart);
    // The plot's height settles in the chart's layout passes, after resizes and after the first show:
    // labels chosen for another height crowd into ellipses. Relabel once the layout is done.
    connect(chart, &QChart::plotAreaChanged, this, [this](const QRectF& area) {
        if (labelFit(area.height()) != m_labelFit)
            QTimer::singleShot(0, this, &HeatmapChart::updateRowLabels);
    });
    rebuild();
}

void HeatmapChart::setCells(QStringList rowLabels, int columns, int64_t codesPerColumn, int64_t codes,
    std::vector<int64_t> values, std::vector<int64_t> dead)
{
    m_rowLabels = std::move(rowLabels);
    m_columns = columns;
    m_codesPerColumn = std::max<int64_t>(codesPerColumn, 1);
    m_codes = codes;
    m_values = std::move(values);
    m_dead = std::move(dead);
    m_dead.resize(m_values.size(), 0);
    if (m_values.size() != size_t(m_columns) * size_t(m_rowLabels.size())) {
        m_rowLabels.clear();
        m_columns = 0;
        m_values.clear();
        m_dead.clear();
    }
    rebuild();
}

void HeatmapChart::clear()
{
    setCells({}, 0, 1, 0, {}, {});
}

void HeatmapChart::setTitle(const QString& title)
{
    chart()->setTitle(title);
}

void HeatmapChart::setHighlightedRow(int row)
{
    m_highlightedRow = row;
    viewport()->update();
}

int64_t HeatmapChart::value(int row, int column) const
{
    if (row < 0 || row >= rowCount() || column < 0 || column >= m_columns)
        return 0;
    return m_values[size_t(row) * size_t(m_columns) + size_t(column)];
}

QColor HeatmapChart::colorFor(int64_t value) const
{
    if (value <= 0)
        return kDeadColor;
    // log(1 + v) so a count of 1 is still coloured and the largest count is the top of the scale.
    const double top = std::log1p(double(std::max<int64_t>(m_max, 1)));
    return viridis(top > 0 ? std::log1p(double(value)) / top : 1.0);
}

void HeatmapChart::rebuild()
{
    m_max = m_values.empty() ? 0 : *std::max_element(m_values.begin(), m_values.end());
    const int rows = rowCount();
    m_image = QImage();
    if (rows > 0 && m_columns > 0) {
        m_image = QImage(m_columns, rows, QImage::Format_RGB32);
        for (int r = 0; r < rows; ++r) {
            auto* line = reinterpret_cast<QRgb*>(m_image.scanLine(r));
            for (int c = 0; c < m_columns; ++c)
                line[c] = colorFor(value(r, c)).rgb();
        }
    }

    // Powers of two: codes are bit patterns.
    double step = 1;
    while (double(m_codes) / step > 8)
        step *= 2;
    setRangeWithInterval(m_axisX, 0, double(std::max<int64_t>(m_codes, 1)), step);

    updateRowLabels();
    viewport()->update();
}

void HeatmapChart::updateRowLabels()
{
    const int rows = rowCount();
    for (const QString& label : m_axisY->categoriesLabels())
        m_axisY->remove(label);
    m_axisY->setStartValue(0);
    // Label every row while they fit, else every k-th.
    const int fit = labelFit(chart()->plotArea().height());
    m_labelFit = fit;
    const int every = std::max(1, (rows + fit - 1) / std::max(fit, 1));
    for (int r = 0; r < rows; r += every)
        m_axisY->append(m_rowLabels[r], r + 0.5);
    m_axisY->setRange(0, std::max(rows, 1));
}

void HeatmapChart::resizeEvent(QResizeEvent* event)
{
    ChartView::resizeEvent(event);
    // The plot area follows the resize in the chart's layout pass: relabel after it.
    QTimer::singleShot(0, this, &HeatmapChart::updateRowLabels);
}

QRectF HeatmapChart::plotRectInScene() const
{
    return chart()->mapToScene(chart()->plotArea()).boundingRect();
}

void HeatmapChart::drawForeground(QPainter* painter, const QRectF& rect)
{
    ChartView::drawForeground(painter, rect);
    if (m_image.isNull())
        return;
    const QRectF plot = plotRectInScene();
    painter->save();
    // Nearest neighbour when a cell spans pixels; smooth when columns are squeezed into fewer pixels.
    painter->setRenderHint(QPainter::SmoothPixmapTransform, plot.width() < m_columns);
    painter->drawImage(plot, m_image);
    const QColor text = m_axisX->labelsBrush().color();
    painter->setPen(QPen(text, 1));
    painter->setBrush(Qt::NoBrush);
    painter->drawRect(plot);
    if (m_highlightedRow >= 0 && m_highlightedRow < rowCount()) {
        const double h = plot.height() / rowCount();
        painter->setPen(QPen(QColor(0xe0, 0x40, 0x20), 2));
        painter->drawRect(QRectF(plot.left(), plot.top() + h * m_highlightedRow, plot.width(), h));
    }

    // Colour bar: log scale from 1 to the largest count, then a white swatch for dead codes.
    const QFontMetrics metrics(m_axisX->labelsFont());
    painter->setFont(m_axisX->labelsFont());
    const double barLeft = plot.right() + 14;
    const double barWidth = 12;
    const double swatch = metrics.height();
    const QRectF bar(barLeft, plot.top(), barWidth, std::max(10.0, plot.height() - swatch - 8));
    paintViridisBar(*painter, bar, text);
    const double top = std::log1p(double(std::max<int64_t>(m_max, 1)));
    const auto label = [&](int64_t v) {
        const double t = top > 0 ? std::log1p(double(v)) / top : 0;
        const double y = bar.bottom() - t * bar.height();
        painter->drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 3, y));
        painter->drawText(QPointF(bar.right() + 5, y + metrics.ascent() / 2.0 - 1), display::count(v));
    };
    label(std::max<int64_t>(m_max, 1));
    // Decades between, while they do not crowd.
    double lastY = bar.top();
    for (int64_t v = 1; v < m_max; v *= 10) {
        const double y = bar.bottom() - (top > 0 ? std::log1p(double(v)) / top : 0) * bar.height();
        if (lastY + metrics.height() < y || v == 1) {
            if (y - bar.top() > metrics.height())
                label(v);
            lastY = y;
        }
    }
    const QRectF dead(barLeft, plot.bottom() - swatch, barWidth, swatch);
    painter->setBrush(kDeadColor);
    painter->drawRect(dead);
    painter->drawText(QPointF(dead.right() + 5, dead.center().y() + metrics.ascent() / 2.0 - 1), tr("0 (dead)"));
    painter->restore();
}

QPoint HeatmapChart::cellAt(const QPoint& viewPos) const
{
    if (m_image.isNull())
        return { -1, -1 };
    const QRectF plot = plotRectInScene();
    const QPointF p = mapToScene(viewPos);
    if (!plot.contains(p))
        return { -1, -1 };
    const int column = std::min(m_columns - 1, int((p.x() - plot.left()) / plot.width() * m_columns));
    const int row = std::min(rowCount() - 1, int((p.y() - plot.top()) / plot.height() * rowCount()));
    return { column, row };
}

QString HeatmapChart::cellText(int row, int column) const
{
    if (row < 0 || row >= rowCount() || column < 0 || column >= m_columns)
        return {};
    const int64_t first = int64_t(column) * m_codesPerColumn;
    const int64_t last = std::min(m_codes, first + m_codesPerColumn) - 1;
    const int64_t v = value(row, column);
    if (first == last)
        return tr("%1 · code %2: %3").arg(m_rowLabels[row], display::count(first), display::count(v));
    return tr("%1 · codes %2–%3: %4, %5 dead")
        .arg(m_rowLabels[row], display::count(first), display::count(last), display::count(v),
            display::count(m_dead[size_t(row) * size_t(m_columns) + size_t(column)]));
}

void HeatmapChart::mouseMoveEvent(QMouseEvent* event)
{
    ChartView::mouseMoveEvent(event);
    const QPoint cell = cellAt(event->position().toPoint());
    if (cell.x() >= 0)
        QToolTip::showText(event->globalPosition().toPoint(), cellText(cell.y(), cell.x()), this);
    else
        QToolTip::hideText();
}

void HeatmapChart::mousePressEvent(QMouseEvent* event)
{
    ChartView::mousePressEvent(event);
    const QPoint cell = cellAt(event->position().toPoint());
    if (event->button() == Qt::LeftButton && cell.y() >= 0) {
        emit rowClicked(cell.y());
        emit cellClicked(cell.y(), cell.x());
    }
}

} // namespace vq
