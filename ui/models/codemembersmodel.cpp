#include "codemembersmodel.h"

#include <limits>

namespace vq {

static_assert(CodeMembersModel::RowColumn == 0 && CodeMembersModel::TokenColumn == 1
    && CodeMembersModel::SortRole == int(Qt::UserRole) && CodeMembersModel::TableRowRole == int(Qt::UserRole) + 1);

CodeMembersModel::CodeMembersModel(QObject* parent)
    : TokenTableModel(parent)
{
}

void CodeMembersModel::setMembers(
    std::shared_ptr<const CodeMembersResult> result, std::shared_ptr<const EmbeddingTable> table)
{
    beginResetModel();
    m_result = std::move(result);
    m_rows = m_result ? int(m_result->members.rows.size()) : 0;
    const RunRecord* run = m_result ? m_result->run.get() : nullptr;
    const int64_t tableRows = run && run->table ? run->table->rows : -1;
    m_metrics = run && run->fullMetrics && run->fullMetrics->reconstruction.rows == tableRows
        ? &run->fullMetrics->reconstruction
        : nullptr;
    m_table = table && table->rows() == tableRows && int64_t(table->tokens.size()) == tableRows ? std::move(table)
                                                                                                : nullptr;
    endResetModel();
}

int CodeMembersModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_rows;
}

int CodeMembersModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

int64_t CodeMembersModel::tableRow(int row) const
{
    return m_result->members.rows[size_t(row)];
}

const std::string* CodeMembersModel::token(int row) const
{
    return m_table ? &m_table->tokens[size_t(tableRow(row))] : nullptr;
}

double CodeMembersModel::sortValue(int row, int column) const
{
    const auto t = size_t(tableRow(row));
    switch (column) {
    case RowColumn:
        return double(t);
    case UsesColumn:
        return m_result->members.uses[size_t(row)];
    case RelErrorColumn:
        return m_metrics ? m_metrics->tokenRelError[t] : std::numeric_limits<double>::quiet_NaN();
    case MseColumn:
        return m_metrics ? m_metrics->tokenMse[t] : std::numeric_limits<double>::quiet_NaN();
    default:
        return std::numeric_limits<double>::quiet_NaN();
    }
}

QVariant CodeMembersModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case RowColumn:
        return tr("Row");
    case TokenColumn:
        return tr("Token");
    case UsesColumn:
        return tr("Groups using it");
    case RelErrorColumn:
        return tr("Rel. error");
    case MseColumn:
        return tr("MSE");
    default:
        return {};
    }
}

} // namespace vq
