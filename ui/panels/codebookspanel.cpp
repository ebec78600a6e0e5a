#include "codebookspanel.h"

#include "appcontext.h"
#include "charts/codewordmapchart.h"
#include "charts/residualwaterfallchart.h"
#include "displaytext.h"
#include "explore/codebookaccess.h"
#include "models/codemembersmodel.h"
#include "models/codewordmodel.h"
#include "models/neighbourmodel.h"
#include "models/tokencodesmodel.h"
#include "models/tokenerrorproxymodel.h"
#include "models/tokenstepsmodel.h"
#include "panels/tokenerrorpanel.h"
#include "quant/registry.h"
#include "runners/codebookrunner.h"
#include "widgets/headerfit.h"
#include "widgets/tableexport.h"
#include "widgets/tokentablebox.h"

#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QScrollArea>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <cmath>

namespace vq {

namespace {

QTableView* makeTable(QAbstractItemModel* model, const QString& csvName, QWidget* parent)
{
    auto* table = new QTableView(parent);
    table->setModel(model);
    table->verticalHeader()->hide();
    table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    table->horizontalHeader()->setStretchLastSection(true);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setAlternatingRowColors(true);
    table->setWordWrap(false);
    addTableExportMenu(table, csvName);
    keepHeaderTitlesWhole(table);
    return table;
}

} // namespace

CodebooksPanel::CodebooksPanel(AppContext* context, QWidget* parent)
    : Panel(context, parent)
    , m_runner(new CodebookRunner(this))
{
    setObjectName(QStringLiteral("codebooksPanel"));
    m_stack = new QStackedWidget(this);
    m_message = new QLabel(m_stack);
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setWordWrap(true);
    m_message->setMargin(24);
    m_stack->addWidget(m_message);

    auto* page = new QWidget(m_stack);
    m_runLabel = new QLabel(page);
    QFont bold = m_runLabel->font();
    bold.setBold(true);
    m_runLabel->setFont(bold);
    // A long run name is elided ("…") rather than widening the window; the tooltip has all of it.
    m_runLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_runLabel->setMinimumWidth(60);
    m_runLabel->installEventFilter(this);
    m_arrayCombo = new QComboBox(page);
    m_stageCombo = new QComboBox(page);
    m_groupCombo = new QComboBox(page);
    // Long array names ("adaptor/sigma0") and "all (shared codebook)" are elided in the closed combos (the
    // lists show them whole), so that the bar fits a 1024-pixel window.
    m_colourCombo = new QComboBox(page);
    for (QComboBox* combo : { m_arrayCombo, m_groupCombo, m_colourCombo }) {
        combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        combo->setMinimumContentsLength(6);
    }
    m_colourCombo->addItem(tr("error"), int(Colour::MeanError));
    m_colourCombo->addItem(tr("token weight"), int(Colour::MeanWeight));
    m_colourCombo->setToolTip(tr("What a codeword's colour shows: the mean per-token relative error of the rows "
                                 "using it, or their mean token weight (how frequent its tokens are)"));
    m_samplesCheck = new QCheckBox(tr("Rows"), page);
    m_samplesCheck->setChecked(true);
    m_samplesCheck->setToolTip(tr("Also draw a sample of %1 uses of the codebook: what each code was chosen to "
                                  "approximate (the row's residual before this stage, in codeword units)")
                                   .arg(CodebookRunner::kSampleUses));
    auto* bar = new QHBoxLayout;
    bar->addWidget(m_runLabel, 1);
    bar->addWidget(new QLabel(tr("Codes:"), page));
    bar->addWidget(m_arrayCombo);
    bar->addWidget(new QLabel(tr("Stage:"), page));
    bar->addWidget(m_stageCombo);
    bar->addWidget(new QLabel(tr("Group:"), page));
    bar->addWidget(m_groupCombo);
    bar->addSpacing(4);
    bar->addWidget(new QLabel(tr("Colour:"), page));
    bar->addWidget(m_colourCombo);
    bar->addWidget(m_samplesCheck);

    m_chart = new CodewordMapChart(page);
    m_chart->setPointText([this](int code) { return pointText(code); });

    m_codewords = new CodewordModel(this);
    m_codewordTable = makeTable(m_codewords, QStringLiteral("codewords.csv"), page);
    m_codewordTable->setSortingEnabled(true);
    m_codewordTable->sortByColumn(CodewordModel::UsageColumn, Qt::DescendingOrder);

    m_members = new CodeMembersModel(this);
    m_membersProxy = new TokenErrorProxyModel(this);
    m_membersProxy->setSourceModel(m_members);
    const TokenTableBox members = makeTokenTableBox(
        m_membersProxy, CodeMembersModel::RelErrorColumn, QString(), QStringLiteral("code-rows.csv"), page);
    m_membersTable = members.table;
    // Columns as wide as their titles and contents rather than squeezed to the pane's width.
    m_membersTable->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_membersTable->horizontalHeader()->setStretchLastSection(true);
    keepHeaderTitlesWhole(m_membersTable);
    m_membersTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_membersTable->setToolTip(tr("Select a row to see its path through the stages below"));
    m_membersLabel = new QLabel(tr("Click a codeword to list the rows that use it."), members.box);
    m_membersLabel->setWordWrap(true);
    qobject_cast<QVBoxLayout*>(members.box->layout())->insertWidget(0, m_membersLabel);
    connect(members.search, &QLineEdit::textChanged, m_membersProxy, &TokenErrorProxyModel::setSearchText);

    m_tables = new QTabWidget(page);
    m_tables->setDocumentMode(true);
    m_tables->addTab(m_codewordTable, tr("Codewords"));
    m_tables->addTab(members.box, tr("Rows using the code"));

    auto* top = new QSplitter(Qt::Horizontal, page);
    top->addWidget(m_chart);
    top->addWidget(m_tables);
    top->setStretchFactor(0, 3);
    top->setStretchFactor(1, 2);
    top->setChildrenCollapsible(false);

    // Token path.
    auto* pathBox = new QWidget(page);
    m_search = new QLineEdit(pathBox);
    m_search->setPlaceholderText(tr("Token path: type a token or #row, Enter"));
    m_search->setClearButtonEnabled(true);
    m_pathLabel = new QLabel(tr("Pick a token to see how its vector is built stage by stage."), pathBox);
    m_pathLabel->setWordWrap(true);
    m_pathLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // The summary is written to fit two lines beside the search field down to a 1024-pixel window; the row
    // keeps room for both, so the second line is never cut.
    m_pathLabel->setMinimumHeight(2 * m_pathLabel->fontMetrics().lineSpacing() + 2);
    m_waterfall = new ResidualWaterfallChart(pathBox);
    m_codes = new TokenCodesModel(this);
    m_codesTable = makeTable(m_codes, QStringLiteral("token-codes.csv"), pathBox);
    m_codesTable->setToolTip(tr("Select a code to open it in the codeword map"));
    m_steps = new TokenStepsModel(this);
    QTableView* stepsTable = makeTable(m_steps, QStringLiteral("token-steps.csv"), pathBox);
    m_neighbours = new NeighbourModel(this);
    QTableView* neighbourTable = makeTable(m_neighbours, QStringLiteral("token-neighbours.csv"), pathBox);
    neighbourTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    auto* pathTabs = new QTabWidget(pathBox);
    pathTabs->setDocumentMode(true);
    pathTabs->addTab(neighbourTable, tr("Neighbours"));
    pathTabs->addTab(m_codesTable, tr("Codes"));
    pathTabs->addTab(stepsTable, tr("Residual per step"));
    auto* pathSplit = new QSplitter(Qt::Horizontal, pathBox);
    pathSplit->addWidget(m_waterfall);
    pathSplit->addWidget(pathTabs);
    pathSplit->setChildrenCollapsible(false);
    auto* searchRow = new QHBoxLayout;
    searchRow->addWidget(m_search, 1);
    searchRow->addWidget(m_pathLabel, 3);
    auto* pathLayout = new QVBoxLayout(pathBox);
    pathLayout->setContentsMargins(0, 0, 0, 0);
    pathLayout->addLayout(searchRow);
    pathLayout->addWidget(pathSplit, 1);

    auto* vertical = new QSplitter(Qt::Vertical, page);
    vertical->addWidget(top);
    vertical->addWidget(pathBox);
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 2);
    vertical->setChildrenCollapsible(false);

