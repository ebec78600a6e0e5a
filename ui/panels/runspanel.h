#pragma once

#include "appcontext.h"
#include "panel.h"

class QAction;
class QComboBox;
class QLineEdit;
class QTableView;
class QToolBar;

namespace vq {

class RunQueue;
class RunsModel;
class RunsProxyModel;

// The runs of the session as a sortable, filterable table (name, method, parameters, bits/param,
// relMSE, recall@10, time, status with a progress bar while running). The table's selection, in view
// order, is the context's selection, and follows it when it changes elsewhere. Actions (toolbar and
// context menu): Cancel, Cancel All, Rename, Delete, Re-run with Edits, Run Again, Save Spec…, Export as
// CSV…. Runs are started through queue, which must outlive the panel. A run that finishes while no
// run is selected becomes the selection.
class RunsPanel : public Panel {
    Q_OBJECT
public:
    RunsPanel(AppContext* context, RunQueue* queue, QWidget* parent = nullptr);

    QString title() const override { return tr("Runs"); }

    RunsModel* model() const { return m_model; }
    RunsProxyModel* proxy() const { return m_proxy; }
    QTableView* view() const { return m_view; }
    QLineEdit* filterEdit() const { return m_filter; }
    QComboBox* statusFilterBox() const { return m_statusFilter; }

    QAction* cancelAction() const { return m_cancel; }
    QAction* cancelAllAction() const { return m_cancelAll; }
    QAction* renameAction() const { return m_rename; }
    QAction* deleteAction() const { return m_delete; }
    QAction* editSpecAction() const { return m_editSpec; }
    QAction* runAgainAction() const { return m_runAgain; }
    QAction* saveSpecAction() const { return m_saveSpec; }
    QAction* exportCsvAction() const { return m_exportCsv; }

    // The selected runs, in view order.
    QList<RunKey> selectedKeys() const;

    // Writes spec as the JSON `vqscope-cli quantize --config` reads ({"method": ..., "params": {...}},
    // indented) through QSaveFile. Returns an empty string on success, else a message naming the file.
    static QString writeSpecFile(const QuantSpec& spec, const QString& path);

private:
    void createActions();
    void showContextMenu(const QPoint& pos);
    void onViewSelectionChanged();
    void onContextSelectionChanged();
    void updateActions();
    void cancelSelected();
    void deleteSelected();
    void renameCurrent();
    void editSpec();
    void runAgain();
    void saveSpec();
    const RunEntry* firstSelected() const;

    RunQueue* m_queue;
    RunsModel* m_model;
    RunsProxyModel* m_proxy;
    QTableView* m_view = nullptr;
    QToolBar* m_toolBar = nullptr;
    QLineEdit* m_filter = nullptr;
    QComboBox* m_statusFilter = nullptr;
    QAction* m_cancel = nullptr;
    QAction* m_cancelAll = nullptr;
    QAction* m_rename = nullptr;
    QAction* m_delete = nullptr;
    QAction* m_editSpec = nullptr;
    QAction* m_runAgain = nullptr;
    QAction* m_saveSpec = nullptr;
    QAction* m_exportCsv = nullptr;
    // Set while the view's selection is being changed to match the context's, so that change is not
    // sent back.
    bool m_syncing = false;
};

} // namespace vq
