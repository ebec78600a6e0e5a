#pragma once

#include "metrics/codebookusage.h"

#include <QAbstractTableModel>
#include <QStringList>
#include <memory>

namespace vq {

// The usage summary of one code array: for each stage its groups, then the stage pooled over its
// groups; entropy, perplexity and the dead codes (count and "0–3, 17" ranges) of each. A view over the
// run's CodebookUsage (shared, not copied); only the dead-code text is prepared once per array.
class CodebookUsageModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        StageColumn,
        GroupColumn,
        BitsColumn,
        EntropyColumn,
        PerplexityColumn,
        DeadCountColumn,
        DeadCodesColumn,
        ColumnCount
    };
    enum Role {
        StageRole = Qt::UserRole, // int, 0-based
        GroupRole, // int, 0-based; -1 for the pooled row
        EntropyRole, // double, bits
        PerplexityRole, // double
        DeadCountRole, // qlonglong
        DeadCodesRole, // QList<int>: every dead code
    };

    explicit CodebookUsageModel(QObject* parent = nullptr);

    // usage may be null (empty model). The model keeps the pointer alive.
    void setUsage(std::shared_ptr<const CodebookUsage> usage);
    const std::shared_ptr<const CodebookUsage>& usage() const { return m_usage; }

    // The row of (stage, group); group -1: the pooled row. -1 when absent.
    int rowOf(int stage, int group) const;
    const CodeUsage* usageAt(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // "0–3, 17, 200–255": runs of consecutive codes as ranges; "none" when empty.
    static QString deadCodesText(const std::vector<int32_t>& codes);

private:
    std::shared_ptr<const CodebookUsage> m_usage;
    QStringList m_deadText; // per row
};

} // namespace vq