    auto* pageLayout = new QVBoxLayout(page);
    pageLayout->addLayout(bar);
    pageLayout->addWidget(vertical, 1);
    // On a small screen the map, the tables and the token path do not all fit: the page scrolls rather
    // than forcing the window larger than the screen.
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(page);
    m_stack->addWidget(scroll);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_stack);

    connect(m_arrayCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (!m_updating && index >= 0)
            setSelection(index, 0, 0);
    });
    connect(m_stageCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (!m_updating && index >= 0)
            setSelection(m_array, index, m_group);
    });
    connect(m_groupCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (!m_updating && index >= 0)
            setSelection(m_array, m_stage, m_groupCombo->itemData(index).toInt());
    });
    connect(m_colourCombo, &QComboBox::currentIndexChanged, this,
        [this](int index) { setColour(Colour(m_colourCombo->itemData(index).toInt())); });
    connect(m_samplesCheck, &QCheckBox::toggled, this, &CodebooksPanel::setShowSamples);
    connect(m_chart, &CodewordMapChart::codeClicked, this, &CodebooksPanel::selectCode);
    connect(m_codewordTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        [this](const QModelIndex& current) {
            if (!m_updating && current.isValid())
                selectCode(current.data(CodewordModel::CodeRole).toInt());
        });
    connect(m_membersTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        [this](const QModelIndex& current) {
            if (current.isValid())
                showTokenPath(current.data(CodeMembersModel::TableRowRole).toLongLong());
        });
    connect(m_codesTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        [this](const QModelIndex& current) {
            if (m_updating || !current.isValid() || !m_record)
                return;
            const int array = current.data(TokenCodesModel::ArrayRole).toInt();
            const CodebookAccess access(*m_record->table, array);
            const int group
                = access.layout().sharedAcrossGroups ? -1 : current.data(TokenCodesModel::GroupRole).toInt();
            m_pendingCode = current.data(TokenCodesModel::CodeRole).toInt();
            setSelection(array, current.data(TokenCodesModel::StageRole).toInt(), group);
        });
    connect(m_search, &QLineEdit::returnPressed, this, [this] { showTokenPath(m_search->text()); });

    connect(m_runner, &CodebookRunner::mapReady, this,
        [this](quint64 job, const std::shared_ptr<const CodewordMapResult>& map) {
            if (job == m_mapJob)
                onMap(map);
        });
    connect(m_runner, &CodebookRunner::membersReady, this,
        [this](quint64 job, const std::shared_ptr<const CodeMembersResult>& members) {
            if (job != m_membersJob)
                return;
            m_members->setMembers(members, tokenTable());
            const CodeMembers& m = members->members;
            m_membersLabel->setText(
                tr("Code %1 of %2: %3 rows (%4 uses)")
                    .arg(m.code)
                    .arg(codebookName(), display::count(int64_t(m.rows.size())), display::count(m.totalUses)));
        });
    connect(m_runner, &CodebookRunner::pathReady, this,
        [this](quint64 job, const std::shared_ptr<const TokenPathResult>& path) {
            if (job != m_pathJob)
                return;
            const TokenPath& p = path->path;
            m_pathRow = p.row;
            m_updating = true;
            m_codes->setPath(path);
            m_updating = false;
            m_steps->setPath(path);
            m_neighbours->setNeighbours(nullptr);
            QStringList labels { tr("‖e‖") };
            std::vector<double> values { p.norm };
            for (const TokenPath::Step& s : p.steps) {
                labels.append(display::text(s.label));
                values.push_back(s.residualNorm);
            }
            m_waterfall->setSteps(labels, values);
            const EmbeddingTable* table = path->table.get();
            const QString name = table && size_t(p.row) < table->tokens.size()
                ? display::quotedToken(table->tokens[size_t(p.row)])
                : QString();
            m_waterfall->setTitle(
                tr("Residual of %1 after each step").arg(name.isEmpty() ? tr("row %1").arg(p.row) : name));
            const double rel = p.norm > 0 ? std::pow(p.steps.back().residualNorm / p.norm, 2) : 0.0;
            const QString steps = p.steps.size() == 1 ? tr("1 decode step") : tr("%1 decode steps").arg(p.steps.size());
            QString text = tr("%1 row %2: ‖e‖ %3, relative error %4 after %5 (%6 codes)")
                               .arg(name, display::count(p.row), display::number(p.norm), display::number(rel), steps)
                               .arg(p.codes.size());
            if (p.hasScale)
                text += tr(", row scale %1 on every codeword").arg(display::number(p.scale));
            m_pathLabel->setText(text.trimmed() + tr(" · neighbours…"));
        });
    connect(m_runner, &CodebookRunner::neighboursReady, this,
        [this](quint64 job, const std::shared_ptr<const TokenNeighboursResult>& n) {
            if (job != m_pathJob)
                return;
            m_neighbours->setNeighbours(n);
            QString text = m_pathLabel->text();
            text.remove(tr(" · neighbours…"));
            m_pathLabel->setText(
                text + tr(" · %1 of %2 neighbours lost").arg(n->neighbours.lost.size()).arg(n->neighbours.k));
        });
    connect(m_runner, &CodebookRunner::failed, this, [this](quint64 job, const QString& message) {
        if (job == m_mapJob) {
            m_chart->clear();
            m_chart->setTitle(tr("No map: %1").arg(message));
        } else if (job == m_pathJob) {
            m_pathLabel->setText(message);
        } else if (job == m_membersJob) {
            m_membersLabel->setText(message);
        }
    });

    connect(context, &AppContext::selectionChanged, this, &CodebooksPanel::updateFromContext);
    connect(context, &AppContext::runChanged, this, [this](RunKey key) {
        if (key == this->context()->currentRun())
            updateFromContext();
    });
    connect(context, &AppContext::runRemoved, this, &CodebooksPanel::updateFromContext);
    connect(context, &AppContext::runsReset, this, &CodebooksPanel::updateFromContext);
    connect(context, &AppContext::tableChanged, this, [this] {
        // The map's samples and the token strings come from the table: map again.
        m_record.reset();
        m_requested.reset();
        updateFromContext();
    });
    connect(context, &AppContext::codeRequested, this, [this](int array, int stage, int group, int code) {
        m_pendingCode = code;
        setSelection(array, stage, group);
    });
    connect(context, &AppContext::tokenPathRequested, this, [this](qint64 row) { showTokenPath(row); });
    updateFromContext();
}

