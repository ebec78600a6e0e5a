#include "tensorlistmodel.h"

#include "displaytext.h"

#include <QStringList>
#include <algorithm>

namespace vq {

TensorListModel::TensorListModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void TensorListModel::setListing(std::vector<TensorInfo> tensors, EmbeddingCandidates candidates)
{
    beginResetModel();
    m_tensors = std::move(tensors);
    m_candidates = std::move(candidates);
    endResetModel();
}

int TensorListModel::rowOf(const std::string& name) const
{
    const auto it
        = std::find_if(m_tensors.begin(), m_tensors.end(), [&](const TensorInfo& t) { return t.name == name; });
    return it == m_tensors.end() ? -1 : int(it - m_tensors.begin());
}

int TensorListModel::candidateRank(const std::string& name) const
{
    if (name == m_candidates.chosen)
        return 0;
    const auto& names = m_candidates.names;
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end())
        return -1;
    // The chosen tensor is rank 0; the others keep their order after it.
    int rank = 1;
    for (auto i = names.begin(); i != it; ++i)
        rank += *i != m_candidates.chosen ? 1 : 0;
    return rank;
}

int TensorListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_tensors.size());
}

int TensorListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TensorListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TensorInfo& t = m_tensors[size_t(index.row())];
    switch (role) {
    case NameRole:
        return display::text(t.name);
    case CandidateRankRole:
        return candidateRank(t.name);
    case ElementCountRole:
        return qlonglong(t.elementCount());
    case ByteSizeRole:
        return qulonglong(t.byteSize);
    case Qt::ToolTipRole:
        if (index.column() == PickColumn && candidateRank(t.name) == 0)
            return display::text(m_candidates.reason);
        return display::text(t.name);
    case Qt::TextAlignmentRole:
        if (index.column() == SizeColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }

    switch (Column(index.column())) {
    case NameColumn:
        return display::text(t.name);
    case DTypeColumn:
        return t.dtypeName.empty() ? QString::fromLatin1(toString(t.dtype)) : display::text(t.dtypeName);
    case ShapeColumn:
        return display::shape(t.shape);
    case SizeColumn:
        return t.byteSize > 0 ? display::bytes(t.byteSize) : QStringLiteral("—");
    case PickColumn: {
        const int rank = candidateRank(t.name);
        if (rank == 0)
            return tr("automatic pick: %1").arg(display::text(m_candidates.reason));
        if (rank > 0)
            return tr("candidate");
        return QString();
    }
    case ColumnCount:
        break;
    }
    return {};
}

QVariant TensorListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case NameColumn:
        return tr("Tensor");
    case DTypeColumn:
        return tr("DType");
    case ShapeColumn:
        return tr("Shape");
    case SizeColumn:
        return tr("Size");
    case PickColumn:
        return tr("Pick");
    case ColumnCount:
        break;
    }
    return {};
}

Qt::ItemFlags TensorListModel::flags(const QModelIndex& index) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return Qt::NoItemFlags;
    // Tensors that cannot be the embedding are shown but cannot be chosen.
    if (candidateRank(m_tensors[size_t(index.row())].name) < 0)
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren;
}

} // namespace vq
