#pragma once

#include "runners/loadrunner.h"
#include "runners/runqueue.h"

#include <QImage>
#include <QList>
#include <QMainWindow>
#include <QPointer>
#include <QStringList>
#include <memory>

class QAction;
class QDialog;
class QDockWidget;
class QMenu;
class QStackedWidget;
class QTabWidget;

namespace vq {

class AppContext;
class EmptyStatePage;
class LoadStatusWidget;
class Panel;
class RunQueueWidget;
class SessionController;
class SummaryPanel;

// The application window: File menu (Open…, Open Sample, Recent Files, Quit), drag and drop, a status
// bar following the load, and a tab per panel. Panels observe the AppContext; the window only owns them,
// loads files through its LoadRunner and puts each loaded table into the context.
// Settings (geometry, window state, recent files, last folder) go to QSettings of the application.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // The bundled sample table; empty (the default) disables Open Sample.
    void setSamplePath(const QString& path);
    QString samplePath() const { return m_samplePath; }
    // Folders searched for the documentation Help links to, first match wins (the installed package's
    // doc folder, then the source tree).
    void setDocumentationFolders(const QStringList& folders) { m_docFolders = folders; }

    // Shows why a spec queued from outside (--run) was refused: its method and parameters go into the
    // method form, where the refusal and the valid values show beside Run, and a message box says so.
    void showRefusedSpec(const QuantSpec& spec, const QString& source, const QString& message);
    // Help > Guide (non-modal; one at a time).
    QDialog* showGuide();
    // File > New Synthetic Table… (non-modal); accepting it generates, writes and loads the table.
    QDialog* newSyntheticTable();
    // File > Change Tensor…: lists the loaded file's tensors in the picker, the current one selected.
    void changeTensor();

    // Opens the export dialog for the current run (a Done run with its arrays); the report gets the
    // window's charts. Does nothing when there is no such run.
    void exportCurrentRun();
    // The (title, image) grabs of the window's charts that go into an exported report.
    QList<QPair<QString, QImage>> reportChartImages() const;

    // Starts loading path in the background; a load in progress is replaced. Errors are shown in a
    // message box naming the file, and the current table stays. Session files (.vqproj) are opened as
    // sessions and CLI results (.vq.h5, .jsonl) imported as runs (see SessionController); before another
    // table replaces unsaved runs the user is asked.
    void openFile(const QString& path);

    // Adds panel as a tab after the existing ones; the window takes ownership.
    void addPanel(Panel* panel);
    // Adds panel as a dock widget in area (its toggle goes to the View menu); the window takes ownership.
    // Docks are disabled while no table is loaded. The dock's object name is the panel's plus "Dock", so
    // its place is kept in the saved window state.
    QDockWidget* addDockPanel(Panel* panel, Qt::DockWidgetArea area);

    AppContext* context() const { return m_context; }
    LoadRunner* loadRunner() const { return m_runner; }
    RunQueue* runQueue() const { return m_runQueue; }
    SessionController* sessionController() const { return m_session; }
    QTabWidget* tabs() const { return m_tabs; }
    SummaryPanel* summaryPanel() const { return m_summary; }
    QAction* exportRunAction() const { return m_exportRunAction; }
    QAction* openFolderAction() const { return m_openFolderAction; }
    QAction* changeTensorAction() const { return m_changeTensorAction; }
    QAction* syntheticTableAction() const { return m_syntheticAction; }
    QMenu* runMenu() const { return m_runMenu; }
    LoadStatusWidget* loadStatus() const { return m_loadStatus; }
    RunQueueWidget* runQueueStatus() const { return m_runQueueStatus; }

signals:
    // A load ended without a new table: failed (message names the file) or cancelled (message empty).
    void loadAborted(const QString& path, const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;
    void showEvent(QShowEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createActions();
    void createMenus();
    // The one place that lists the panels (tabs and docks).
    void createPanels();
    void updateRecentFilesMenu();
    void updateCentralPage();
    void openInteractively();
    void openFolderInteractively();
    void onTensorChoiceNeeded(std::shared_ptr<const TensorListing> listing);
    void onLoaded(std::shared_ptr<const EmbeddingTable> table, std::shared_ptr<const TableStats> stats);
    void onFailed(const QString& path, const QString& message);
    void onCancelled(const QString& path);
    void saveSettings();
    // Gives a dock squashed below a usable size (by a saved layout or a smaller window) its room back.
    void unsquashDocks();
    void updateExportAction();

    AppContext* m_context = nullptr;
    LoadRunner* m_runner = nullptr;
    RunQueue* m_runQueue = nullptr;
    SessionController* m_session = nullptr;
    QStackedWidget* m_stack = nullptr;
    EmptyStatePage* m_emptyPage = nullptr;
    QTabWidget* m_tabs = nullptr;
    SummaryPanel* m_summary = nullptr;
    LoadStatusWidget* m_loadStatus = nullptr;
    RunQueueWidget* m_runQueueStatus = nullptr;
    QAction* m_openAction = nullptr;
    QAction* m_openSampleAction = nullptr;
    QAction* m_quitAction = nullptr;
    QAction* m_exportRunAction = nullptr;
    QAction* m_openFolderAction = nullptr;
    QAction* m_changeTensorAction = nullptr;
    QAction* m_syntheticAction = nullptr;
    QMenu* m_runMenu = nullptr;
    QMenu* m_recentMenu = nullptr;
    QMenu* m_viewMenu = nullptr;
    QList<QDockWidget*> m_docks;
    bool m_layoutRestored = false; // a saved dock layout was restored
    bool m_docksSized = false; // the docks got their default sizes at the first show
    QString m_samplePath;
    QStringList m_docFolders;
    QPointer<QDialog> m_guide;
};

} // namespace vq
