#pragma once

#include "tokentablemodel.h"

#include "io/embeddingtable.h"
#include "runners/codebookrunner.h"

#include <memory>

namespace vq {

// The rows that use one code of a codebook: token, how many of the codebook's groups use the code in that
// row, and the row's per-token errors from the run. A view over the shared result (nothing copied); sort
// and search through TokenErrorProxyModel.
class CodeMembersModel : public TokenTableModel {
    Q_OBJECT
public:
    enum Column { RowColumn, TokenColumn, UsesColumn, RelErrorColumn, MseColumn, ColumnCount };
    enum Role {
        SortRole = Qt::UserRole, // double for numeric columns, QString for TokenColumn
        TableRowRole, // qint64, the token id
    };

    explicit CodeMembersModel(QObject* parent = nullptr);

    // result may be null (empty model); table gives the token strings when it has one per row of the run.
    void setMembers(std::shared_ptr<const CodeMembersResult> result, std::shared_ptr<const EmbeddingTable> table);
    const CodeMembersResult* members() const { return m_result.get(); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    bool isTextColumn(int column) const override { return column == TokenColumn; }
    double sortValue(int row, int column) const override;
    const std::string* token(int row) const override;
    int64_t tableRow(int row) const override;

private:
    std::shared_ptr<const CodeMembersResult> m_result;
    std::shared_ptr<const EmbeddingTable> m_table;
    const ReconstructionMetrics* m_metrics = nullptr;
    int m_rows = 0;
};

} // namespace vq
