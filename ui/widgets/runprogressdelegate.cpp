#include "runprogressdelegate.h"

#include "models/runsmodel.h"

#include <QApplication>
#include <QPainter>
#include <QStyle>
#include <QStyleOptionProgressBar>
#include <algorithm>
#include <cmath>

namespace vq {

namespace {

constexpr int kSteps = 1000;

} // namespace

void RunProgressDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    if (RunStatus(index.data(RunsModel::StatusRole).toInt()) != RunStatus::Running) {
        QStyledItemDelegate::paint(painter, option, index);
        return;
    }
    // Selection background first, so a selected running row still reads as selected.
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    background.text.clear();
    const QWidget* widget = option.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);

    QStyleOptionProgressBar bar;
    bar.initFrom(widget);
    bar.state = option.state | QStyle::State_Horizontal;
    bar.rect = option.rect.adjusted(2, 2, -2, -2);
    bar.minimum = 0;
    bar.maximum = kSteps;
    const double fraction = std::clamp(index.data(RunsModel::FractionRole).toDouble(), 0.0, 1.0);
    bar.progress = int(fraction * kSteps);
    // The bar without text; the text is drawn below in two colours, so it reads on the filled part
    // (highlighted text) and on the empty part (plain text) alike, whatever the style.
    bar.textVisible = false;
    style->drawControl(QStyle::CE_ProgressBar, &bar, painter, widget);

    const QString text = index.data(Qt::DisplayRole).toString();
    const QRect textRect = bar.rect.adjusted(4, 0, -4, 0);
    const QString elided = option.fontMetrics.elidedText(text, Qt::ElideRight, textRect.width());
    const int filled = bar.rect.left() + int(std::lround(fraction * bar.rect.width()));
    const QPalette& palette = option.palette;
    painter->save();
    painter->setFont(option.font);
    painter->setClipRect(QRect(QPoint(bar.rect.left(), bar.rect.top()), QPoint(filled, bar.rect.bottom())));
    painter->setPen(palette.color(QPalette::HighlightedText));
    painter->drawText(textRect, Qt::AlignCenter, elided);
    painter->setClipRect(QRect(QPoint(filled + 1, bar.rect.top()), bar.rect.bottomRight()));
    painter->setPen(palette.color(QPalette::Text));
    painter->drawText(textRect, Qt::AlignCenter, elided);
    painter->restore();
}

} // namespace vq
