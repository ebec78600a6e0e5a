#include "tokenerrorproxymodel.h"

#include "tokentablemodel.h"

#include <cmath>

namespace vq {

TokenErrorProxyModel::TokenErrorProxyModel(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    // Sorting 128256 rows is done once per request, not again on every data change.
    setDynamicSortFilter(false);
}

void TokenErrorProxyModel::setSourceModel(QAbstractItemModel* model)
{
    Q_ASSERT(!model || qobject_cast<TokenTableModel*>(model));
    QSortFilterProxyModel::setSourceModel(model);
}

const TokenTableModel* TokenErrorProxyModel::tokens() const
{
    return static_cast<const TokenTableModel*>(sourceModel());
}

void TokenErrorProxyModel::setSearchText(const QString& text)
{
    const QString trimmed = text.trimmed();
    if (trimmed == m_search)
        return;
    m_search = trimmed;
    QString digits = trimmed;
    if (digits.startsWith(QLatin1Char('#')))
        digits.remove(0, 1);
    bool ok = false;
    const qint64 row = digits.toLongLong(&ok);
    m_searchRow = ok && row >= 0 ? row : -1;
    invalidateRowsFilter();
}

bool TokenErrorProxyModel::lessThan(const QModelIndex& left, const QModelIndex& right) const
{
    const TokenTableModel* model = tokens();
    if (model->isTextColumn(left.column())) {
        const std::string* a = model->token(left.row());
        const std::string* b = model->token(right.row());
        if (a && b && *a != *b)
            return *a < *b;
        return model->tableRow(left.row()) < model->tableRow(right.row());
    }
    const double a = model->sortValue(left.row(), left.column());
    const double b = model->sortValue(right.row(), right.column());
    // NaN after every number in ascending order; equal keys by row, so the order is deterministic.
    if (std::isnan(a) != std::isnan(b))
        return std::isnan(b);
    if (a != b && !std::isnan(a))
        return a < b;
    return model->tableRow(left.row()) < model->tableRow(right.row());
}

bool TokenErrorProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex&) const
{
    if (m_search.isEmpty())
        return true;
    const TokenTableModel* model = tokens();
    if (m_searchRow >= 0 && model->tableRow(sourceRow) == m_searchRow)
        return true;
    const std::string* token = model->token(sourceRow);
    return token && QString::fromStdString(*token).contains(m_search, Qt::CaseInsensitive);
}

} // namespace vq
