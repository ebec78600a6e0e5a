#pragma once

#include "charts/chartview.h"

#include <QImage>
#include <QString>
#include <cstdint>
#include <functional>
#include <vector>

class QValueAxis;

namespace vq {

// The codeword map: each codeword of a codebook as a disc at its 2-D position (PCA coordinates prepared in
// core), area proportional to its usage, coloured by a value per code (viridis over the 2nd to 98th
// percentile, log scale when the values span decades; a colour bar on the right), dead codes as grey crosses, and
// optionally the sampled rows the codebook encodes as small grey dots beneath. Hover shows pointText(code); a click
// emits codeClicked. The points are painted into a cached image over the plot area (65536 codewords draw once per data
// or size change, not per mouse move); SVG export draws them as vectors.
class CodewordMapChart : public ChartView {
    Q_OBJECT
public:
    explicit CodewordMapChart(QWidget* parent = nullptr);

    // xy: codes x 2; usage and colour: one per code (NaN colour: drawn in grey); samples: n x 2 (may be
    // empty). colourTitle names the colour bar.
    void setPoints(std::vector<float> xy, std::vector<int64_t> usage, std::vector<double> colour,
        const QString& colourTitle, std::vector<float> samples);
    void clear();
    void setTitle(const QString& title);
    void setAxisTitles(const QString& x, const QString& y);
    void setShowSamples(bool show);
    // Rings one code (-1: none).
    void setSelectedCode(int code);
    void setPointText(std::function<QString(int code)> text) { m_pointText = std::move(text); }

    int codeCount() const { return int(m_usage.size()); }
    int selectedCode() const { return m_selected; }
    bool showsSamples() const { return m_showSamples; }
    int sampleCount() const { return int(m_samples.size() / 2); }
    // Where a code is drawn, in view coordinates (for tests and hover).
    QPoint viewPosition(int code) const;
    // The code drawn under a view position: the topmost disc there (smaller discs are drawn over larger
    // ones), else the disc whose rim is nearest within 4 px; -1 for none.
    int codeAt(const QPoint& viewPos) const;
    double radius(int code) const;
    QColor colourOf(int code) const;

signals:
    void codeClicked(int code);

protected:
    void drawForeground(QPainter* painter, const QRectF& rect) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void rebuild();
    QRectF plotRectInScene() const;
    QPointF scenePosition(float x, float y, const QRectF& plot) const;
    enum class Mark { Sample, Dead, Disc };
    static void drawMark(QPainter* painter, const QPointF& at, Mark mark, double r, const QColor& fill);
    void drawPoints(QPainter* painter, const QRectF& plot, bool vectors) const;
    int colourLevel(int code) const; // 0 .. kColourLevels - 1, -1 for no value
    void drawColourBar(QPainter* painter, const QRectF& plot) const;

    std::vector<float> m_xy;
    std::vector<int64_t> m_usage;
    std::vector<double> m_colour;
    std::vector<float> m_samples;
    std::vector<int> m_order; // drawing order: larger discs first, so small ones stay visible
    QString m_colourTitle;
    double m_colourLo = 0;
    double m_colourHi = 1;
    bool m_logColour = false;
    bool m_colourClipped = false; // the range leaves out the most extreme 2% at each end
    int64_t m_maxUsage = 1;
    double m_x0 = 0, m_x1 = 1, m_y0 = 0, m_y1 = 1;
    bool m_showSamples = true;
    int m_selected = -1;
    std::function<QString(int)> m_pointText;
    QValueAxis* m_axisX = nullptr;
    QValueAxis* m_axisY = nullptr;
    mutable QImage m_cache;
    mutable QRectF m_cacheRect;
};

} // namespace vq
