#include "mainwindow.h"

#include "appcontext.h"
#include "charts/histogramchart.h"
#include "dialogs/exportdialog.h"
#include "dialogs/guidedialog.h"
#include "dialogs/synthetictabledialog.h"
#include "dialogs/tensorpickerdialog.h"
#include "displaytext.h"
#include "panels/codebookspanel.h"
#include "panels/codebookusagepanel.h"
#include "panels/comparepanel.h"
#include "panels/methodpanel.h"
#include "panels/runspanel.h"
#include "panels/summarypanel.h"
#include "panels/tokenerrorpanel.h"
#include "panels/tradeoffpanel.h"
#include "recentfiles.h"
#include "sessioncontroller.h"
#include "widgets/emptystatepage.h"
#include "widgets/loadstatuswidget.h"
#include "widgets/runqueuewidget.h"
#include "widgets/wheelguard.h"

#include "vq/version.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDesktopServices>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QResizeEvent>
#include <QSettings>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>

#include <algorithm>
#include <utility>

namespace vq {

namespace {

const QString kGeometryKey = QStringLiteral("mainWindow/geometry");
const QString kStateKey = QStringLiteral("mainWindow/state");
const QString kLastFolderKey = QStringLiteral("lastOpenFolder");
constexpr int kStatusMessageMs = 5000;
// Below these a dock is squashed (the form clipped to a sliver, no row of runs visible); a dock found
// there when the window is shown or grows gets its default size back.
constexpr int kUsableDockWidth = 260;
constexpr int kUsableDockHeight = 150;
constexpr int kDefaultDockWidth = 330;
constexpr int kDefaultDockHeight = 210;

QString firstLocalFile(const QMimeData* mime)
{
    if (!mime || !mime->hasUrls())
        return {};
    for (const QUrl& url : mime->urls()) {
        if (url.isLocalFile())
            return url.toLocalFile();
    }
    return {};
}

} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_context(new AppContext(this))
    , m_runner(new LoadRunner(this))
    , m_runQueue(new RunQueue(m_context, this))
{
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(QStringLiteral("vqscope"));
    setAcceptDrops(true);
    m_session = new SessionController(this);

    createActions();
    createMenus();

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("panelTabs"));
    m_tabs->setDocumentMode(true);
    m_emptyPage = new EmptyStatePage(m_openAction, m_openSampleAction, this);
    m_stack = new QStackedWidget(this);
    m_stack->addWidget(m_emptyPage);
    m_stack->addWidget(m_tabs);
    setCentralWidget(m_stack);

    createPanels();

    m_loadStatus = new LoadStatusWidget(m_runner, this);
    statusBar()->addPermanentWidget(m_loadStatus);
    m_runQueueStatus = new RunQueueWidget(m_runQueue, this);
    statusBar()->addPermanentWidget(m_runQueueStatus);

    connect(m_context, &AppContext::tableChanged, this, &MainWindow::updateCentralPage);
    connect(m_context, &AppContext::selectionChanged, this, &MainWindow::updateExportAction);
    connect(m_context, &AppContext::runChanged, this, &MainWindow::updateExportAction);
    connect(m_context, &AppContext::runRemoved, this, &MainWindow::updateExportAction);
    connect(m_context, &AppContext::runsReset, this, &MainWindow::updateExportAction);
    // Sessions are files the user reopens as often as tables.
    connect(m_context, &AppContext::sessionPathChanged, this, [this](const QString& path) {
        if (!path.isEmpty()) {
            RecentFiles::add(path);
            updateRecentFilesMenu();
        }
    });
    updateExportAction();
    connect(m_runner, &LoadRunner::tensorChoiceNeeded, this, &MainWindow::onTensorChoiceNeeded);
    connect(m_runner, &LoadRunner::loaded, this, &MainWindow::onLoaded);
    connect(m_runner, &LoadRunner::failed, this, &MainWindow::onFailed);
    connect(m_runner, &LoadRunner::cancelled, this, &MainWindow::onCancelled);