CodebooksPanel::~CodebooksPanel() = default;

bool CodebooksPanel::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_runLabel && event->type() == QEvent::Resize)
        elideRunLabel();
    return Panel::eventFilter(watched, event);
}

void CodebooksPanel::elideRunLabel()
{
    m_runLabel->setText(
        m_runLabel->fontMetrics().elidedText(m_runLabel->toolTip(), Qt::ElideRight, m_runLabel->width()));
}

bool CodebooksPanel::isShowingMessage() const
{
    return m_stack->currentWidget() == m_message;
}

QString CodebooksPanel::messageText() const
{
    return isShowingMessage() ? m_message->text() : QString();
}

void CodebooksPanel::showMessage(const QString& text)
{
    m_message->setText(text);
    m_stack->setCurrentWidget(m_message);
    m_map.reset();
    m_requested.reset();
    m_pendingCode = -1;
    m_mapJob = m_membersJob = m_pathJob = 0;
    m_chart->clear();
    m_codewords->setMap(nullptr, nullptr);
    m_members->setMembers(nullptr, nullptr);
    m_codes->setPath(nullptr);
    m_steps->setPath(nullptr);
    m_neighbours->setNeighbours(nullptr);
    m_waterfall->clear();
}

std::shared_ptr<const EmbeddingTable> CodebooksPanel::tokenTable() const
{
    return m_record ? CodebookRunner::matchingTable(*m_record, context()->table()) : nullptr;
}

