#include "residualwaterfallchart.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QGraphicsLayout>
#include <QValueAxis>
#include <algorithm>

namespace vq {

ResidualWaterfallChart::ResidualWaterfallChart(QWidget* parent)
    : ChartView(parent)
{
    auto* chart = new QChart;
    chart->legend()->hide();
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setBackgroundRoundness(0);
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    m_series = new QBarSeries(chart);
    m_series->setLabelsVisible(true);
    m_series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
    m_series->setLabelsFormat(QStringLiteral("@value"));
    m_series->setLabelsPrecision(4);
    chart->addSeries(m_series);
    m_axisX = new QBarCategoryAxis(chart);
    m_axisY = new QValueAxis(chart);
    m_axisY->setTitleText(tr("residual norm"));
    m_axisY->setLabelFormat(QStringLiteral("%.3g"));
    chart->addAxis(m_axisX, Qt::AlignBottom);
    chart->addAxis(m_axisY, Qt::AlignLeft);
    m_series->attachAxis(m_axisX);
    m_series->attachAxis(m_axisY);
    setChart(chart);
}

void ResidualWaterfallChart::setSteps(const QStringList& labels, const std::vector<double>& values)
{
    m_values = values;
    m_series->clear();
    m_axisX->clear();
    if (labels.size() != qsizetype(values.size()) || values.empty()) {
        m_values.clear();
        m_axisY->setRange(0, 1);
        return;
    }
    auto* set = new QBarSet(tr("residual"));
    set->setColor(QColor(0x2c, 0x71, 0x8e));
    set->setLabelColor(m_axisY->labelsBrush().color());
    QList<qreal> bars;
    for (const double v : values)
        bars.append(v);
    set->append(bars);
    m_series->append(set);
    m_axisX->append(labels);
    const double top = *std::max_element(values.begin(), values.end());
    m_axisY->setRange(0, top > 0 ? top * 1.15 : 1); // room for the value labels
}

void ResidualWaterfallChart::clear()
{
    setSteps({}, {});
}

void ResidualWaterfallChart::setTitle(const QString& title)
{
    chart()->setTitle(title);
}

} // namespace vq