    resize(1280, 800);
    QSettings settings;
    restoreGeometry(settings.value(kGeometryKey).toByteArray());
    m_layoutRestored = restoreState(settings.value(kStateKey).toByteArray());
    updateCentralPage();
}

MainWindow::~MainWindow() = default;

void MainWindow::createPanels()
{
    m_summary = new SummaryPanel(m_context);
    addPanel(m_summary);
    addPanel(new TokenErrorPanel(m_context));
    addPanel(new CodebookUsagePanel(m_context));
    auto* codebooks = new CodebooksPanel(m_context);
    addPanel(codebooks);
    // Other views ask for a code or a token's path through the context; the explorer comes to the front.
    connect(m_context, &AppContext::codeRequested, this, [this, codebooks] { m_tabs->setCurrentWidget(codebooks); });
    connect(
        m_context, &AppContext::tokenPathRequested, this, [this, codebooks] { m_tabs->setCurrentWidget(codebooks); });
    addPanel(new TradeoffPanel(m_context, m_runQueue));
    addPanel(new ComparePanel(m_context));
    auto* method = new MethodPanel(m_context, m_runQueue);
    addDockPanel(method, Qt::LeftDockWidgetArea);
    addDockPanel(new RunsPanel(m_context, m_runQueue), Qt::BottomDockWidgetArea);
    m_runMenu->addActions(method->runActions());
    m_runMenu->addSeparator();
    QAction* cancelAll = m_runMenu->addAction(tr("&Cancel All Runs"), m_runQueue, &RunQueue::cancelAll);
    cancelAll->setEnabled(false);
    connect(m_runQueue, &RunQueue::busyChanged, cancelAll, &QAction::setEnabled);
}

void MainWindow::createActions()
{
    m_openAction = new QAction(tr("&Open…"), this);
    m_openAction->setShortcut(QKeySequence::Open);
    m_openAction->setStatusTip(tr("Open a checkpoint or table file"));
    connect(m_openAction, &QAction::triggered, this, &MainWindow::openInteractively);

    m_openSampleAction = new QAction(tr("Open &Sample"), this);
    m_openSampleAction->setStatusTip(tr("Open the bundled 20000 × 100 GloVe table"));
    m_openSampleAction->setEnabled(false);
    connect(m_openSampleAction, &QAction::triggered, this, [this] { openFile(m_samplePath); });

    m_openFolderAction = new QAction(tr("Open &Folder…"), this);
    m_openFolderAction->setObjectName(QStringLiteral("openFolderAction"));
    m_openFolderAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    m_openFolderAction->setStatusTip(tr("Open a checkpoint folder (safetensors shards, config.json, tokenizer.json)"));
    connect(m_openFolderAction, &QAction::triggered, this, &MainWindow::openFolderInteractively);

    m_changeTensorAction = new QAction(tr("Change &Tensor…"), this);
    m_changeTensorAction->setObjectName(QStringLiteral("changeTensorAction"));
    m_changeTensorAction->setStatusTip(tr("Load another tensor of the open file as the table (e.g. lm_head.weight)"));
    m_changeTensorAction->setEnabled(false);
    connect(m_changeTensorAction, &QAction::triggered, this, &MainWindow::changeTensor);

    m_syntheticAction = new QAction(tr("&New Synthetic Table…"), this);
    m_syntheticAction->setObjectName(QStringLiteral("syntheticTableAction"));
    m_syntheticAction->setShortcut(QKeySequence::New);
    m_syntheticAction->setStatusTip(tr("Generate a seeded LLM-shaped random table, save it and open it"));
    connect(m_syntheticAction, &QAction::triggered, this, &MainWindow::newSyntheticTable);

    m_exportRunAction = new QAction(tr("&Export Run…"), this);
    m_exportRunAction->setObjectName(QStringLiteral("exportRunAction"));
    m_exportRunAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_exportRunAction->setStatusTip(tr("Export the selected run: artifact, dequantized table, metrics, report"));
    connect(m_exportRunAction, &QAction::triggered, this, &MainWindow::exportCurrentRun);

    m_quitAction = new QAction(tr("&Quit"), this);
    m_quitAction->setShortcut(QKeySequence::Quit);
    m_quitAction->setMenuRole(QAction::QuitRole);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);
}

