#pragma once

#include <QString>

class QAbstractItemModel;
class QTableView;
class QWidget;

namespace vq {

// CSV of a table model as shown: a header row of the horizontal header titles, then one line per row of
// Qt::DisplayRole text (RFC 4180 quoting: fields holding a comma, quote or line break are quoted, quotes
// doubled). Works on a proxy, so the file has the user's sort and filter.
QString tableToCsv(const QAbstractItemModel& model);

// Writes tableToCsv(model) to path through QSaveFile (nothing is replaced on failure). Returns an empty
// string on success, else a message naming the file and the problem.
QString writeTableCsv(const QAbstractItemModel& model, const QString& path);

// Asks for a file name and writes the view's model as CSV; reports failure in a message box.
void exportTableInteractively(QWidget* parent, const QAbstractItemModel& model, const QString& suggestedName);

// Gives view a context menu with "Export as CSV…" (plus "Copy" of the selected cells as CSV).
void addTableExportMenu(QTableView* view, const QString& suggestedName);

} // namespace vq
