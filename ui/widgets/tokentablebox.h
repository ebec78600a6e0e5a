#pragma once

#include <QString>

class QAbstractItemModel;
class QLineEdit;
class QTableView;
class QWidget;

namespace vq {

// The per-token table of the token views: a title and a search field above a sortable table of one
// row per token, sorted by sortColumn (descending), fixed row heights (a view over 128256 rows never
// measures them), row selection, CSV export as csvName.
struct TokenTableBox {
    QWidget* box = nullptr;
    QLineEdit* search = nullptr;
    QTableView* table = nullptr;
};

TokenTableBox makeTokenTableBox(
    QAbstractItemModel* model, int sortColumn, const QString& title, const QString& csvName, QWidget* parent);

} // namespace vq
