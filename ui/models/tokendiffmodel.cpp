#include "tokendiffmodel.h"

#include "displaytext.h"
#include "metrics/tokendiff.h"
#include "tokenerrormodel.h"

#include <QCoreApplication>
#include <limits>

namespace vq {

// TokenTableModel::data() serves the row and token columns and the two roles.
static_assert(TokenDiffModel::RowColumn == 0 && TokenDiffModel::TokenColumn == 1
    && TokenDiffModel::SortRole == int(Qt::UserRole) && TokenDiffModel::TableRowRole == int(Qt::UserRole) + 1);

QString tokenErrorMetricTitle(TokenErrorMetric metric)
{
    switch (metric) {
    case TokenErrorMetric::RelError:
        return QCoreApplication::translate("vq", "rel. error");
    case TokenErrorMetric::Mse:
        return QCoreApplication::translate("vq", "MSE");
    case TokenErrorMetric::CosineDistance:
        return QCoreApplication::translate("vq", "1 − cosine");
    }
    return {};
}

TokenDiffModel::TokenDiffModel(QObject* parent)
    : TokenTableModel(parent)
{
}

void TokenDiffModel::setRuns(std::shared_ptr<const RunRecord> a, std::shared_ptr<const RunRecord> b,
    std::shared_ptr<const EmbeddingTable> table, TokenErrorMetric metric)
{
    beginResetModel();
    m_metric = metric;
    m_runA.reset();
    m_runB.reset();
    m_a = {};
    m_b = {};
    m_rows = 0;
    if (a && b && a->fullMetrics && b->fullMetrics
        && a->fullMetrics->reconstruction.rows == b->fullMetrics->reconstruction.rows) {
        m_runA = std::move(a);
        m_runB = std::move(b);
        m_a = tokenErrorSeries(m_runA->fullMetrics->reconstruction, metric, m_storageA);
        m_b = tokenErrorSeries(m_runB->fullMetrics->reconstruction, metric, m_storageB);
        m_rows = int(std::min(m_a.size(), m_b.size()));
    }
    m_table = std::move(table);
    m_hasTokens = m_table && int64_t(m_table->tokens.size()) == m_rows && m_rows > 0;
    endResetModel();
    emit headerDataChanged(Qt::Horizontal, ErrorAColumn, ErrorBColumn);
}

int TokenDiffModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_rows;
}

int TokenDiffModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const std::string* TokenDiffModel::token(int row) const
{
    return m_hasTokens ? &m_table->tokens[size_t(row)] : nullptr;
}

double TokenDiffModel::sortValue(int row, int column) const
{
    const auto r = size_t(row);
    switch (column) {
    case RowColumn:
        return row;
    case ErrorAColumn:
        return m_a[r];
    case ErrorBColumn:
        return m_b[r];
    case RatioColumn:
        return tokenErrorRatio(m_a[r], m_b[r]);
    case DifferenceColumn:
        return double(m_b[r]) - double(m_a[r]);
    default:
        return std::numeric_limits<double>::quiet_NaN();
    }
}

QVariant TokenDiffModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case RowColumn:
        return tr("Row");
    case TokenColumn:
        return tr("Token");
    case ErrorAColumn:
        return tr("A: %1").arg(tokenErrorMetricTitle(m_metric));
    case ErrorBColumn:
        return tr("B: %1").arg(tokenErrorMetricTitle(m_metric));
    case RatioColumn:
        return tr("Ratio B / A");
    case DifferenceColumn:
        return tr("B − A");
    default:
        return {};
    }
}

} // namespace vq
