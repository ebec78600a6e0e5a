#include "tokenerrorproxymodel.h"

#include "metrics/sortorder.h"
#include "tokentablemodel.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <numeric>
#include <string_view>

namespace vq {

namespace {

// Whether haystack contains needle, ASCII letters compared case-insensitively (needle is lower case).
bool containsFolded(std::string_view haystack, const QByteArray& needle)
{
    const auto n = size_t(needle.size());
    if (n > haystack.size())
        return false;
    const auto fold = [](char c) { return char(std::tolower(static_cast<unsigned char>(c))); };
    for (size_t i = 0; i + n <= haystack.size(); ++i) {
        size_t k = 0;
        while (k < n && fold(haystack[i + k]) == needle[qsizetype(k)])
            ++k;
        if (k == n)
            return true;
    }
    return false;
}

bool isAscii(const QString& text)
{
    return std::all_of(text.begin(), text.end(), [](QChar c) { return c.unicode() < 128; });
}

} // namespace

TokenErrorProxyModel::TokenErrorProxyModel(QObject* parent)
    : QAbstractProxyModel(parent)
{
}

void TokenErrorProxyModel::setSourceModel(QAbstractItemModel* model)
{
    Q_ASSERT(!model || qobject_cast<TokenTableModel*>(model));
    beginResetModel();
    if (sourceModel())
        disconnect(sourceModel(), nullptr, this, nullptr);
    QAbstractProxyModel::setSourceModel(model);
    if (model) {
        connect(model, &QAbstractItemModel::modelAboutToBeReset, this, [this] { beginResetModel(); });
        connect(model, &QAbstractItemModel::modelReset, this, [this] {
            sortRows();
            filterRows();
            endResetModel();
        });
        // Token tables only ever reset; anything else the source does is taken as a reset too.
        for (auto signal : { &QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved,
                 &QAbstractItemModel::columnsInserted, &QAbstractItemModel::columnsRemoved })
            connect(model, signal, this, &TokenErrorProxyModel::resetFromSource);
        connect(model, &QAbstractItemModel::layoutChanged, this, &TokenErrorProxyModel::resetFromSource);
        connect(model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex& topLeft, const QModelIndex& bottomRight, const QList<int>& roles) {
                if (!m_rows.empty())
                    emit dataChanged(index(0, topLeft.column()), index(rowCount() - 1, bottomRight.column()), roles);
            });
        connect(model, &QAbstractItemModel::headerDataChanged, this, &QAbstractItemModel::headerDataChanged);
    }
    sortRows();
    filterRows();
    endResetModel();
}

void TokenErrorProxyModel::resetFromSource()
{
    beginResetModel();
    sortRows();
    filterRows();
    endResetModel();
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
    beginResetModel();
    m_search = trimmed;
    m_searchLatin = isAscii(trimmed) ? trimmed.toLower().toLatin1() : QByteArray();
    QString digits = trimmed;
    if (digits.startsWith(QLatin1Char('#')))
        digits.remove(0, 1);
    bool ok = false;
    const qint64 row = digits.toLongLong(&ok);
    m_searchRow = ok && row >= 0 ? row : -1;
    filterRows();
    endResetModel();
}

