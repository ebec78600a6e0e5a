#include "tokentablebox.h"

#include "widgets/tableexport.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QTableView>
#include <QVBoxLayout>

namespace vq {

TokenTableBox makeTokenTableBox(
    QAbstractItemModel* model, int sortColumn, const QString& title, const QString& csvName, QWidget* parent)
{
    TokenTableBox out;
    out.box = new QWidget(parent);
    out.search = new QLineEdit(out.box);
    out.search->setPlaceholderText(QObject::tr("Find token (text or row number)"));
    out.search->setClearButtonEnabled(true);
    out.table = new QTableView(out.box);
    QTableView* table = out.table;
    table->setModel(model);
    table->setSortingEnabled(true);
    table->sortByColumn(sortColumn, Qt::DescendingOrder);
    table->verticalHeader()->hide();
    // Fixed row heights: the view never measures 128256 rows.
    table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setAlternatingRowColors(true);
    table->setWordWrap(false);
    addTableExportMenu(table, csvName);

    auto* layout = new QVBoxLayout(out.box);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* searchRow = new QHBoxLayout;
    searchRow->addWidget(new QLabel(title, out.box));
    searchRow->addStretch(1);
    searchRow->addWidget(out.search, 1);
    layout->addLayout(searchRow);
    layout->addWidget(table);
    return out;
}

} // namespace vq
