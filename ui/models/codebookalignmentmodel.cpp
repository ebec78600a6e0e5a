#include "codebookalignmentmodel.h"

#include "displaytext.h"

namespace vq {

CodebookAlignmentModel::CodebookAlignmentModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void CodebookAlignmentModel::setAlignment(std::shared_ptr<const CodebookAlignmentResult> alignment)
{
    beginResetModel();
    m_result = std::move(alignment);
    m_matched.clear();
    if (m_result) {
        m_matched.assign(size_t(m_result->alignment.countA), false);
        for (const int32_t a : m_result->alignment.matchedA)
            m_matched[size_t(a)] = true;
    }
    endResetModel();
}

int CodebookAlignmentModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_matched.size());
}

int CodebookAlignmentModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CodebookAlignmentModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const CodebookAlignment& a = m_result->alignment;
    const auto i = size_t(index.row());
    const double distance = a.distanceToB[i];
    const double relative = a.rmsNormA > 0 ? distance / a.rmsNormA : 0.0;
    if (role == Qt::TextAlignmentRole)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::UserRole) {
        switch (index.column()) {
        case CodeAColumn:
            return double(i);
        case NearestBColumn:
            return double(a.nearestInB[i]);
        case DistanceColumn:
            return distance;
        case RelativeColumn:
            return relative;
        case MatchedColumn:
            return m_matched[i] ? 1.0 : 0.0;
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case CodeAColumn:
        return index.row();
    case NearestBColumn:
        return a.nearestInB[i];
    case DistanceColumn:
        return display::number(distance);
    case RelativeColumn:
        return display::number(relative);
    case MatchedColumn:
        return m_matched[i] ? tr("yes") : tr("no");
    default:
        return {};
    }
}

QVariant CodebookAlignmentModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || (role != Qt::DisplayRole && role != Qt::ToolTipRole))
        return {};
    // Short titles (the table shares a 1024-pixel window with the histogram), the full meaning as tooltips.
    const bool tip = role == Qt::ToolTipRole;
    switch (section) {
    case CodeAColumn:
        return tip ? tr("A codeword of run A") : tr("Code in A");
    case NearestBColumn:
        return tip ? tr("The codeword of run B nearest to it") : tr("Nearest in B");
    case DistanceColumn:
        return tip ? tr("Euclidean distance between the two codewords") : tr("Distance");
    case RelativeColumn:
        return tip ? tr("Distance / RMS codeword norm of A") : tr("Relative");
    case MatchedColumn:
        return tip ? tr("Mutual nearest pair: each codeword is the other's nearest") : tr("Mutual");
    default:
        return {};
    }
}

} // namespace vq
