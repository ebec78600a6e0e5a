#include "runsproxymodel.h"

#include "runsmodel.h"

namespace vq {

RunsProxyModel::RunsProxyModel(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(RunsModel::SortRole);
    // A run that finishes moves to its place under the current sort and filter.
    setDynamicSortFilter(true);
}

void RunsProxyModel::setFilterText(const QString& text)
{
    if (text == m_text)
        return;
    m_text = text;
    invalidateRowsFilter();
}

void RunsProxyModel::setStatusFilter(StatusFilter filter)
{
    if (filter == m_status)
        return;
    m_status = filter;
    invalidateRowsFilter();
}

bool RunsProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    const QAbstractItemModel* model = sourceModel();
    const auto status = RunStatus(model->index(sourceRow, 0, sourceParent).data(RunsModel::StatusRole).toInt());
    switch (m_status) {
    case StatusFilter::All:
        break;
    case StatusFilter::Active:
        if (status != RunStatus::Queued && status != RunStatus::Running)
            return false;
        break;
    case StatusFilter::Done:
        if (status != RunStatus::Done)
            return false;
        break;
    case StatusFilter::Failed:
        if (status != RunStatus::Failed)
            return false;
        break;
    case StatusFilter::Cancelled:
        if (status != RunStatus::Cancelled && status != RunStatus::Interrupted)
            return false;
        break;
    }
    if (m_text.isEmpty())
        return true;
    for (int column : { RunsModel::Name, RunsModel::Method, RunsModel::Params }) {
        if (model->index(sourceRow, column, sourceParent)
                .data(Qt::DisplayRole)
                .toString()
                .contains(m_text, Qt::CaseInsensitive))
            return true;
    }
    return false;
}

bool RunsProxyModel::lessThan(const QModelIndex& left, const QModelIndex& right) const
{
    const QVariant l = left.data(sortRole());
    const QVariant r = right.data(sortRole());
    if (!l.isValid() || !r.isValid()) {
        // Missing values last in ascending order, and equal among themselves.
        if (l.isValid() != r.isValid())
            return (sortOrder() == Qt::AscendingOrder) == l.isValid();
        return left.row() < right.row();
    }
    if (l.typeId() == QMetaType::QString || r.typeId() == QMetaType::QString)
        return QString::localeAwareCompare(l.toString(), r.toString()) < 0;
    return l.toDouble() < r.toDouble();
}

} // namespace vq
