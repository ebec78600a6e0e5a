#include "tokenstepsmodel.h"

#include "displaytext.h"

namespace vq {

TokenStepsModel::TokenStepsModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void TokenStepsModel::setPath(std::shared_ptr<const TokenPathResult> path)
{
    beginResetModel();
    m_path = std::move(path);
    endResetModel();
}

int TokenStepsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_path ? 0 : int(m_path->path.steps.size()) + 1;
}

int TokenStepsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

double TokenStepsModel::residual(int row) const
{
    if (!m_path || row < 0 || row > int(m_path->path.steps.size()))
        return 0;
    return row == 0 ? m_path->path.norm : m_path->path.steps[size_t(row - 1)].residualNorm;
}

QVariant TokenStepsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    const double r = residual(row);
    const double norm = m_path->path.norm;
    if (role == Qt::TextAlignmentRole)
        return index.column() == StepColumn ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                            : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::UserRole)
        return {};
    switch (index.column()) {
    case StepColumn:
        return row == 0 ? tr("(nothing decoded)") : display::text(m_path->path.steps[size_t(row - 1)].label);
    case ResidualColumn:
        return role == Qt::UserRole ? QVariant(r) : QVariant(display::number(r));
    case RelativeColumn: {
        const double rel = norm > 0 ? r * r / (norm * norm) : 0.0;
        return role == Qt::UserRole ? QVariant(rel) : QVariant(display::number(rel));
    }
    case ChangeColumn: {
        if (row == 0)
            return role == Qt::UserRole ? QVariant(0.0) : QVariant(QString());
        const double change = r - residual(row - 1);
        return role == Qt::UserRole ? QVariant(change) : QVariant(display::number(change));
    }
    default:
        return {};
    }
}

QVariant TokenStepsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case StepColumn:
        return tr("After step");
    case ResidualColumn:
        return tr("‖e − partial‖");
    case RelativeColumn:
        return tr("Relative error");
    case ChangeColumn:
        return tr("Change");
    default:
        return {};
    }
}

} // namespace vq
