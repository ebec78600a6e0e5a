#pragma once

#include "tokentablemodel.h"

#include "io/embeddingtable.h"
#include "metrics/tokenerrorseries.h"
#include "run/runrecord.h"

#include <memory>
#include <span>
#include <vector>

namespace vq {

// One row per token of two finished runs A and B over the same rows: a per-token error of each, the
// ratio B / A (tokenErrorRatio) and the difference B - A. Reads the runs' own vectors (1 - cosine is
// derived once per run). Sort and search through TokenErrorProxyModel.
class TokenDiffModel : public TokenTableModel {
    Q_OBJECT
public:
    enum Column { RowColumn, TokenColumn, ErrorAColumn, ErrorBColumn, RatioColumn, DifferenceColumn, ColumnCount };
    enum Role {
        SortRole = Qt::UserRole, // double for numeric columns, QString for TokenColumn
        TableRowRole, // qint64, the token id
    };

    explicit TokenDiffModel(QObject* parent = nullptr);

    // Shows a against b (both need fullMetrics with the same row count; otherwise the model is empty).
    // table gives the token strings (null or another row count: no token column text).
    void setRuns(std::shared_ptr<const RunRecord> a, std::shared_ptr<const RunRecord> b,
        std::shared_ptr<const EmbeddingTable> table, TokenErrorMetric metric);
    void clear() { setRuns(nullptr, nullptr, nullptr, m_metric); }
    TokenErrorMetric metric() const { return m_metric; }
    std::span<const float> errorsA() const { return m_a; }
    std::span<const float> errorsB() const { return m_b; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    bool isTextColumn(int column) const override { return column == TokenColumn; }
    double sortValue(int row, int column) const override;
    const std::string* token(int row) const override;
    int64_t tableRow(int row) const override { return row; }

private:
    std::shared_ptr<const RunRecord> m_runA;
    std::shared_ptr<const RunRecord> m_runB;
    std::shared_ptr<const EmbeddingTable> m_table;
    TokenErrorMetric m_metric = TokenErrorMetric::RelError;
    std::vector<float> m_storageA; // 1 - cosine, when that is the metric
    std::vector<float> m_storageB;
    std::span<const float> m_a;
    std::span<const float> m_b;
    int m_rows = 0;
    bool m_hasTokens = false;
};

// "rel. error", "MSE", "1 − cosine".
QString tokenErrorMetricTitle(TokenErrorMetric metric);

} // namespace vq