void TokenErrorProxyModel::sort(int column, Qt::SortOrder order)
{
    if (column == m_sortColumn && order == m_sortOrder)
        return;
    emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    const QModelIndexList before = persistentIndexList();
    QModelIndexList sources;
    sources.reserve(before.size());
    for (const QModelIndex& index : before)
        sources.append(mapToSource(index));
    m_sortColumn = column;
    m_sortOrder = order;
    sortRows();
    filterRows();
    QModelIndexList after;
    after.reserve(before.size());
    for (const QModelIndex& source : sources)
        after.append(mapFromSource(source));
    changePersistentIndexList(before, after);
    emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

void TokenErrorProxyModel::sortRows()
{
    const TokenTableModel* model = tokens();
    const int rows = model ? model->rowCount() : 0;
    m_sorted.clear();
    if (rows == 0)
        return;
    if (m_sortColumn < 0 || m_sortColumn >= model->columnCount()) {
        m_sorted.resize(size_t(rows));
        std::iota(m_sorted.begin(), m_sorted.end(), 0);
        return;
    }
    if (model->isTextColumn(m_sortColumn)) {
        // By token bytes, rows without a token first, equal tokens by table row.
        m_sorted.resize(size_t(rows));
        std::iota(m_sorted.begin(), m_sorted.end(), 0);
        std::vector<const std::string*> text(static_cast<size_t>(rows));
        for (int r = 0; r < rows; ++r)
            text[size_t(r)] = model->token(r);
        std::sort(m_sorted.begin(), m_sorted.end(), [&](int a, int b) {
            const std::string* ta = text[size_t(a)];
            const std::string* tb = text[size_t(b)];
            if (ta && tb && *ta != *tb)
                return *ta < *tb;
            if (!ta != !tb)
                return !ta;
            return model->tableRow(a) < model->tableRow(b);
        });
    } else {
        // Each key read once; ties by source row (the table row of every token table).
        std::vector<double> keys(static_cast<size_t>(rows));
        for (int r = 0; r < rows; ++r)
            keys[size_t(r)] = model->sortValue(r, m_sortColumn);
        const std::vector<int32_t> order = ascendingOrder(keys);
        m_sorted.assign(order.begin(), order.end());
    }
    if (m_sortOrder == Qt::DescendingOrder)
        std::reverse(m_sorted.begin(), m_sorted.end());
}

TokenErrorProxyModel::Match TokenErrorProxyModel::tokenMatch(const std::string& token, const QString& search)
{
    const QString t = QString::fromStdString(token);
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

TokenErrorProxyModel::Match TokenErrorProxyModel::matchOf(int sourceRow) const
{
    const TokenTableModel* model = tokens();
    if (m_searchRow >= 0 && model->tableRow(sourceRow) == m_searchRow)
        return Match::RowNumber;
    const std::string* token = model->token(sourceRow);
    if (!token)
        return Match::None;
    // The byte search rejects most rows without converting them; the few that contain the text are ranked.
    if (!m_searchLatin.isEmpty() && !containsFolded(*token, m_searchLatin))
        return Match::None;
    return tokenMatch(*token, m_search);
}

void TokenErrorProxyModel::filterRows()
{
    const int rows = sourceModel() ? sourceModel()->rowCount() : 0;
    m_position.assign(size_t(rows), -1);
    m_rows.clear();
    if (m_sorted.size() != size_t(rows))
        return;
    if (m_search.isEmpty()) {
        m_rows = m_sorted;
    } else {
        // One bucket per match class, each in sort order.
        std::array<std::vector<int>, 4> buckets;
        for (int r : m_sorted) {
            const Match m = matchOf(r);
            if (m != Match::None)
                buckets[size_t(m)].push_back(r);
        }
        for (const std::vector<int>& b : buckets)
            m_rows.insert(m_rows.end(), b.begin(), b.end());
    }
    for (size_t i = 0; i < m_rows.size(); ++i)
        m_position[size_t(m_rows[i])] = int(i);
}

QModelIndex TokenErrorProxyModel::mapToSource(const QModelIndex& proxyIndex) const
{
    if (!proxyIndex.isValid() || proxyIndex.model() != this || size_t(proxyIndex.row()) >= m_rows.size()
        || !sourceModel())
        return {};
    return sourceModel()->index(m_rows[size_t(proxyIndex.row())], proxyIndex.column());
}

QModelIndex TokenErrorProxyModel::mapFromSource(const QModelIndex& sourceIndex) const
{
    if (!sourceIndex.isValid() || sourceIndex.model() != sourceModel()
        || size_t(sourceIndex.row()) >= m_position.size())
        return {};
    const int row = m_position[size_t(sourceIndex.row())];
    return row < 0 ? QModelIndex() : index(row, sourceIndex.column());
}

QModelIndex TokenErrorProxyModel::index(int row, int column, const QModelIndex& parent) const
{
    if (parent.isValid() || row < 0 || column < 0 || row >= rowCount() || column >= columnCount())
        return {};
    return createIndex(row, column);
}

QModelIndex TokenErrorProxyModel::parent(const QModelIndex&) const
{
    return {};
}

int TokenErrorProxyModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TokenErrorProxyModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() || !sourceModel() ? 0 : sourceModel()->columnCount();
}

bool TokenErrorProxyModel::hasChildren(const QModelIndex& parent) const
{
    return !parent.isValid() && rowCount() > 0 && columnCount() > 0;
}

QModelIndex TokenErrorProxyModel::sibling(int row, int column, const QModelIndex&) const
{
    return index(row, column);
}

QVariant TokenErrorProxyModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && sourceModel())
        return sourceModel()->headerData(section, orientation, role);
    return QAbstractItemModel::headerData(section, orientation, role);
}

} // namespace vq