void CodebooksPanel::updateFromContext()
{
    const RunEntry* entry = context()->currentEntry();
    const std::shared_ptr<const RunRecord> record = entry ? entry->record : nullptr;
    if (record && record == m_record)
        return;
    m_record = record;
    if (!record) {
        showMessage(tr("Select a finished run to explore its codebooks."));
        return;
    }
    if (record->status != RunStatus::Done) {
        showMessage(record->status == RunStatus::Failed  ? tr("This run failed: %1").arg(display::text(record->error))
                : record->status == RunStatus::Cancelled ? tr("This run was cancelled.")
                                                         : tr("The codebooks appear when the run has finished."));
        return;
    }
    if (!record->table) {
        showMessage(tr("This run's codes are not in memory (it was read from a results file): import its .vq.h5 "
                       "artifact to explore its codebooks."));
        return;
    }
    if (CodebookAccess::arrayCount(*record->table) == 0) {
        showMessage(tr("This method (%1) has no codebooks: it stores scalar values, not codes.")
                        .arg(display::text(record->spec.method)));
        return;
    }
    m_stack->setCurrentIndex(1);
    m_runLabel->setToolTip(display::runName(*record));
    elideRunLabel();
    m_map.reset();
    m_code = -1;
    m_members->setMembers(nullptr, nullptr);
    fillCombos();
    setSelection(m_array, m_stage, m_group);
    // The same token through the new run's codebooks; the first row until the user picks one.
    showTokenPath(std::max<qint64>(m_pathRow, 0));
}

