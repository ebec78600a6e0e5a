#include "neighbourmodel.h"

#include "displaytext.h"
#include "models/tokentablemodel.h"

#include <QColor>
#include <algorithm>

namespace vq {

NeighbourModel::NeighbourModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void NeighbourModel::setNeighbours(std::shared_ptr<const TokenNeighboursResult> neighbours)
{
    beginResetModel();
    m_result = std::move(neighbours);
    endResetModel();
}

int NeighbourModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_result ? 0 : m_result->neighbours.k;
}

int NeighbourModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString NeighbourModel::name(int64_t row) const
{
    if (row < 0)
        return QString();
    const EmbeddingTable* table = m_result->table.get();
    const QString number = u'#' + display::count(row);
    return table && size_t(row) < table->tokens.size()
        ? display::quotedToken(table->tokens[size_t(row)]) + u' ' + number
        : number;
}

QVariant NeighbourModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TokenNeighbours& n = m_result->neighbours;
    const auto i = size_t(index.row());
    const int64_t original = n.original[i];
    const int64_t reconstructed = n.reconstructed[i];
    const bool lost = original >= 0 && std::count(n.lost.begin(), n.lost.end(), original) > 0;
    const bool gained = reconstructed >= 0 && std::count(n.gained.begin(), n.gained.end(), reconstructed) > 0;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case RankColumn:
            return index.row() + 1;
        case OriginalColumn:
            return QString(name(original) + (lost ? tr("  (lost)") : QString()));
        case OriginalCosineColumn:
            return original >= 0 ? display::number(n.originalCosine[i]) : QString();
        case ReconstructedColumn:
            return QString(name(reconstructed) + (gained ? tr("  (new)") : QString()));
        case ReconstructedCosineColumn:
            return reconstructed >= 0 ? display::number(n.reconstructedCosine[i]) : QString();
        default:
            return {};
        }
    case Qt::ForegroundRole:
        if (index.column() == OriginalColumn && lost)
            return QColor(0xc0, 0x39, 0x2b);
        if (index.column() == ReconstructedColumn && gained)
            return QColor(0x1f, 0x6f, 0xb4);
        return {};
    case Qt::TextAlignmentRole:
        return index.column() == OriginalColumn || index.column() == ReconstructedColumn
            ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
            : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case LostRole:
        return index.column() == OriginalColumn && lost;
    case GainedRole:
        return index.column() == ReconstructedColumn && gained;
    case RowRole:
        return qint64(index.column() == OriginalColumn  ? original
                : index.column() == ReconstructedColumn ? reconstructed
                                                        : -1);
    default:
        return {};
    }
}

QVariant NeighbourModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case RankColumn:
        return tr("Rank");
    case OriginalColumn:
        return tr("Neighbour in the original table");
    case OriginalCosineColumn:
        return tr("Cosine");
    case ReconstructedColumn:
        return tr("Neighbour in the reconstruction");
    case ReconstructedCosineColumn:
        return tr("Cosine");
    default:
        return {};
    }
}

} // namespace vq
