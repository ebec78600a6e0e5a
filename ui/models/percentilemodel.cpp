#include "percentilemodel.h"

#include "displaytext.h"

namespace vq {

PercentileModel::PercentileModel(QString valueTitle, QObject* parent)
    : QAbstractTableModel(parent)
    , m_valueTitle(std::move(valueTitle))
{
}

void PercentileModel::setPercentiles(std::vector<Percentile> percentiles)
{
    beginResetModel();
    m_percentiles = std::move(percentiles);
    endResetModel();
}

int PercentileModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_percentiles.size());
}

int PercentileModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PercentileModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Percentile& p = m_percentiles[size_t(index.row())];
    switch (role) {
    case PercentileRole:
        return p.p;
    case ValueRole:
        return p.value;
    case Qt::TextAlignmentRole:
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::DisplayRole:
        switch (Column(index.column())) {
        case PercentileColumn:
            if (p.p == 0)
                return tr("min");
            if (p.p == 100)
                return tr("max");
            return tr("p%1").arg(QString::number(p.p, 'g', 4));
        case ValueColumn:
            return display::number(p.value);
        case ColumnCount:
            break;
        }
        return {};
    default:
        return {};
    }
}

QVariant PercentileModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case PercentileColumn:
        return tr("Percentile");
    case ValueColumn:
        return m_valueTitle;
    case ColumnCount:
        break;
    }
    return {};
}

} // namespace vq
