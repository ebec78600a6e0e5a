#pragma once

#include "io/embeddingtable.h"
#include "runners/codebookrunner.h"

#include <QAbstractTableModel>
#include <memory>
#include <vector>

namespace vq {

// One row per codeword of the codebook a codeword map shows: usage, norm, mean error and mean token weight
// of the rows using it, its position on the map and its most frequent tokens. A view over the shared map
// (nothing copied but a row order). It sorts itself (sort(): one index sort over doubles, NaN last, and one
// layout change), as a sort proxy over 65536 codewords would hold the GUI thread for a fraction of a second
// at every new map. Qt::UserRole is the number sorted by (the code for the token column), CodeRole the code.
class CodewordModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        CodeColumn,
        UsageColumn,
        NormColumn,
        MeanErrorColumn,
        MeanWeightColumn,
        XColumn,
        YColumn,
        TokensColumn,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole, // double
        CodeRole, // int
    };

    explicit CodewordModel(QObject* parent = nullptr);

    // map may be null (empty model); table gives the token strings when it has one per row of the run.
    void setMap(std::shared_ptr<const CodewordMapResult> map, std::shared_ptr<const EmbeddingTable> table);
    const CodewordMapResult* map() const { return m_map.get(); }
    // "“the”, “of”, “and”" for a code's most frequent tokens (or "#12, #40" without token strings).
    QString topTokensText(int code) const;

    // The row a code is shown in (-1 for none), and the code of a row.
    int rowOfCode(int code) const;
    int codeOfRow(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

private:
    double value(int code, int column) const;
    void applyOrder();

    std::vector<int> m_order; // row -> code
    std::vector<int> m_rowOf; // code -> row
    int m_sortColumn = -1;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;

    std::shared_ptr<const CodewordMapResult> m_map;
    std::shared_ptr<const EmbeddingTable> m_table;
    int m_rows = 0;
};

} // namespace vq
