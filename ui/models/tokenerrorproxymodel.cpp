#include "tokenerrorproxymodel.h"

#include "tokentablemodel.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace vq {

TokenErrorProxyModel::TokenErrorProxyModel(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    // Sorting 128256 rows is done once per request, not again on every data change.
    setDynamicSortFilter(false);
}

void TokenErrorProxyModel::setSourceModel(QAbstractItemModel* model)
{
    Q_ASSERT(!model || qobject_cast<TokenTableModel*>(model));
    if (sourceModel())
        disconnect(sourceModel(), nullptr, this, nullptr);
    m_rankColumn = -1;
    QSortFilterProxyModel::setSourceModel(model);
    // Before the proxy re-sorts the new rows: the ranks are of the old data.
    if (model)
        connect(model, &QAbstractItemModel::modelAboutToBeReset, this, [this] { m_rankColumn = -1; });
}

const TokenTableModel* TokenErrorProxyModel::tokens() const
{
    return static_cast<const TokenTableModel*>(sourceModel());
}

void TokenErrorProxyModel::setSearchText(const QString& text)
{
    const QString trimmed = text.trimmed();
    if (trimmed == m_search)
        return;
    m_search = trimmed;
    QString digits = trimmed;
    if (digits.startsWith(QLatin1Char('#')))
        digits.remove(0, 1);
    bool ok = false;
    const qint64 row = digits.toLongLong(&ok);
    m_searchRow = ok && row >= 0 ? row : -1;
    invalidateRowsFilter();
    // Not dynamically sorted: re-sort so the best matches come first.
    if (sortColumn() >= 0)
        sort(sortColumn(), sortOrder());
}

TokenErrorProxyModel::Match TokenErrorProxyModel::tokenMatch(const std::string& token, const QString& search)
{
    QString t = QString::fromStdString(token);
    // Word-start marks of byte-level BPE (U+0120) and SentencePiece (U+2581), and plain spaces.
    qsizetype start = 0;
    while (start < t.size()
        && (t[start] == u' ' || t[start] == QChar(0x0120) || t[start] == QChar(0x2581) || t[start] == u'\t'))
        ++start;
    const QStringView word = QStringView(t).mid(start);
    if (word.compare(search, Qt::CaseInsensitive) == 0)
        return Match::Exact;
    if (word.startsWith(search, Qt::CaseInsensitive))
        return Match::Prefix;
    if (t.contains(search, Qt::CaseInsensitive))
        return Match::Substring;
    return Match::None;
}

bool TokenErrorProxyModel::sourceLess(int left, int right, int column) const
{
    const TokenTableModel* model = tokens();
    if (model->isTextColumn(column)) {
        const std::string* a = model->token(left);
        const std::string* b = model->token(right);
        if (a && b && *a != *b)
            return *a < *b;
        return model->tableRow(left) < model->tableRow(right);
    }
    const double a = model->sortValue(left, column);
    const double b = model->sortValue(right, column);
    // NaN after every number in ascending order; equal keys by row, so the order is deterministic.
    if (std::isnan(a) != std::isnan(b))
        return std::isnan(b);
    if (a != b && !std::isnan(a))
        return a < b;
    return model->tableRow(left) < model->tableRow(right);
}

void TokenErrorProxyModel::rankRows(int column) const
{
    const int rows = sourceModel()->rowCount();
    std::vector<int> order(static_cast<size_t>(rows));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return sourceLess(a, b, column); });
    m_rank.assign(size_t(rows), 0);
    for (int i = 0; i < rows; ++i)
        m_rank[size_t(order[size_t(i)])] = i;
    m_rankColumn = column;
}

bool TokenErrorProxyModel::lessThan(const QModelIndex& left, const QModelIndex& right) const
{
    if (!m_search.isEmpty() && m_match.size() == size_t(sourceModel()->rowCount())) {
        const Match a = m_match[size_t(left.row())];
        const Match b = m_match[size_t(right.row())];
        // Better matches first in either order (the view reverses lessThan for a descending sort).
        if (a != b)
            return sortOrder() == Qt::AscendingOrder ? a < b : a > b;
    }
    if (m_rankColumn != left.column() || int(m_rank.size()) != sourceModel()->rowCount())
        rankRows(left.column());
    return m_rank[size_t(left.row())] < m_rank[size_t(right.row())];
}

bool TokenErrorProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex&) const
{
    if (m_search.isEmpty())
        return true;
    const TokenTableModel* model = tokens();
    const auto rows = size_t(model->rowCount());
    if (m_match.size() != rows)
        m_match.assign(rows, Match::None);
    Match match = Match::None;
    if (m_searchRow >= 0 && model->tableRow(sourceRow) == m_searchRow)
        match = Match::RowNumber;
    else if (const std::string* token = model->token(sourceRow))
        match = tokenMatch(*token, m_search);
    m_match[size_t(sourceRow)] = match;
    return match != Match::None;
}

} // namespace vq
