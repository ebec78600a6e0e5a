#pragma once

#include "io/embeddingtable.h"
#include "stats/tablestats.h"

#include <QObject>
#include <memory>

namespace vq {

// The state every panel observes: the table being compressed and its statistics (later: the runs and
// the selected run). Panels read it and connect to its signals instead of calling each other.
// Lives on the GUI thread; not thread-safe.
class AppContext : public QObject {
    Q_OBJECT
public:
    explicit AppContext(QObject* parent = nullptr);

    // Null until a table has been loaded. Both are immutable and may be shared with worker threads.
    const std::shared_ptr<const EmbeddingTable>& table() const { return m_table; }
    const std::shared_ptr<const TableStats>& stats() const { return m_stats; }
    bool hasTable() const { return m_table != nullptr; }

    // Replaces the current table and its statistics (both non-null, or both null to clear) and
    // emits tableChanged().
    void setTable(std::shared_ptr<const EmbeddingTable> table, std::shared_ptr<const TableStats> stats);

signals:
    void tableChanged();

private:
    std::shared_ptr<const EmbeddingTable> m_table;
    std::shared_ptr<const TableStats> m_stats;
};

} // namespace vq
