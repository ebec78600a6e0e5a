#pragma once

#include <QStyledItemDelegate>

namespace vq {

// Draws the status cell of a running run (RunsModel::StatusRole == Running) as a progress bar of
// RunsModel::FractionRole with the cell's text (stage, percent, ETA) on it; other cells as usual.
class RunProgressDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

} // namespace vq
