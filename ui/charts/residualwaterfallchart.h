#pragma once

#include "charts/chartview.h"

#include <QStringList>
#include <vector>

class QBarCategoryAxis;
class QBarSeries;
class QValueAxis;

namespace vq {

// A token's residual norm before decoding and after each decode step, one bar per step (the first bar the
// token's own norm), each labelled with its value: how much each stage, adaptor or extended codebook takes
// off. Owns a copy of the prepared values only.
class ResidualWaterfallChart : public ChartView {
    Q_OBJECT
public:
    explicit ResidualWaterfallChart(QWidget* parent = nullptr);

    // labels and values: one per bar, same length.
    void setSteps(const QStringList& labels, const std::vector<double>& values);
    void clear();
    void setTitle(const QString& title);

    int barCount() const { return int(m_values.size()); }
    double value(int bar) const { return bar >= 0 && bar < barCount() ? m_values[size_t(bar)] : 0; }

private:
    std::vector<double> m_values;
    QBarSeries* m_series = nullptr;
    QBarCategoryAxis* m_axisX = nullptr;
    QValueAxis* m_axisY = nullptr;
};

} // namespace vq
