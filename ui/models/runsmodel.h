#pragma once

#include "appcontext.h"

#include <QAbstractTableModel>
#include <QPointer>

namespace vq {

class RunQueue;

// The runs of an AppContext as a table, one row per run in the context's order. A view over
// AppContext::runs(), not a copy: it follows runAdded / runChanged / runProgress / runAboutToBeRemoved /
// runRemoved / runsReset and reports changes of one run as dataChanged of its row only (progress: the
// status cell only). Editing the name cell renames the run in the context. Previews are shown in italics
// with "(preview)" after their name. GUI thread only.
class RunsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Method, Params, BitsPerParam, RelMse, Recall, Time, Status, ColumnCount };
    enum Role {
        // The raw value for sorting: double for the numbers (invalid when not known yet), int(RunStatus)
        // for the status, lower-case text for the text columns.
        SortRole = Qt::UserRole,
        KeyRole, // RunKey (quint64) of the row, any column
        StatusRole, // int(RunStatus), any column
        FractionRole, // double in [0, 1]: progress of the current stage while running, else 0
        PreviewRole, // bool
    };

    explicit RunsModel(AppContext* context, QObject* parent = nullptr);

    // Optional: with a queue the status of a run being cancelled reads "cancelling…".
    void setRunQueue(RunQueue* queue);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    AppContext* context() const { return m_context; }
    RunKey keyAt(int row) const;

    // The parameters of a spec as its label shows them: "d4 8-bit" for pq, "h8 R3 kappa=4" for grvq.
    static QString paramsText(const QuantSpec& spec);
    // "45s", "1m05s", "2h03m"; "" for a negative duration.
    static QString durationText(double seconds);
    // What a running run is doing: "adaptor 45% · stage ETA 1m05s" (no ETA part while it is unknown). The
    // ETA is the stage's: a run's stages are known only as they come.
    static QString progressText(const RunEntry& entry);
    // relMSE and recall@k of a record's metrics; NaN when not measured.
    static double relMse(const RunRecord& record);
    static double recall(const RunRecord& record);

private:
    void onRunAdded();
    void onRunChanged(RunKey key);
    void onRunProgress(RunKey key);
    void onAboutToBeRemoved(int row);
    void onRemoved();
    void onReset();
    QVariant displayData(const RunEntry& entry, int column) const;
    QVariant sortData(const RunEntry& entry, int column) const;

    AppContext* m_context;
    QPointer<RunQueue> m_queue;
    // Rows the views know of: equal to the context's run count except inside an insert/remove, where the
    // context has already changed and the views must still see the old count.
    int m_rows = 0;
};

} // namespace vq
