#pragma once

#include "charts/chartview.h"
#include "metrics/usageplot.h"

#include <vector>

class QAreaSeries;
class QLineSeries;
class QValueAxis;

namespace vq {

struct CodeUsage;

// One codebook's usage sorted by count (most used code first): bars while every code fits, else the
// sorted curve thinned in core (sortedCountsForPlot) to about the view's width; a dashed line marks
// what uniform use would give (total / codes). Tooltip: rank, code, count.
class UsageBarChart : public ChartView {
    Q_OBJECT
public:
    explicit UsageBarChart(QWidget* parent = nullptr);

    void setUsage(const CodeUsage& usage);
    void clear();
    void setTitle(const QString& title);

    // The ranked counts drawn (thinned), first the largest.
    const std::vector<RankedCount>& ranked() const { return m_ranked; }
    // The plotted outline: 2 points per code as bars, 1 per ranked point when thinned.
    const QLineSeries* outline() const { return m_upper; }
    const QLineSeries* uniformLine() const { return m_uniform; }
    int64_t codes() const { return m_codes; }

protected:
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    std::vector<RankedCount> m_ranked;
    int64_t m_codes = 0;
    bool m_bars = true;
    QLineSeries* m_upper = nullptr;
    QAreaSeries* m_area = nullptr;
    QLineSeries* m_uniform = nullptr;
    QValueAxis* m_axisX = nullptr;
    QValueAxis* m_axisY = nullptr;
};

} // namespace vq
