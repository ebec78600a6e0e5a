#pragma once

#include <QAbstractProxyModel>
#include <QString>
#include <vector>

namespace vq {

class TokenTableModel;

// Sorts a TokenTableModel numerically (NaN last when ascending) or by token text, and keeps the rows whose
// token contains a search text (case-insensitive; a search of "#123" or "123" also matches table row 123).
// While searching, the best matches come first whatever the sort order: the row of that number, then
// the token equal to the text, then tokens starting with it, then tokens containing it (a leading space
// or the word-start marks of GPT-2 "Ġ" and SentencePiece "▁" are ignored); the sort column orders
// within each class. Used by the per-token error table and the run comparison table.
//
// Not a QSortFilterProxyModel: that one compares model indices through lessThan() about n log n times,
// 300 ms and more for 128256 rows on every new run. Here a sort reads each row's key once and orders
// them with a typed sort (vq::ascendingOrder), and a search is one pass over the token strings; the
// source's resets and layout changes reset the proxy.
class TokenErrorProxyModel : public QAbstractProxyModel {
    Q_OBJECT
public:
    explicit TokenErrorProxyModel(QObject* parent = nullptr);

    // The source must be a TokenTableModel (asserted).
    void setSourceModel(QAbstractItemModel* model) override;

    QString searchText() const { return m_search; }
    // How well a token matches a search text: Exact, Prefix, Substring or None (case-insensitive, word
    // marks ignored).
    enum class Match : quint8 { RowNumber, Exact, Prefix, Substring, None };
    static Match tokenMatch(const std::string& token, const QString& search);
    // Filters to the rows matching text; an empty text shows every row.
    void setSearchText(const QString& text);

    // Orders the rows by column (what a click on the view's header asks for); kept across resets.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    int sortColumn() const { return m_sortColumn; }
    Qt::SortOrder sortOrder() const { return m_sortOrder; }

    QModelIndex mapToSource(const QModelIndex& proxyIndex) const override;
    QModelIndex mapFromSource(const QModelIndex& sourceIndex) const override;
    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    bool hasChildren(const QModelIndex& parent = {}) const override;
    QModelIndex sibling(int row, int column, const QModelIndex& index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    const TokenTableModel* tokens() const;
    // The source rows in display order, every one (sorted) and those shown (sorted and filtered).
    void sortRows();
    void filterRows();
    Match matchOf(int sourceRow) const;
    void resetFromSource();

    QString m_search;
    QByteArray m_searchLatin; // the search text lower-cased, when it is ASCII (byte search, no conversion)
    qint64 m_searchRow = -1; // the search text read as a row number, -1 when it is not one
    int m_sortColumn = -1;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    std::vector<int> m_sorted; // source rows in sort order
    std::vector<int> m_rows; // proxy row -> source row
    std::vector<int> m_position; // source row -> proxy row (-1: filtered out)
};

} // namespace vq
