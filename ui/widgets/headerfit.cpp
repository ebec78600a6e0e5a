#include "headerfit.h"

#include <QAbstractItemModel>
#include <QHeaderView>
#include <QStyle>
#include <QStyleOptionHeader>
#include <QTableView>
#include <algorithm>

namespace vq {

int headerTitleWidth(const QHeaderView* header, int section)
{
    if (!header->model())
        return 0;
    QStyleOptionHeader option;
    option.initFrom(header);
    option.section = section;
    option.text = header->model()->headerData(section, header->orientation(), Qt::DisplayRole).toString();
    option.fontMetrics = header->fontMetrics();
    // In a sortable table, room for the arrow on every column, so that sorting by one never cuts its title.
    if (header->isSortIndicatorShown())
        option.sortIndicator = QStyleOptionHeader::SortDown;
    const QStyle* style = header->style();
    return style->sizeFromContents(QStyle::CT_HeaderSection, &option, QSize(), header).width();
}

void keepHeaderTitlesWhole(QTableView* table)
{
    // Contents measured on at most 100 rows (those shown first): a 65536-row model costs no more.
    table->horizontalHeader()->setResizeContentsPrecision(100);
    const auto fit = [table] {
        QHeaderView* header = table->horizontalHeader();
        for (int c = 0; c < header->count(); ++c)
            if (header->sectionResizeMode(c) == QHeaderView::Interactive)
                header->resizeSection(c,
                    std::max(headerTitleWidth(header, c),
                        static_cast<const QAbstractItemView*>(table)->sizeHintForColumn(c)));
    };
    QAbstractItemModel* model = table->model();
    QObject::connect(model, &QAbstractItemModel::modelReset, table, fit);
    QObject::connect(model, &QAbstractItemModel::headerDataChanged, table, fit);
    QObject::connect(model, &QAbstractItemModel::layoutChanged, table, fit);
    fit();
}

} // namespace vq
