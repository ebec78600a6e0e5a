#include "runspanel.h"

#include "common/error.h"
#include "displaytext.h"
#include "models/runsmodel.h"
#include "models/runsproxymodel.h"
#include "runners/runqueue.h"
#include "widgets/runprogressdelegate.h"
#include "widgets/tableexport.h"

#include <QAction>
#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QSaveFile>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>
#include <algorithm>

namespace vq {

namespace {

bool isActive(RunStatus status)
{
    return status == RunStatus::Queued || status == RunStatus::Running;
}

} // namespace

RunsPanel::RunsPanel(AppContext* context, RunQueue* queue, QWidget* parent)
    : Panel(context, parent)
    , m_queue(queue)
    , m_model(new RunsModel(context, this))
    , m_proxy(new RunsProxyModel(this))
{
    Q_ASSERT(queue && queue->context() == context);
    setObjectName(QStringLiteral("runsPanel"));
    m_model->setRunQueue(queue);
    m_proxy->setSourceModel(m_model);

    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("runsTable"));
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(-1, Qt::AscendingOrder); // order of creation until the user picks a column
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_view->setItemDelegateForColumn(RunsModel::Status, new RunProgressDelegate(m_view));
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_view->setColumnWidth(RunsModel::Name, 200);
    m_view->setColumnWidth(RunsModel::Params, 180);
    m_view->setColumnWidth(RunsModel::Status, 240);
    m_view->setAlternatingRowColors(true);
    // The dock shares the window's height with the tabs: a couple of rows is enough when space is short.
    m_view->setMinimumHeight(m_view->verticalHeader()->defaultSectionSize() * 2);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_view, &QWidget::customContextMenuRequested, this, &RunsPanel::showContextMenu);

    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("runsFilter"));
    m_filter->setPlaceholderText(tr("Filter by name, method or parameter"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &RunsProxyModel::setFilterText);

    m_statusFilter = new QComboBox(this);
    m_statusFilter->setObjectName(QStringLiteral("runsStatusFilter"));
    m_statusFilter->addItem(tr("All runs"), int(RunsProxyModel::StatusFilter::All));
    m_statusFilter->addItem(tr("Queued or running"), int(RunsProxyModel::StatusFilter::Active));
    m_statusFilter->addItem(tr("Done"), int(RunsProxyModel::StatusFilter::Done));
    m_statusFilter->addItem(tr("Failed"), int(RunsProxyModel::StatusFilter::Failed));
    m_statusFilter->addItem(tr("Cancelled or interrupted"), int(RunsProxyModel::StatusFilter::Cancelled));
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this,
        [this] { m_proxy->setStatusFilter(RunsProxyModel::StatusFilter(m_statusFilter->currentData().toInt())); });

    createActions();

    auto* top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(m_toolBar);
    top->addStretch();
    top->addWidget(m_filter, 1);
    top->addWidget(m_statusFilter);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 0, 4, 2);
    layout->setSpacing(2);
    layout->addLayout(top);
    layout->addWidget(m_view);
    // Tab goes as the eye does: the filter, the status filter, then the table (created first).
    setTabOrder(m_filter, m_statusFilter);
    setTabOrder(m_statusFilter, m_view);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RunsPanel::onViewSelectionChanged);
    connect(context, &AppContext::selectionChanged, this, &RunsPanel::onContextSelectionChanged);
    connect(context, &AppContext::runAdded, this, &RunsPanel::updateActions);
    connect(context, &AppContext::runChanged, this, &RunsPanel::updateActions);
    connect(context, &AppContext::runsReset, this, &RunsPanel::updateActions);
    connect(context, &AppContext::runRemoved, this, &RunsPanel::updateActions);
    connect(queue, &RunQueue::busyChanged, this, &RunsPanel::updateActions);
    // A finished run is what the user waited for: show it, unless they are looking at another run.
    connect(queue, &RunQueue::runFinished, this, [this](RunKey key, RunStatus status) {
        if (status == RunStatus::Done && this->context()->selectedRuns().isEmpty())
            this->context()->setCurrentRun(key);
    });
    onContextSelectionChanged();
    updateActions();
}

