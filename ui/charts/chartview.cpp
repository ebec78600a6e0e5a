#include "chartview.h"

#include <QLineSeries>

#include <QContextMenuEvent>
#include <QFileDialog>
#include <QMenu>
#include <QMessageBox>
#include <QPainter>
#include <QSaveFile>
#include <QSvgGenerator>

namespace vq {

ChartView::ChartView(QWidget* parent)
    : QChartView(parent)
{
    setRenderHint(QPainter::Antialiasing);
    // Tooltips follow the mouse without a button held.
    setMouseTracking(true);
    viewport()->setMouseTracking(true);
    setMinimumSize(kMinimumWidth, kMinimumHeight);
}

void ChartView::addContextActions(QMenu&) { }

void ChartView::setChart(QChart* chart)
{
    QChart* previous = QChartView::chart();
    QChartView::setChart(chart);
    if (previous != chart)
        delete previous;
}

void ChartView::addPaintedAxes(QChart* chart, QAbstractAxis* x, QAbstractAxis* y)
{
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    auto* anchor = new QLineSeries(chart);
    chart->addSeries(anchor);
    anchor->attachAxis(x);
    anchor->attachAxis(y);
}

void ChartView::contextMenuEvent(QContextMenuEvent* event)
{
    QMenu menu(this);
    menu.addAction(tr("Export as PNG…"), this, [this] { exportInteractively(false); });
    menu.addAction(tr("Export as SVG…"), this, [this] { exportInteractively(true); });
    menu.addSeparator();
    addContextActions(menu);
    menu.exec(event->globalPos());
}

void ChartView::exportInteractively(bool svg)
{
    const QString filter = svg ? tr("SVG image (*.svg)") : tr("PNG image (*.png)");
    QString path = QFileDialog::getSaveFileName(this, tr("Export Chart"), QString(), filter);
    if (path.isEmpty())
        return;
    const QString suffix = svg ? QStringLiteral(".svg") : QStringLiteral(".png");
    if (!path.endsWith(suffix, Qt::CaseInsensitive))
        path += suffix;
    if (!(svg ? exportSvg(path) : exportPng(path)))
        QMessageBox::warning(this, tr("Export Chart"), tr("Could not write %1.").arg(path));
}

bool ChartView::exportPng(const QString& path)
{
    const QImage image = grab().toImage();
    QSaveFile file(path);
    if (image.isNull() || !file.open(QIODevice::WriteOnly))
        return false;
    if (!image.save(&file, "PNG"))
        return false;
    return file.commit();
}

bool ChartView::exportSvg(const QString& path)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    {
        QSvgGenerator generator;
        generator.setOutputDevice(&file);
        generator.setSize(size());
        generator.setViewBox(QRect(QPoint(0, 0), size()));
        generator.setTitle(chart()->title());
        generator.setDescription(tr("Chart exported by vqscope"));
        QPainter painter;
        if (!painter.begin(&generator))
            return false;
        render(&painter, QRectF(QPointF(0, 0), QSizeF(size())), viewport()->rect());
        painter.end();
    }
    return file.commit();
}

} // namespace vq