void MainWindow::createMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_openAction);
    file->addAction(m_openFolderAction);
    file->addAction(m_openSampleAction);
    file->addAction(m_syntheticAction);
    m_recentMenu = file->addMenu(tr("Recent &Files"));
    file->addAction(m_changeTensorAction);
    file->addSeparator();
    m_session->addActions(file);
    m_recentMenu->setObjectName(QStringLiteral("recentFilesMenu"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::updateRecentFilesMenu);
    updateRecentFilesMenu();
    file->addSeparator();
    file->addAction(m_exportRunAction);
    file->addSeparator();
    file->addAction(m_quitAction);

    m_runMenu = menuBar()->addMenu(tr("&Run"));
    m_runMenu->setObjectName(QStringLiteral("runMenu"));

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    m_viewMenu->setObjectName(QStringLiteral("viewMenu"));

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* guide = help->addAction(tr("&Guide"), this, &MainWindow::showGuide);
    guide->setObjectName(QStringLiteral("guideAction"));
    guide->setShortcut(QKeySequence::HelpContents);
    QAction* docs = help->addAction(tr("&Documentation"), this, [this] {
        const QList<QFileInfo> files = GuideDialog::documentationFiles(m_docFolders);
        if (files.isEmpty() || !QDesktopServices::openUrl(QUrl::fromLocalFile(files.first().absoluteFilePath())))
            showGuide(); // the guide lists what exists, or says that nothing does
    });
    docs->setObjectName(QStringLiteral("documentationAction"));
    docs->setStatusTip(tr("Open the documentation installed with vqscope"));
    help->addSeparator();
    help->addAction(tr("&About vqscope"), this, [this] {
        QMessageBox::about(this, tr("About vqscope"),
            tr("<b>vqscope %1</b><p>A lab for compressing the token-embedding tables of language models "
               "with vector quantization.</p>")
                .arg(QString::fromLatin1(kVersion)));
    });
}

void MainWindow::updateRecentFilesMenu()
{
    m_recentMenu->clear();
    const QStringList files = RecentFiles::files();
    for (const QString& path : files) {
        QAction* action = m_recentMenu->addAction(QFileInfo(path).fileName(), this, [this, path] { openFile(path); });
        action->setToolTip(path);
        action->setStatusTip(path);
        action->setData(path);
    }
    if (!files.isEmpty()) {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(tr("Clear Menu"), this, [] { RecentFiles::clear(); });
    }
    m_recentMenu->setEnabled(!files.isEmpty());
}

void MainWindow::setSamplePath(const QString& path)
{
    m_samplePath = path;
    m_openSampleAction->setEnabled(!path.isEmpty());
}

void MainWindow::addPanel(Panel* panel)
{
    Q_ASSERT(panel && panel->context() == m_context);
    m_tabs->addTab(panel, panel->title());
}

QDockWidget* MainWindow::addDockPanel(Panel* panel, Qt::DockWidgetArea area)
{
    Q_ASSERT(panel && panel->context() == m_context);
    auto* dock = new QDockWidget(panel->title(), this);
    dock->setObjectName(panel->objectName() + QStringLiteral("Dock"));
    dock->setWidget(panel);
    WheelGuard::protect(dock);
    addDockWidget(area, dock);
    m_viewMenu->addAction(dock->toggleViewAction());
    m_docks.append(dock);
    dock->setEnabled(m_context->hasTable());
    return dock;
}

void MainWindow::openFile(const QString& path)
{
    if (path.isEmpty() || m_session->openIfSessionFile(path))
        return;
    m_session->confirmReplaceTable([this, path] {
        statusBar()->clearMessage();
        m_runner->open(path);
    });
}

void MainWindow::openInteractively()
{
    QSettings settings;
    const QString folder = settings.value(kLastFolderKey).toString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Table"), folder,
        tr("Checkpoints, tables and sessions (*.safetensors *.gguf *.h5 *.hdf5 *.npy *.json *.vqproj *.jsonl);;"
           "All files (*)"));
    if (path.isEmpty())
        return;
    settings.setValue(kLastFolderKey, QFileInfo(path).absolutePath());
    openFile(path);
}

