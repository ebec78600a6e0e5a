#pragma once

#include <QSortFilterProxyModel>
#include <QString>
#include <vector>

namespace vq {

class TokenTableModel;

// Sorts a TokenTableModel numerically (NaN last) or by token text, and keeps the rows whose token
// contains a search text (case-insensitive; a search of "#123" or "123" also matches table row 123).
// While searching, the best matches come first whatever the sort order: the row of that number, then
// the token equal to the text, then tokens starting with it, then tokens containing it (a leading space
// or the word-start marks of GPT-2 "Ġ" and SentencePiece "▁" are ignored); the sort column orders
// within each class. Used by the per-token error table and the run comparison table.
class TokenErrorProxyModel : public QSortFilterProxyModel {
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

protected:
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    const TokenTableModel* tokens() const;
    // The typed comparison of two source rows (NaN last, ties by table row).
    bool sourceLess(int left, int right, int column) const;
    void rankRows(int column) const;

    QString m_search;
    qint64 m_searchRow = -1; // the search text read as a row number, -1 when it is not one
    // Rank of every source row in the sort column, computed once per sort (a plain std::sort over the
    // typed values) so that the proxy's own sort compares two integers; cleared when the source resets.
    mutable std::vector<int> m_rank;
    mutable int m_rankColumn = -1;
    // Match of every source row to m_search, filled as rows are filtered (before they are sorted).
    mutable std::vector<Match> m_match;
};

} // namespace vq
