#pragma once

#include "charts/chartview.h"

#include <QImage>
#include <QStringList>
#include <cstdint>
#include <vector>

class QCategoryAxis;
class QValueAxis;

namespace vq {

// A heat map of code counts: one row per (stage, group), one column per code or bucket of consecutive
// codes (see bucketCodes), coloured on a log scale (dead codes white) with a colour-bar legend; the
// grid is an image painted over the chart's plot area, so the axes, the PNG/SVG export and the hover
// tooltip (row, codes, count) work as for any chart. Owns a copy of the prepared cells only.
class HeatmapChart : public ChartView {
    Q_OBJECT
public:
    explicit HeatmapChart(QWidget* parent = nullptr);

    // values and dead: rows x columns, row-major (row 0 drawn at the top). Column c covers codes
    // [c * codesPerColumn, min(codes, (c + 1) * codesPerColumn)); dead[i]: how many of them have count 0.
    void setCells(QStringList rowLabels, int columns, int64_t codesPerColumn, int64_t codes,
        std::vector<int64_t> values, std::vector<int64_t> dead);
    void clear();
    void setTitle(const QString& title);
    // Outlines one row (-1: none).
    void setHighlightedRow(int row);

    int rowCount() const { return int(m_rowLabels.size()); }
    int columnCount() const { return m_columns; }
    int64_t codesPerColumn() const { return m_codesPerColumn; }
    int64_t value(int row, int column) const;
    // One pixel per cell, in the colours drawn.
    const QImage& image() const { return m_image; }
    QColor colorFor(int64_t value) const;
    // The cell under a point in view coordinates; (-1, -1) outside the grid.
    QPoint cellAt(const QPoint& viewPos) const;
    // "s1 g3 · code 17: 42" (or "codes 64–127: 5321, 3 dead").
    QString cellText(int row, int column) const;

signals:
    void rowClicked(int row);
    // The same click, with the column (code or bucket of codes) under the mouse.
    void cellClicked(int row, int column);

protected:
    void drawForeground(QPainter* painter, const QRectF& rect) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void rebuild();
    void updateRowLabels();
    QRectF plotRectInScene() const;

    QStringList m_rowLabels;
    int m_columns = 0;
    int64_t m_codesPerColumn = 1;
    int64_t m_codes = 0;
    std::vector<int64_t> m_values;
    std::vector<int64_t> m_dead;
    int64_t m_max = 0;
    int m_highlightedRow = -1;
    int m_labelFit = -1; // the row labels the plot's height had room for when they were last set
    QImage m_image;
    QValueAxis* m_axisX = nullptr;
    QCategoryAxis* m_axisY = nullptr;
};

} // namespace vq
