#pragma once

#include "tokentablemodel.h"

#include "io/embeddingtable.h"
#include "run/runrecord.h"

#include <memory>
#include <vector>

namespace vq {

// One row per token of a finished run: its per-token errors (the run's own vectors, not copied), its
// token string and its row norm in the table. Sort and search through TokenErrorProxyModel.
class TokenErrorModel : public TokenTableModel {
    Q_OBJECT
public:
    enum Column { RowColumn, TokenColumn, RelErrorColumn, MseColumn, CosineDistanceColumn, RowNormColumn, ColumnCount };
    enum Role {
        SortRole = Qt::UserRole, // double for numeric columns (the table row for RowColumn), QString for TokenColumn
        TableRowRole, // qint64, the token id
    };

    explicit TokenErrorModel(QObject* parent = nullptr);

    // Shows run (needs fullMetrics; null clears). table gives the token strings and norms the row norms;
    // either may be null or of another row count (the column is then empty). All are kept alive here.
    // A run on a sample of rows (RunRecord::sampleRows) shows the table rows it sampled, their tokens
    // and norms (table and norms are then those of the whole table).
    void setRun(std::shared_ptr<const RunRecord> run, std::shared_ptr<const EmbeddingTable> table,
        std::shared_ptr<const std::vector<float>> norms);
    void clear() { setRun(nullptr, nullptr, nullptr); }
    const RunRecord* run() const { return m_run.get(); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    bool isTextColumn(int column) const override { return column == TokenColumn; }
    double sortValue(int row, int column) const override;
    const std::string* token(int row) const override;
    int64_t tableRow(int row) const override { return m_sampleRows ? (*m_sampleRows)[size_t(row)] : row; }

protected:
    QString numberText(int row, int column) const override;

private:
    std::shared_ptr<const RunRecord> m_run;
    std::shared_ptr<const EmbeddingTable> m_table;
    std::shared_ptr<const std::vector<float>> m_norms;
    const std::vector<int64_t>* m_sampleRows = nullptr; // owned by m_run
    const ReconstructionMetrics* m_metrics = nullptr;
    int m_rows = 0;
    bool m_hasTokens = false;
    bool m_hasNorms = false;
};

} // namespace vq