void RunsPanel::createActions()
{
    m_toolBar = new QToolBar(this);
    m_toolBar->setObjectName(QStringLiteral("runsToolBar"));
    m_toolBar->setToolButtonStyle(Qt::ToolButtonTextOnly);

    auto add = [this](const char* name, const QString& text, const QString& tip, void (RunsPanel::*slot)()) {
        auto* action = new QAction(text, this);
        action->setObjectName(QLatin1String(name));
        action->setToolTip(tip);
        action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        connect(action, &QAction::triggered, this, slot);
        addAction(action);
        return action;
    };
    m_cancel = add(
        "cancelRunAction", tr("Cancel"), tr("Cancel the selected queued or running runs"), &RunsPanel::cancelSelected);
    m_cancelAll = new QAction(tr("Cancel All"), this);
    m_cancelAll->setObjectName(QStringLiteral("cancelAllRunsAction"));
    m_cancelAll->setToolTip(tr("Cancel the running run and every queued one"));
    connect(m_cancelAll, &QAction::triggered, m_queue, &RunQueue::cancelAll);
    m_rename = add("renameRunAction", tr("Rename"), tr("Give the selected run a name"), &RunsPanel::renameCurrent);
    m_rename->setShortcut(Qt::Key_F2);
    m_delete = add("deleteRunAction", tr("Delete"), tr("Remove the selected runs (running ones are cancelled)"),
        &RunsPanel::deleteSelected);
    m_delete->setShortcut(QKeySequence::Delete);
    m_editSpec = add("editSpecAction", tr("Re-run with Edits…"),
        tr("Load the selected run's method and parameters into the method form"), &RunsPanel::editSpec);
    m_runAgain = add("runAgainAction", tr("Run Again"), tr("Queue the selected runs again with the same specs"),
        &RunsPanel::runAgain);
    m_saveSpec = add("saveSpecAction", tr("Save Spec…"),
        tr("Save the selected run's spec as JSON for vqscope-cli quantize --config"), &RunsPanel::saveSpec);
    m_exportCsv = new QAction(tr("Export as CSV…"), this);
    m_exportCsv->setObjectName(QStringLiteral("exportRunsCsvAction"));
    connect(m_exportCsv, &QAction::triggered, this,
        [this] { exportTableInteractively(this, *m_proxy, QStringLiteral("runs.csv")); });

    for (QAction* a : { m_cancel, m_cancelAll, m_rename, m_delete, m_editSpec, m_runAgain, m_saveSpec, m_exportCsv })
        m_toolBar->addAction(a);
}

void RunsPanel::showContextMenu(const QPoint& pos)
{
    QMenu menu(this);
    menu.addAction(m_cancel);
    menu.addAction(m_cancelAll);
    menu.addSeparator();
    menu.addAction(m_rename);
    menu.addAction(m_delete);
    menu.addSeparator();
    menu.addAction(m_editSpec);
    menu.addAction(m_runAgain);
    menu.addAction(m_saveSpec);
    menu.addSeparator();
    menu.addAction(m_exportCsv);
    menu.exec(m_view->viewport()->mapToGlobal(pos));
}

QList<RunKey> RunsPanel::selectedKeys() const
{
    QModelIndexList rows = m_view->selectionModel()->selectedRows(RunsModel::Name);
    std::sort(rows.begin(), rows.end(), [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });
    QList<RunKey> keys;
    keys.reserve(rows.size());
    for (const QModelIndex& index : rows)
        keys.append(index.data(RunsModel::KeyRole).value<RunKey>());
    return keys;
}

const RunEntry* RunsPanel::firstSelected() const
{
    const QList<RunKey> keys = selectedKeys();
    return keys.isEmpty() ? nullptr : context()->run(keys.first());
}

void RunsPanel::onViewSelectionChanged()
{
    if (!m_syncing) {
        // The context keeps the order of selection, not of the view: the run selected first stays the
        // current one (what the views show) and the one added next is what compare puts beside it.
        const QList<RunKey> inView = selectedKeys();
        QList<RunKey> ordered;
        for (RunKey key : context()->selectedRuns())
            if (inView.contains(key))
                ordered.append(key);
        for (RunKey key : inView)
            if (!ordered.contains(key))
                ordered.append(key);
        context()->setSelectedRuns(ordered);
    }
    updateActions();
}

