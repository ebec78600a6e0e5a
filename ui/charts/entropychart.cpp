#include "entropychart.h"

#include "charts/axisticks.h"
#include "displaytext.h"

#include <QBarSeries>
#include <QBarSet>
#include <QCategoryAxis>
#include <QChart>
#include <QCursor>
#include <QGraphicsLayout>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QToolTip>
#include <QValueAxis>
#include <cmath>

namespace vq {

namespace {
// Headroom above the allotted bits so the reference line is not on the frame.
constexpr double kHeadroom = 1.08;
} // namespace

EntropyChart::EntropyChart(QWidget* parent)
    : ChartView(parent)
{
    auto* chart = new QChart;
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setBackgroundRoundness(0);
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->legend()->setAlignment(Qt::AlignTop);

    m_set = new QBarSet(tr("entropy"), chart);
    m_set->setColor(QColor(0x3b, 0x6e, 0xa8));
    m_set->setBorderColor(QColor(0x3b, 0x6e, 0xa8).darker(130));
    m_set->setSelectedColor(QColor(0xe0, 0x90, 0x30));
    m_bars = new QBarSeries(chart);
    m_bars->append(m_set);
    m_bars->setBarWidth(0.8);
    chart->addSeries(m_bars);
    m_bitsLine = new QLineSeries(chart);
    m_bitsLine->setName(tr("allotted bits"));
    m_bitsLine->setPen(QPen(QColor(0xd0, 0x50, 0x20), 2, Qt::DashLine));
    chart->addSeries(m_bitsLine);

    m_axisX = new QCategoryAxis(chart);
    m_axisX->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    m_axisX->setGridLineVisible(false);
    m_axisY = new QValueAxis(chart);
    m_axisY->setTitleText(tr("entropy (bits)"));
    m_axisY->setLabelFormat(QStringLiteral("%g"));
    m_axisPerplexity = new QLogValueAxis(chart);
    m_axisPerplexity->setBase(2);
    m_axisPerplexity->setTitleText(tr("perplexity"));
    m_axisPerplexity->setLabelFormat(QStringLiteral("%g"));
    m_axisPerplexity->setGridLineVisible(false);
    chart->addAxis(m_axisX, Qt::AlignBottom);
    chart->addAxis(m_axisY, Qt::AlignLeft);
    chart->addAxis(m_axisPerplexity, Qt::AlignRight);
    m_bars->attachAxis(m_axisX);
    m_bars->attachAxis(m_axisY);
    m_bitsLine->attachAxis(m_axisX);
    m_bitsLine->attachAxis(m_axisY);

    connect(m_set, &QBarSet::hovered, this, [this](bool on, int index) {
        if (!on || index < 0 || index >= m_set->count()) {
            QToolTip::hideText();
            return;
        }
        const double h = m_set->at(index);
        QToolTip::showText(QCursor::pos(),
            tr("%1: entropy %2 of %3 bits, perplexity %4 of %5")
                .arg(m_categories.value(index), QString::number(h, 'f', 3), QString::number(m_bits),
                    display::number(std::exp2(h)), display::count(int64_t(1) << m_bits)),
            this);
    });
    connect(m_set, &QBarSet::clicked, this, &EntropyChart::barClicked);

    setChart(chart);
    clear();
}

void EntropyChart::setTitle(const QString& title)
{
    chart()->setTitle(title);
}

void EntropyChart::clear()
{
    setBars({}, {}, 1);
}

void EntropyChart::setBars(QStringList categories, std::vector<double> entropies, int bits)
{
    m_categories = std::move(categories);
    m_bits = std::max(bits, 1);
    m_set->deselectAllBars();
    m_set->remove(0, m_set->count());
    QList<qreal> values;
    for (double h : entropies)
        values.append(h);
    m_set->append(values);
    const double n = double(std::max<qsizetype>(m_categories.size(), 1));
    m_axisX->setRange(-0.5, n - 0.5);
    relabel();
    m_bitsLine->replace({ QPointF(-0.5, m_bits), QPointF(n - 0.5, m_bits) });
    m_bitsLine->setName(tr("allotted bits (%1)").arg(m_bits));
    // The two vertical axes read the same height: H on the left, 2^H on the right.
    const int step = m_bits <= 10 ? 1 : m_bits <= 16 ? 2 : 4;
    setRangeWithInterval(m_axisY, 0, m_bits * kHeadroom, step);
    // Ticks of the right axis at the same heights as the left one's.
    m_axisPerplexity->setBase(std::exp2(step));
    m_axisPerplexity->setRange(1, std::exp2(m_bits * kHeadroom));
    m_axisPerplexity->setMinorTickCount(0);
}

void EntropyChart::setSelectedBar(int index)
{
    m_set->deselectAllBars();
    if (index >= 0 && index < m_set->count())
        m_set->selectBar(index);
}

int EntropyChart::labelCapacity() const
{
    const QFontMetrics metrics(m_axisX->labelsFont());
    const int labelWidth = metrics.horizontalAdvance(QStringLiteral("g000")) + metrics.averageCharWidth() * 2;
    const qreal plotWidth = chart()->plotArea().width() > 0 ? chart()->plotArea().width() : width() * 0.8;
    return std::max(2, int(plotWidth / labelWidth));
}

void EntropyChart::relabel()
{
    for (const QString& label : m_axisX->categoriesLabels())
        m_axisX->remove(label);
    const qsizetype n = m_categories.size();
    if (n == 0)
        return;
    // Every k-th category, k a power of two (group numbers read 0, 16, 32, ...), the last one always.
    const int capacity = labelCapacity();
    qsizetype step = 1;
    while (n / step > capacity)
        step *= 2;
    for (qsizetype i = 0; i < n; i += step)
        if (i + step < n || i == n - 1)
            m_axisX->append(m_categories[i], double(i));
    if ((n - 1) % step != 0)
        m_axisX->append(m_categories[n - 1], double(n - 1));
    m_axisX->setStartValue(-0.5);
    m_axisX->setRange(-0.5, double(n) - 0.5);
}

QStringList EntropyChart::axisLabels() const
{
    return m_axisX->categoriesLabels();
}

void EntropyChart::resizeEvent(QResizeEvent* event)
{
    ChartView::resizeEvent(event);
    relabel();
}

} // namespace vq