void MainWindow::openFolderInteractively()
{
    QSettings settings;
    const QString path = QFileDialog::getExistingDirectory(
        this, tr("Open Checkpoint Folder"), settings.value(kLastFolderKey).toString());
    if (path.isEmpty())
        return;
    settings.setValue(kLastFolderKey, QFileInfo(path).absolutePath());
    openFile(path);
}

void MainWindow::changeTensor()
{
    if (const auto& table = m_context->table())
        m_runner->chooseTensor(display::text(table->source.file));
}

QDialog* MainWindow::newSyntheticTable()
{
    QString folder = QSettings().value(kLastFolderKey).toString();
    if (folder.isEmpty() || !QFileInfo(folder).isWritable())
        folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    auto* dialog = new SyntheticTableDialog(folder, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        const SyntheticSpec spec = dialog->spec();
        const DType dtype = dialog->dtype();
        const QString path = dialog->path();
        m_session->confirmReplaceTable([this, spec, dtype, path] {
            statusBar()->clearMessage();
            m_runner->generate(spec, dtype, path);
        });
    });
    dialog->open();
    return dialog;
}

QDialog* MainWindow::showGuide()
{
    if (!m_guide) {
        QStringList views;
        for (const QDockWidget* dock : std::as_const(m_docks))
            views << dock->windowTitle();
        for (int i = 0; i < m_tabs->count(); ++i)
            views << m_tabs->tabText(i);
        m_guide = new GuideDialog(views, GuideDialog::documentationFiles(m_docFolders), this);
        m_guide->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_guide->show();
    m_guide->raise();
    return m_guide;
}

void MainWindow::showRefusedSpec(const QuantSpec& spec, const QString& source, const QString& message)
{
    m_context->requestEditSpec(spec);
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Run refused"),
        tr("The run of %1 was not queued.").arg(source.toHtmlEscaped()), QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("refusedRunBox"));
    box->setInformativeText(
        message + u"\n\n" + tr("Its method and parameters are in the Method panel, where the valid values are shown."));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
    statusBar()->showMessage(tr("Run refused: %1").arg(message), kStatusMessageMs);
}

void MainWindow::onTensorChoiceNeeded(std::shared_ptr<const TensorListing> listing)
{
    const bool reopening = m_context->table() && display::text(m_context->table()->source.file) == listing->path;
    auto* dialog = new TensorPickerDialog(std::move(listing), this);
    dialog->setObjectName(QStringLiteral("tensorPicker"));
    if (reopening)
        dialog->selectTensor(display::text(m_context->table()->source.tensor));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        m_runner->load(dialog->listing().path, dialog->selectedTensor(), dialog->selectionReason());
    });
    dialog->open();
}

void MainWindow::onLoaded(std::shared_ptr<const EmbeddingTable> table, std::shared_ptr<const TableStats> stats)
{
    const QString path = display::text(table->source.file);
    RecentFiles::add(path);
    updateRecentFilesMenu();
    setWindowTitle(tr("%1 — vqscope").arg(QFileInfo(path).fileName()));
    setWindowFilePath(path);
    statusBar()->showMessage(tr("Loaded %1: %2 from %3")
                                 .arg(QFileInfo(path).fileName(), display::shape({ table->rows(), table->dim() }),
                                     display::text(table->source.tensor)),
        kStatusMessageMs);
    m_context->setTable(std::move(table), std::move(stats));
}

void MainWindow::onFailed(const QString& path, const QString& message)
{
    const QString name = QFileInfo(path).fileName();
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Could not open %1").arg(name),
        tr("Could not open %1.").arg(name), QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("loadErrorBox"));
    box->setInformativeText(message);
    box->setAttribute(Qt::WA_DeleteOnClose);
    // open(), not exec(): no nested event loop.
    box->open();
    statusBar()->showMessage(tr("Could not open %1").arg(name), kStatusMessageMs);
    emit loadAborted(path, message);
}

