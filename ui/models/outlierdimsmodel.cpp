#include "outlierdimsmodel.h"

#include "displaytext.h"

namespace vq {

namespace {

double valueAt(const std::vector<double>& values, int64_t i)
{
    // A core that lists an outlier without per-column stats must not crash the view.
    return i >= 0 && size_t(i) < values.size() ? values[size_t(i)] : 0.0;
}

} // namespace

OutlierDimsModel::OutlierDimsModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void OutlierDimsModel::setStats(std::shared_ptr<const TableStats> stats)
{
    beginResetModel();
    m_stats = std::move(stats);
    endResetModel();
}

int OutlierDimsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_stats ? 0 : int(m_stats->outlierDims.size());
}

int OutlierDimsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant OutlierDimsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int64_t dim = m_stats->outlierDims[size_t(index.row())];
    const double mean = valueAt(m_stats->dimMean, dim);
    const double stddev = valueAt(m_stats->dimStd, dim);
    switch (role) {
    case DimRole:
        return qlonglong(dim);
    case MeanRole:
        return mean;
    case StdRole:
        return stddev;
    case Qt::TextAlignmentRole:
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::DisplayRole:
        switch (Column(index.column())) {
        case DimColumn:
            return display::count(dim);
        case MeanColumn:
            return display::number(mean);
        case StdColumn:
            return display::number(stddev);
        case ColumnCount:
            break;
        }
        return {};
    default:
        return {};
    }
}

QVariant OutlierDimsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case DimColumn:
        return tr("Dim");
    case MeanColumn:
        return tr("Mean");
    case StdColumn:
        return tr("Std");
    case ColumnCount:
        break;
    }
    return {};
}

} // namespace vq
