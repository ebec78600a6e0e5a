#include "tokenerrormodel.h"

#include "displaytext.h"

#include <limits>

namespace vq {

// TokenTableModel::data() serves the row and token columns and the two roles.
static_assert(TokenErrorModel::RowColumn == 0 && TokenErrorModel::TokenColumn == 1
    && TokenErrorModel::SortRole == int(Qt::UserRole) && TokenErrorModel::TableRowRole == int(Qt::UserRole) + 1);

TokenErrorModel::TokenErrorModel(QObject* parent)
    : TokenTableModel(parent)
{
}

void TokenErrorModel::setRun(std::shared_ptr<const RunRecord> run, std::shared_ptr<const EmbeddingTable> table,
    std::shared_ptr<const std::vector<float>> norms)
{
    beginResetModel();
    m_run = run && run->fullMetrics ? std::move(run) : nullptr;
    m_metrics = m_run ? &m_run->fullMetrics->reconstruction : nullptr;
    m_rows = m_metrics ? int(m_metrics->tokenRelError.size()) : 0;
    m_table = std::move(table);
    m_norms = std::move(norms);
    m_sampleRows = m_run && m_run->sampleRows && int64_t(m_run->sampleRows->size()) == m_rows ? m_run->sampleRows.get()
                                                                                              : nullptr;
    // The rows the views index: every row of the table, or the sampled ones (ascending ids).
    const int64_t needed = m_sampleRows ? (m_rows > 0 ? m_sampleRows->back() + 1 : 0) : m_rows;
    const auto covers = [&](int64_t size) { return m_rows > 0 && (m_sampleRows ? size >= needed : size == needed); };
    m_hasTokens = m_table && covers(int64_t(m_table->tokens.size()));
    m_hasNorms = m_norms && covers(int64_t(m_norms->size()));
    endResetModel();
}

int TokenErrorModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_rows;
}

int TokenErrorModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const std::string* TokenErrorModel::token(int row) const
{
    return m_hasTokens ? &m_table->tokens[size_t(tableRow(row))] : nullptr;
}

double TokenErrorModel::sortValue(int row, int column) const
{
    const auto r = size_t(row);
    switch (column) {
    case RowColumn:
        return double(tableRow(row));
    case RelErrorColumn:
        return m_metrics->tokenRelError[r];
    case MseColumn:
        return m_metrics->tokenMse[r];
    case CosineDistanceColumn:
        return 1.0 - double(m_metrics->tokenCosine[r]);
    case RowNormColumn:
        return m_hasNorms ? (*m_norms)[size_t(tableRow(row))] : std::numeric_limits<double>::quiet_NaN();
    default:
        return std::numeric_limits<double>::quiet_NaN();
    }
}

QString TokenErrorModel::numberText(int row, int column) const
{
    if (column == RowNormColumn && !m_hasNorms)
        return QString();
    return TokenTableModel::numberText(row, column);
}

QVariant TokenErrorModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case RowColumn:
        return tr("Row");
    case TokenColumn:
        return tr("Token");
    case RelErrorColumn:
        return tr("Rel. error");
    case MseColumn:
        return tr("MSE");
    case CosineDistanceColumn:
        return tr("1 − cosine");
    case RowNormColumn:
        return tr("Row norm");
    default:
        return {};
    }
}

} // namespace vq