void MainWindow::onCancelled(const QString& path)
{
    statusBar()->showMessage(tr("Cancelled loading %1").arg(QFileInfo(path).fileName()), kStatusMessageMs);
    emit loadAborted(path, QString());
}

void MainWindow::updateCentralPage()
{
    m_stack->setCurrentWidget(m_context->hasTable() ? static_cast<QWidget*>(m_tabs) : m_emptyPage);
    for (QDockWidget* dock : std::as_const(m_docks))
        dock->setEnabled(m_context->hasTable());
    m_changeTensorAction->setEnabled(m_context->hasTable());
}

void MainWindow::updateExportAction()
{
    const RunEntry* entry = m_context->currentEntry();
    m_exportRunAction->setEnabled(
        entry && entry->record && entry->record->status == RunStatus::Done && entry->record->table);
}

QList<QPair<QString, QImage>> MainWindow::reportChartImages() const
{
    QList<QPair<QString, QImage>> charts;
    for (int i = 0; i < m_tabs->count(); ++i)
        if (auto* panel = qobject_cast<Panel*>(m_tabs->widget(i))) {
            // A hidden tab may have put its rebuild off.
            panel->syncIfStale();
            charts.append(panel->reportImages());
        }
    return charts;
}

void MainWindow::exportCurrentRun()
{
    const RunEntry* entry = m_context->currentEntry();
    if (!entry || !entry->record || entry->record->status != RunStatus::Done || !entry->record->table)
        return;
    // Runs outlive a table change: token strings and source only come from the table the run was made on.
    std::shared_ptr<const EmbeddingTable> table = m_context->table();
    if (table
        && (table->source.checksum != entry->record->provenance.checksum || table->rows() != entry->record->bits.rows))
        table = nullptr;
    auto* dialog = new ExportDialog(entry->record, std::move(table), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setChartImages(reportChartImages());
    dialog->open();
}

void MainWindow::saveSettings()
{
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
}

void MainWindow::unsquashDocks()
{
    for (QDockWidget* dock : std::as_const(m_docks)) {
        if (!dock->isVisible() || dock->isFloating())
            continue;
        const Qt::DockWidgetArea area = dockWidgetArea(dock);
        const bool vertical = area == Qt::TopDockWidgetArea || area == Qt::BottomDockWidgetArea;
        const int size = vertical ? dock->height() : dock->width();
        // Never more than a third of the window, so the views keep most of it.
        const int wanted
            = std::min(vertical ? kDefaultDockHeight : kDefaultDockWidth, (vertical ? height() : width()) / 3);
        if (size < (vertical ? kUsableDockHeight : kUsableDockWidth) && wanted > size)
            resizeDocks({ dock }, { wanted }, vertical ? Qt::Vertical : Qt::Horizontal);
    }
}

void MainWindow::showEvent(QShowEvent* event)
{
    QMainWindow::showEvent(event);
    // Without a saved layout the bottom docks would take their size hint (a table view's, 250 px and
    // more): the views above keep that room.
    if (!m_layoutRestored && !std::exchange(m_docksSized, true)) {
        for (QDockWidget* dock : std::as_const(m_docks))
            if (dockWidgetArea(dock) == Qt::BottomDockWidgetArea && !dock->isFloating())
                resizeDocks({ dock }, { std::min(kDefaultDockHeight, height() / 3) }, Qt::Vertical);
    }
    unsquashDocks();
}

void MainWindow::resizeEvent(QResizeEvent* event)
{
    QMainWindow::resizeEvent(event);
    if (event->size().width() > event->oldSize().width() || event->size().height() > event->oldSize().height())
        unsquashDocks();
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (!m_session->confirmClose()) {
        event->ignore();
        return;
    }
    saveSettings();
    m_runner->cancel();
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (!firstLocalFile(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const QString path = firstLocalFile(event->mimeData());
    if (path.isEmpty())
        return;
    event->acceptProposedAction();
    openFile(path);
}

} // namespace vq