void CodebooksPanel::fillCombos()
{
    m_updating = true;
    m_arrayCombo->clear();
    for (const CodebookSource& s : quantizer(m_record->spec.method).codebookSources(*m_record->table))
        m_arrayCombo->addItem(display::text(s.array));
    m_arrayCombo->setEnabled(m_arrayCombo->count() > 1);
    m_updating = false;
}

void CodebooksPanel::setSelection(int array, int stage, int group)
{
    if (!m_record || !m_record->table || isShowingMessage())
        return;
    array = std::clamp(array, 0, m_arrayCombo->count() - 1);
    const CodebookAccess access(*m_record->table, array);
    const bool shared = access.layout().sharedAcrossGroups;
    stage = std::clamp(stage, 0, access.stages() - 1);
    group = std::clamp(group, shared ? -1 : 0, access.groups() - 1);
    const bool changed = array != m_array || stage != m_stage || group != m_group || m_requested != m_record;
    // Another run may have other stages and groups for the same array: refill the combos then too.
    const bool refill = array != m_array || m_requested != m_record;
    m_array = array;
    m_stage = stage;
    m_group = group;

    m_updating = true;
    m_arrayCombo->setCurrentIndex(array);
    if (refill || m_groupCombo->count() == 0) {
        m_stageCombo->clear();
        for (int s = 0; s < access.stages(); ++s)
            m_stageCombo->addItem(tr("%1 of %2").arg(s + 1).arg(access.stages()));
        m_groupCombo->clear();
        if (shared)
            m_groupCombo->addItem(tr("all (shared codebook)"), -1);
        for (int g = 0; g < access.groups(); ++g)
            m_groupCombo->addItem(tr("g%1").arg(g), g);
    }
    m_stageCombo->setEnabled(access.stages() > 1);
    m_stageCombo->setCurrentIndex(stage);
    m_groupCombo->setCurrentIndex(m_groupCombo->findData(group));
    m_updating = false;

    if (!changed) {
        if (m_pendingCode >= 0) {
            const int code = m_pendingCode;
            m_pendingCode = -1;
            selectCode(code);
        }
        return;
    }
    if (m_pendingCode < 0)
        m_code = -1;
    requestMap();
}

void CodebooksPanel::requestMap()
{
    m_map.reset();
    m_chart->clear();
    m_chart->setTitle(tr("Mapping %1…").arg(codebookName()));
    m_codewords->setMap(nullptr, nullptr);
    m_members->setMembers(nullptr, nullptr);
    m_membersJob = 0;
    m_requested = m_record;
    m_mapJob = m_runner->requestMap(m_record, context()->table(), m_array, m_stage, m_group);
}

QString CodebooksPanel::codebookName() const
{
    const QString array = m_arrayCombo->count() > 1 ? m_arrayCombo->currentText() + QStringLiteral(", ") : QString();
    const QString group = m_group < 0 ? tr("all groups") : tr("group %1").arg(m_group);
    return array + tr("stage %1, %2").arg(m_stage + 1).arg(group);
}

void CodebooksPanel::onMap(const std::shared_ptr<const CodewordMapResult>& map)
{
    m_map = map;
    m_updating = true;
    m_codewords->setMap(map, tokenTable());
    m_updating = false;
    updateChartPoints();
    const CodewordStats& s = map->map.stats;
    const PcaProjection& pca = map->map.pca;
    const auto share = [&](int axis) {
        return pca.totalVariance > 0 ? QString::number(100 * pca.variance[axis] / pca.totalVariance, 'f', 1)
                                     : QStringLiteral("0");
    };
    // Short enough for the map's width in a 1024-pixel window (the codeword width is in the token's codes).
    QString name = codebookName();
    name[0] = name[0].toUpper();
    m_chart->setTitle(tr("%1: %2 codes, %3 dead").arg(name, display::count(s.codewords), display::count(s.deadCodes)));
    m_chart->setAxisTitles(tr("PC 1 (%1% of the variance)").arg(share(0)), tr("PC 2 (%1%)").arg(share(1)));
    const int code = m_pendingCode >= 0 ? m_pendingCode : m_code;
    m_pendingCode = -1;
    m_code = -1;
    if (code >= 0 && code < s.codewords)
        selectCode(code);
}

