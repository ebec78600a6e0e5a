#pragma once

#include <QChartView>

class QAbstractAxis;
class QChart;
class QMenu;

namespace vq {

// The base of every chart in vqscope: antialiased, with a context menu that exports the chart as drawn
// to PNG or SVG (atomically: QSaveFile) and to which subclasses add their own actions. Every chart can
// shrink to the same small minimum, so each page fits a 1024 x 700 window beside the docks.
class ChartView : public QChartView {
    Q_OBJECT
public:
    explicit ChartView(QWidget* parent = nullptr);

    static constexpr int kMinimumWidth = 240;
    static constexpr int kMinimumHeight = 150;

    // Write the chart as it is drawn now; through a temporary file renamed into place. False on failure.
    bool exportPng(const QString& path);
    bool exportSvg(const QString& path);
    // Asks for a file name and exports; reports failure in a message box.
    void exportInteractively(bool svg);

protected:
    // Hands chart to the view and deletes the chart it replaces: QChartView::setChart only releases the
    // previous chart (the default one its constructor made, too), which would then leak.
    void setChart(QChart* chart);
    // For charts that paint their content in drawForeground(): adds the two axes to chart and binds them
    // with an empty series, which Qt Charts needs before it lays the axes out.
    static void addPaintedAxes(QChart* chart, QAbstractAxis* x, QAbstractAxis* y);
    // Called after the export actions (and a separator) with the menu about to show.
    virtual void addContextActions(QMenu& menu);
    void contextMenuEvent(QContextMenuEvent* event) override;
};

} // namespace vq
