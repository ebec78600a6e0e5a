#include "tokenerrormodel.h"

#include "displaytext.h"

#include <limits>

namespace vq {

QString quotedToken(const std::string& token)
{
    QString t = display::text(token);
    t.replace(QLatin1Char('\n'), QStringLiteral("\\n"))
        .replace(QLatin1Char('\t'), QStringLiteral("\\t"))
        .replace(QLatin1Char('\r'), QStringLiteral("\\r"));
    return u'"' + t + u'"';
}

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
    m_hasTokens = m_table && int64_t(m_table->tokens.size()) == m_rows && m_rows > 0;
    m_hasNorms = m_norms && int64_t(m_norms->size()) == m_rows && m_rows > 0;
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
    return m_hasTokens ? &m_table->tokens[size_t(row)] : nullptr;
}

double TokenErrorModel::sortValue(int row, int column) const
{
    const auto r = size_t(row);
    switch (column) {
    case RowColumn:
        return row;
    case RelErrorColumn:
        return m_metrics->tokenRelError[r];
    case MseColumn:
        return m_metrics->tokenMse[r];
    case CosineDistanceColumn:
        return 1.0 - double(m_metrics->tokenCosine[r]);
    case RowNormColumn:
        return m_hasNorms ? (*m_norms)[r] : std::numeric_limits<double>::quiet_NaN();
    default:
        return std::numeric_limits<double>::quiet_NaN();
    }
}

QVariant TokenErrorModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows || index.column() >= ColumnCount)
        return {};
    const int row = index.row();
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        if (column == RowColumn)
            return display::count(row);
        if (column == TokenColumn)
            return m_hasTokens ? quotedToken(*token(row)) : QString();
        if (column == RowNormColumn && !m_hasNorms)
            return QString();
        return display::number(sortValue(row, column));
    case Qt::TextAlignmentRole:
        return column == TokenColumn ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                     : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case SortRole:
        if (column == TokenColumn)
            return m_hasTokens ? QString::fromStdString(*token(row)) : QString();
        return sortValue(row, column);
    case TableRowRole:
        return qint64(row);
    default:
        return {};
    }
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
