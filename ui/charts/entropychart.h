#pragma once

#include "charts/chartview.h"

#include <QStringList>
#include <vector>

class QCategoryAxis;
class QBarSeries;
class QBarSet;
class QLineSeries;
class QLogValueAxis;
class QValueAxis;

namespace vq {

// Entropy of each codebook's use against the bits it was given: one bar per category (groups of a
// stage, then the stage pooled), a dashed line at the allotted bits, and a right axis reading the same
// heights as perplexity (2^H, from 1 to 2^bits). The tooltip gives a bar's entropy and perplexity.
// With many categories only every k-th is labelled (k a power of two; the last one, "pooled", always),
// so 128 or 256 groups read "g0 g32 g64 ..." instead of a row of elided labels.
class EntropyChart : public ChartView {
    Q_OBJECT
public:
    explicit EntropyChart(QWidget* parent = nullptr);

    // entropies in bits, one per category; bits: the code width (1..24).
    void setBars(QStringList categories, std::vector<double> entropies, int bits);
    void clear();
    void setTitle(const QString& title);
    // Highlights one bar (-1: none).
    void setSelectedBar(int index);

    const QBarSet* entropySet() const { return m_set; }
    const QLineSeries* bitsLine() const { return m_bitsLine; }
    QStringList categories() const { return m_categories; }
    int bits() const { return m_bits; }
    // The category labels drawn on the axis.
    QStringList axisLabels() const;
    // Labels that fit along the axis at its current width (at least 2).
    int labelCapacity() const;

signals:
    void barClicked(int index);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    QStringList m_categories;
    int m_bits = 0;
    QBarSet* m_set = nullptr;
    QBarSeries* m_bars = nullptr;
    QLineSeries* m_bitsLine = nullptr;
    void relabel();

    QCategoryAxis* m_axisX = nullptr;
    QValueAxis* m_axisY = nullptr;
    QLogValueAxis* m_axisPerplexity = nullptr;
};

} // namespace vq