void RunsPanel::onContextSelectionChanged()
{
    const QList<RunKey>& keys = context()->selectedRuns();
    QList<RunKey> wanted = keys;
    QList<RunKey> shown = selectedKeys();
    std::sort(wanted.begin(), wanted.end());
    std::sort(shown.begin(), shown.end());
    if (wanted == shown)
        return;
    QItemSelection selection;
    QModelIndex first;
    for (RunKey key : keys) {
        const QModelIndex index = m_proxy->mapFromSource(m_model->index(context()->rowOf(key), 0));
        if (!index.isValid())
            continue; // filtered out
        selection.select(index, index);
        if (!first.isValid())
            first = index;
    }
    m_syncing = true;
    m_view->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    if (first.isValid()) {
        m_view->selectionModel()->setCurrentIndex(first, QItemSelectionModel::NoUpdate);
        m_view->scrollTo(first);
    }
    m_syncing = false;
    updateActions();
}

void RunsPanel::updateActions()
{
    const QList<RunKey> keys = selectedKeys();
    bool anyActive = false;
    for (RunKey key : keys)
        if (const RunEntry* e = context()->run(key); e && isActive(e->record->status))
            anyActive = true;
    const bool one = keys.size() == 1;
    m_cancel->setEnabled(anyActive);
    m_cancelAll->setEnabled(m_queue->isBusy());
    m_rename->setEnabled(one);
    m_delete->setEnabled(!keys.isEmpty());
    m_editSpec->setEnabled(one);
    m_runAgain->setEnabled(!keys.isEmpty() && context()->hasTable());
    m_saveSpec->setEnabled(one);
    m_exportCsv->setEnabled(m_proxy->rowCount() > 0);
}

void RunsPanel::cancelSelected()
{
    for (RunKey key : selectedKeys())
        m_queue->cancel(key);
}

void RunsPanel::deleteSelected()
{
    const QList<RunKey> keys = selectedKeys();
    for (RunKey key : keys) {
        const RunEntry* entry = context()->run(key);
        if (!entry)
            continue;
        // The queue keeps running a run it was not told to stop; its late result is then dropped, since
        // the context no longer knows the key.
        if (isActive(entry->record->status))
            m_queue->cancel(key);
        context()->removeRun(key);
    }
}

void RunsPanel::renameCurrent()
{
    const QList<RunKey> keys = selectedKeys();
    if (keys.size() != 1)
        return;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(context()->rowOf(keys.first()), RunsModel::Name));
    if (index.isValid()) {
        m_view->setCurrentIndex(index);
        m_view->edit(index);
    }
}

void RunsPanel::editSpec()
{
    if (const RunEntry* entry = firstSelected())
        context()->requestEditSpec(entry->record->spec);
}

void RunsPanel::runAgain()
{
    // Copy the specs first: enqueue adds runs, which may reallocate the context's entries.
    std::vector<QuantSpec> specs;
    for (RunKey key : selectedKeys())
        if (const RunEntry* entry = context()->run(key))
            specs.push_back(entry->record->spec);
    for (const QuantSpec& spec : specs) {
        try {
            m_queue->enqueue(spec);
        } catch (const std::exception& e) {
            QMessageBox::warning(this, tr("Run Again"), QString::fromUtf8(e.what()));
            return;
        }
    }
}

QString RunsPanel::writeSpecFile(const QuantSpec& spec, const QString& path)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return tr("%1: cannot write: %2").arg(path, file.errorString());
    const QByteArray bytes = QByteArray::fromStdString(spec.toJson().dump(2) + '\n');
    if (file.write(bytes) != bytes.size() || !file.commit())
        return tr("%1: cannot write: %2").arg(path, file.errorString());
    return {};
}

void RunsPanel::saveSpec()
{
    const RunEntry* entry = firstSelected();
    if (!entry)
        return;
    const QuantSpec spec = entry->record->spec;
    QString path = QFileDialog::getSaveFileName(this, tr("Save Spec"), display::fileStem(*entry->record) + u".json",
        tr("Spec for vqscope-cli quantize --config (*.json)"));
    if (path.isEmpty())
        return;
    if (!path.endsWith(QStringLiteral(".json"), Qt::CaseInsensitive))
        path += QStringLiteral(".json");
    const QString error = writeSpecFile(spec, path);
    if (!error.isEmpty())
        QMessageBox::warning(this, tr("Save Spec"), error);
}

} // namespace vq