void CodebooksPanel::updateChartPoints()
{
    if (!m_map)
        return;
    const CodewordStats& s = m_map->map.stats;
    const bool error = m_colour == Colour::MeanError;
    const QString title
        = error ? (m_map->hasErrors ? tr("mean rel. error") : tr("no per-token errors")) : tr("mean token weight");
    m_chart->setPoints(m_map->map.xy, s.usage, error ? s.meanError : s.meanWeight, title, m_map->map.sampleXy);
    m_chart->setSelectedCode(m_code);
    m_chart->setToolTip(error ? QString() : tr("Token weights: %1").arg(display::text(m_map->weightsLabel)));
}

void CodebooksPanel::selectCode(int code)
{
    if (!m_map) {
        m_pendingCode = code;
        return;
    }
    if (code < 0 || code >= m_map->map.stats.codewords || code == m_code)
        return;
    m_code = code;
    m_chart->setSelectedCode(code);
    m_updating = true;
    const QModelIndex index = m_codewords->index(m_codewords->rowOfCode(code), 0);
    m_codewordTable->selectionModel()->setCurrentIndex(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_codewordTable->scrollTo(index);
    m_updating = false;
    m_members->setMembers(nullptr, nullptr);
    m_membersLabel->setText(tr("Code %1 of %2: listing its rows…").arg(code).arg(codebookName()));
    m_tables->setCurrentIndex(1);
    m_membersJob = m_runner->requestMembers(m_record, m_array, m_stage, m_group, code);
}

void CodebooksPanel::showTokenPath(qint64 row)
{
    requestPath(u'#' + QString::number(row));
}

void CodebooksPanel::showTokenPath(const QString& search)
{
    requestPath(search);
}

void CodebooksPanel::requestPath(const QString& search)
{
    if (!m_record || isShowingMessage() || search.isEmpty())
        return;
    m_pathLabel->setText(tr("Finding %1…").arg(search));
    m_pathJob = m_runner->requestPath(m_record, context()->table(), search);
}

void CodebooksPanel::setColour(Colour colour)
{
    m_colour = colour;
    m_colourCombo->setCurrentIndex(m_colourCombo->findData(int(colour)));
    updateChartPoints();
}

void CodebooksPanel::setShowSamples(bool show)
{
    m_samplesCheck->setChecked(show);
    m_chart->setShowSamples(show);
}

QString CodebooksPanel::pointText(int code) const
{
    if (!m_map || code < 0 || code >= m_map->map.stats.codewords)
        return {};
    const CodewordStats& s = m_map->map.stats;
    const auto c = size_t(code);
    QString text = tr("code %1").arg(code);
    text += s.usage[c] == 0
        ? tr("\ndead: no row uses it")
        : tr("\nused %1 times (%2% of the uses)")
              .arg(display::count(s.usage[c]))
              .arg(QString::number(100.0 * double(s.usage[c]) / double(std::max<int64_t>(s.uses, 1)), 'f', 2));
    text += tr("\nnorm %1").arg(display::number(s.norm[c]));
    if (!std::isnan(s.meanError[c]))
        text += tr("\nmean rel. error of its rows %1").arg(display::number(s.meanError[c]));
    if (!std::isnan(s.meanWeight[c]))
        text += tr("\nmean token weight %1").arg(display::number(s.meanWeight[c]));
    const QString top = m_codewords->topTokensText(code);
    if (!top.isEmpty())
        text += tr("\nmost frequent: %1").arg(top);
    return text;
}

QList<QPair<QString, QImage>> CodebooksPanel::reportImages() const
{
    if (isShowingMessage() || !m_map)
        return {};
    QList<QPair<QString, QImage>> images { { tr("Codeword map (%1)").arg(codebookName()), m_chart->grab().toImage() } };
    if (m_waterfall->barCount() > 0)
        images.append({ tr("A token's residual after each decode step"), m_waterfall->grab().toImage() });
    return images;
}

} // namespace vq
