#include "codewordmodel.h"

#include "displaytext.h"
#include "metrics/sortorder.h"
#include "models/tokentablemodel.h"

#include <QColor>
#include <cmath>
#include <limits>
#include <numeric>

namespace vq {

CodewordModel::CodewordModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void CodewordModel::setMap(std::shared_ptr<const CodewordMapResult> map, std::shared_ptr<const EmbeddingTable> table)
{
    beginResetModel();
    m_map = std::move(map);
    m_rows = m_map ? int(m_map->map.stats.codewords) : 0;
    const int64_t rows = m_map && m_map->run->table ? m_map->run->table->rows : -1;
    m_table = table && int64_t(table->tokens.size()) == rows ? std::move(table) : nullptr;
    applyOrder();
    endResetModel();
}

void CodewordModel::sort(int column, Qt::SortOrder order)
{
    if (column < 0 || column >= ColumnCount)
        return;
    m_sortColumn = column;
    m_sortOrder = order;
    emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    const QModelIndexList before = persistentIndexList();
    std::vector<int> codes;
    codes.reserve(size_t(before.size()));
    for (const QModelIndex& i : before)
        codes.push_back(codeOfRow(i.row()));
    applyOrder();
    QModelIndexList after;
    after.reserve(before.size());
    for (qsizetype i = 0; i < before.size(); ++i)
        after.append(index(rowOfCode(codes[size_t(i)]), before[i].column()));
    changePersistentIndexList(before, after);
    emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

void CodewordModel::applyOrder()
{
    m_order.resize(size_t(m_rows));
    std::iota(m_order.begin(), m_order.end(), 0);
    if (m_sortColumn >= 0 && m_rows > 0) {
        // Descending is ascending on the negated keys: NaN (no rows use the code) stays last and ties stay
        // in code order either way.
        const double sign = m_sortOrder == Qt::DescendingOrder ? -1.0 : 1.0;
        std::vector<double> keys(static_cast<size_t>(m_rows));
        for (int c = 0; c < m_rows; ++c)
            keys[size_t(c)] = sign * value(c, m_sortColumn);
        const std::vector<int32_t> order = ascendingOrder(keys);
        m_order.assign(order.begin(), order.end());
    }
    m_rowOf.assign(size_t(m_rows), 0);
    for (int r = 0; r < m_rows; ++r)
        m_rowOf[size_t(m_order[size_t(r)])] = r;
}

int CodewordModel::rowOfCode(int code) const
{
    return code >= 0 && code < m_rows ? m_rowOf[size_t(code)] : -1;
}

int CodewordModel::codeOfRow(int row) const
{
    return row >= 0 && row < m_rows ? m_order[size_t(row)] : -1;
}

int CodewordModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_rows;
}

int CodewordModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString CodewordModel::topTokensText(int code) const
{
    if (!m_map || code < 0 || code >= m_rows)
        return {};
    const CodewordStats& s = m_map->map.stats;
    QStringList names;
    for (int i = 0; i < s.topCount; ++i) {
        const int64_t row = s.topRows[size_t(code) * size_t(s.topCount) + size_t(i)];
        if (row < 0)
            break;
        names.append(m_table ? display::quotedToken(m_table->tokens[size_t(row)]) : u'#' + display::count(row));
    }
    return names.join(QStringLiteral(", "));
}

double CodewordModel::value(int code, int column) const
{
    const CodewordStats& s = m_map->map.stats;
    const auto c = size_t(code);
    switch (column) {
    case CodeColumn:
    case TokensColumn:
        return code;
    case UsageColumn:
        return double(s.usage[c]);
    case NormColumn:
        return s.norm[c];
    case MeanErrorColumn:
        return s.meanError[c];
    case MeanWeightColumn:
        return s.meanWeight[c];
    case XColumn:
        return m_map->map.xy[c * 2];
    case YColumn:
        return m_map->map.xy[c * 2 + 1];
    default:
        return std::numeric_limits<double>::quiet_NaN();
    }
}

QVariant CodewordModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int code = codeOfRow(index.row());
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole: {
        if (column == TokensColumn)
            return topTokensText(code);
        const double v = value(code, column);
        if (column == CodeColumn || column == UsageColumn)
            return display::count(int64_t(v));
        return std::isnan(v) ? QString() : display::number(v);
    }
    case Qt::TextAlignmentRole:
        return column == TokensColumn ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                      : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        // Dead codes in grey: they stand for no token.
        return m_map->map.stats.usage[size_t(code)] == 0 ? QVariant(QColor(Qt::gray)) : QVariant();
    case SortRole:
        return value(code, column);
    case CodeRole:
        return code;
    default:
        return {};
    }
}

QVariant CodewordModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case CodeColumn:
        return tr("Code");
    case UsageColumn:
        return tr("Usage");
    case NormColumn:
        return tr("Norm");
    case MeanErrorColumn:
        return tr("Mean rel. error");
    case MeanWeightColumn:
        return tr("Mean token weight");
    case XColumn:
        return tr("PC 1");
    case YColumn:
        return tr("PC 2");
    case TokensColumn:
        return tr("Most frequent tokens");
    default:
        return {};
    }
}

} // namespace vq
