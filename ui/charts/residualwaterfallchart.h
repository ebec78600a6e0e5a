#pragma once

#include "charts/chartview.h"

#include <QRectF>
#include <QStringList>
#include <vector>

namespace vq {

// A token's residual norm before decoding and after each decode step: one horizontal bar per step from the
// top (the first the token's own norm), its name on the left and its value at the bar's end: how much each
// stage, adaptor or extended codebook takes off. Painted over the chart's plot area from font metrics, so
// that names ("stage 2", "extended 1", "adaptor") and values keep their whole text and a line each in the
// small pane the explorer gives it (Qt Charts' bar axes elided them to "st…" and let values collide).
// Owns a copy of the prepared values only.
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

    // Where each piece of text is drawn (view coordinates) and what it says, names then values: for tests
    // that check nothing is cut or overlaps.
    struct TextBox {
        QRectF rect;
        QString text;
    };
    std::vector<TextBox> textBoxes() const;
    QSize minimumSizeHint() const override;

protected:
    void drawForeground(QPainter* painter, const QRectF& rect) override;

private:
    struct Layout {
        std::vector<QRectF> names, bars, values; // scene coordinates
        QStringList valueTexts;
    };
    Layout layout(const QRectF& plot) const;

    QStringList m_labels;
    std::vector<double> m_values;
};

} // namespace vq
