#include "codebookusagepanel.h"

#include "appcontext.h"
#include "charts/entropychart.h"
#include "charts/heatmapchart.h"
#include "charts/usagebarchart.h"
#include "common/error.h"
#include "displaytext.h"
#include "metrics/codebookusagejson.h"
#include "metrics/usageplot.h"
#include "models/codebookusagemodel.h"
#include "quant/registry.h"
#include "widgets/tableexport.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>

namespace vq {

namespace {

// Widest heat map in columns: codes beyond it are summed into buckets of consecutive codes.
constexpr int64_t kMaxHeatmapColumns = 1024;

QLabel* makeMessageLabel(QWidget* parent)
{
    auto* label = new QLabel(parent);
    label->setAlignment(Qt::AlignCenter);
    label->setWordWrap(true);
    label->setMargin(24);
    QPalette palette = label->palette();
    palette.setColor(QPalette::WindowText, palette.color(QPalette::PlaceholderText));
    label->setPalette(palette);
    return label;
}

} // namespace

CodebookUsagePanel::CodebookUsagePanel(AppContext* context, QWidget* parent)
    : Panel(context, parent)
    , m_model(new CodebookUsageModel(this))
{
    setObjectName(QStringLiteral("codebookUsagePanel"));
    m_stack = new QStackedWidget(this);
    m_message = makeMessageLabel(m_stack);
    m_stack->addWidget(m_message);

    auto* page = new QWidget(m_stack);
    auto* selectors = new QHBoxLayout;
    m_arrayCombo = new QComboBox(page);
    m_stageCombo = new QComboBox(page);
    m_groupCombo = new QComboBox(page);
    m_layoutLabel = new QLabel(page);
    // Wraps instead of widening the page past a 1024-pixel window.
    m_layoutLabel->setWordWrap(true);
    selectors->addWidget(new QLabel(tr("Code array"), page));
    selectors->addWidget(m_arrayCombo);
    selectors->addSpacing(12);
    selectors->addWidget(new QLabel(tr("Stage"), page));
    selectors->addWidget(m_stageCombo);
    selectors->addSpacing(12);
    selectors->addWidget(new QLabel(tr("Group"), page));
    selectors->addWidget(m_groupCombo);
    selectors->addSpacing(18);
    selectors->addWidget(m_layoutLabel, 1);

    m_heatmap = new HeatmapChart(page);
    m_barChart = new UsageBarChart(page);
    m_entropyChart = new EntropyChart(page);
    m_countsMessage = makeMessageLabel(page);
    m_countsMessage->hide();

    m_table = new QTableView(page);
    m_table->setModel(m_model);
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    addTableExportMenu(m_table, QStringLiteral("codebook-usage.csv"));

    auto* charts = new QSplitter(Qt::Horizontal, page);
    charts->addWidget(m_barChart);
    charts->addWidget(m_entropyChart);
    auto* split = new QSplitter(Qt::Vertical, page);
    split->addWidget(m_heatmap);
    split->addWidget(m_countsMessage);
    split->addWidget(charts);
    split->addWidget(m_table);
    split->setStretchFactor(0, 4);
    split->setStretchFactor(2, 4);
    split->setStretchFactor(3, 2);
    split->setSizes({ 400, 0, 400, 200 });

    auto* pageLayout = new QVBoxLayout(page);
    pageLayout->setContentsMargins(0, 0, 0, 0);
    pageLayout->addLayout(selectors);
    pageLayout->addWidget(split, 1);
    m_stack->addWidget(page);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_stack);

    connect(m_arrayCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (!m_updating && index >= 0)
            setSelection(index, 0, -1);
    });
    connect(m_stageCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (!m_updating && index >= 0)
            setSelection(m_array, index, m_group);
    });
    connect(m_groupCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (!m_updating && index >= 0)
            setSelection(m_array, m_stage, index - 1);
    });
    connect(m_heatmap, &HeatmapChart::rowClicked, this, [this](int row) {
        if (const CodebookUsage* u = currentUsage())
            setSelection(m_array, row / u->layout.groups, row % u->layout.groups);
    });
    // Drill-down: a cell opens its code (the most used of a bucket of codes) in the codebook explorer.
    connect(m_heatmap, &HeatmapChart::cellClicked, this, [this](int row, int column) {
        const CodebookUsage* u = currentUsage();
        if (!u || !m_hasCounts)
            return;
        const CodeUsage& c = u->at(row / u->layout.groups, row % u->layout.groups);
        const auto first = size_t(int64_t(column) * m_heatmap->codesPerColumn());
        const size_t last = std::min(c.counts.size(), first + size_t(m_heatmap->codesPerColumn()));
        if (first >= last)
            return;
        const auto most = std::max_element(c.counts.begin() + qsizetype(first), c.counts.begin() + qsizetype(last));
        this->context()->requestCode(m_array, c.stage, c.group, int(most - c.counts.begin()));
    });
    connect(m_entropyChart, &EntropyChart::barClicked, this, [this](int index) {
        if (const CodebookUsage* u = currentUsage())
            setSelection(m_array, m_stage, index < u->layout.groups ? index : -1);
    });
    connect(
        m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
            if (m_updating || !current.isValid())
                return;
            setSelection(m_array, current.data(CodebookUsageModel::StageRole).toInt(),
                current.data(CodebookUsageModel::GroupRole).toInt());
        });

    const auto sync = [this] { syncWhenVisible(); };
    connect(context, &AppContext::selectionChanged, this, sync);
    connect(context, &AppContext::runChanged, this, [this](RunKey key) {
        if (key == this->context()->currentRun())
            syncWhenVisible();
    });
    connect(context, &AppContext::runRemoved, this, sync);
    connect(context, &AppContext::runsReset, this, sync);
    updateFromContext();
}

QString CodebookUsagePanel::title() const
{
    return tr("Codebook Usage");
}

QString CodebookUsagePanel::messageText() const
{
    if (m_stack->currentWidget() == m_message)
        return m_message->text();
    return m_countsMessage->isVisible() || !m_hasCounts ? m_countsMessage->text() : QString();
}

void CodebookUsagePanel::showMessage(const QString& text)
{
    m_message->setText(text);
    m_stack->setCurrentWidget(m_message);
    m_usages.reset();
    m_hasCounts = false;
    m_model->setUsage(nullptr);
    m_heatmap->clear();
    m_barChart->clear();
    m_entropyChart->clear();
}

void CodebookUsagePanel::updateFromContext()
{
    const RunEntry* entry = context()->currentEntry();
    const std::shared_ptr<const RunRecord> record = entry ? entry->record : nullptr;
    if (record == m_record && record)
        return;
    m_record = record;
    if (!record) {
        showMessage(tr("Select a run to see how it uses its codebooks."));
        return;
    }
    if (record->status != RunStatus::Done) {
        showMessage(record->status == RunStatus::Failed    ? tr("This run failed: %1").arg(display::text(record->error))
                : record->status == RunStatus::Cancelled   ? tr("This run was cancelled.")
                : record->status == RunStatus::Interrupted ? tr("This run was interrupted: run it again to see its "
                                                                "codebook usage.")
                                                           : tr("Codebook usage appears when the run has finished."));
        return;
    }
    if (record->fullMetrics) {
        // Aliasing: the vector lives as long as the metrics it belongs to.
        m_usages = std::shared_ptr<const std::vector<CodebookUsage>>(
            record->fullMetrics, &record->fullMetrics->codebookUsage);
    } else {
        try {
            m_usages
                = std::make_shared<const std::vector<CodebookUsage>>(codebookUsagesFromMetricsJson(record->metrics));
        } catch (const Error& e) {
            showMessage(tr("The run's codebook usage cannot be read: %1").arg(display::text(e.message())));
            return;
        }
    }
    if (m_usages->empty()) {
        showMessage(tr("This method (%1) has no codebooks: it stores scalar values, not codes.")
                        .arg(display::text(record->spec.method)));
        return;
    }
    m_hasCounts = true;
    for (const CodebookUsage& u : *m_usages)
        m_hasCounts = m_hasCounts && hasCounts(u);
    m_stack->setCurrentIndex(1);
    m_countsMessage->setText(m_hasCounts ? QString()
                                         : tr("This run has no per-code counts (its metrics were saved without "
                                              "them): entropy and dead codes are listed below."));
    m_countsMessage->setVisible(!m_hasCounts);
    m_heatmap->setVisible(m_hasCounts);
    m_barChart->setVisible(m_hasCounts);

    // Array names from the quantizer when the arrays are at hand; numbers otherwise.
    QStringList names;
    if (record->table) {
        try {
            for (const CodeArrayLayout& c : quantizer(record->spec.method).codeLayouts(*record->table))
                names.append(display::text(c.array));
        } catch (const Error&) {
            names.clear();
        }
    }
    m_updating = true;
    m_arrayCombo->clear();
    for (size_t i = 0; i < m_usages->size(); ++i)
        m_arrayCombo->addItem(
            names.size() == qsizetype(m_usages->size()) ? names[qsizetype(i)] : tr("codes %1").arg(i + 1));
    m_arrayCombo->setEnabled(m_usages->size() > 1);
    m_updating = false;
    m_array = -1;
    setSelection(0, 0, -1);
}

const CodebookUsage* CodebookUsagePanel::currentUsage() const
{
    if (!m_usages || m_array < 0 || size_t(m_array) >= m_usages->size())
        return nullptr;
    return &(*m_usages)[size_t(m_array)];
}

QString CodebookUsagePanel::rowLabel(int stage, int group) const
{
    const CodebookUsage* u = currentUsage();
    const QString g = group < 0 ? tr("pooled") : tr("g%1").arg(group);
    return u && u->layout.stages > 1 ? tr("s%1 %2").arg(stage + 1).arg(g) : g;
}

void CodebookUsagePanel::setSelection(int array, int stage, int group)
{
    if (!m_usages || m_usages->empty())
        return;
    array = std::clamp(array, 0, int(m_usages->size()) - 1);
    const bool arrayChanged = array != m_array;
    m_array = array;
    const CodebookUsage& u = *currentUsage();
    m_stage = std::clamp(stage, 0, u.layout.stages - 1);
    m_group = std::clamp(group, -1, u.layout.groups - 1);
    if (arrayChanged)
        updateArray();
    updateCodebook();
}

void CodebookUsagePanel::updateArray()
{
    const CodebookUsage& u = *currentUsage();
    m_updating = true;
    m_arrayCombo->setCurrentIndex(m_array);
    m_stageCombo->clear();
    for (int s = 0; s < u.layout.stages; ++s)
        m_stageCombo->addItem(tr("%1 of %2").arg(s + 1).arg(u.layout.stages));
    m_stageCombo->setEnabled(u.layout.stages > 1);
    m_groupCombo->clear();
    m_groupCombo->addItem(tr("pooled"));
    for (int g = 0; g < u.layout.groups; ++g)
        m_groupCombo->addItem(tr("g%1").arg(g));
    m_updating = false;

    m_layoutLabel->setText(
        tr("%1 stage(s) × %2 group(s), %3-bit codes (%4 entries), %5 rows%6")
            .arg(u.layout.stages)
            .arg(u.layout.groups)
            .arg(u.layout.bits)
            .arg(display::count(int64_t(1) << u.layout.bits), display::count(u.layout.rows),
                u.layout.sharedAcrossGroups ? tr("; one codebook per stage shared by all groups") : QString()));
    m_model->setUsage(std::shared_ptr<const CodebookUsage>(m_usages, &u));

    if (m_hasCounts) {
        // Heat map: every (stage, group) row, codes bucketed to at most kMaxHeatmapColumns columns.
        QStringList labels;
        std::vector<int64_t> values;
        std::vector<int64_t> dead;
        int columns = 0;
        int64_t perColumn = 1;
        for (int s = 0; s < u.layout.stages; ++s) {
            for (int g = 0; g < u.layout.groups; ++g) {
                const CodeBuckets b = bucketCodes(u.at(s, g).counts, kMaxHeatmapColumns);
                columns = int(b.sums.size());
                perColumn = b.codesPerBucket;
                values.insert(values.end(), b.sums.begin(), b.sums.end());
                dead.insert(dead.end(), b.dead.begin(), b.dead.end());
                labels.append(rowLabel(s, g));
            }
        }
        m_heatmap->setCells(
            labels, columns, perColumn, int64_t(1) << u.layout.bits, std::move(values), std::move(dead));
        m_heatmap->setTitle(perColumn > 1
                ? tr("Code counts (log colour; %1 consecutive codes per column)").arg(perColumn)
                : tr("Code counts (log colour)"));
    }
}

void CodebookUsagePanel::updateCodebook()
{
    const CodebookUsage& u = *currentUsage();
    m_updating = true;
    m_stageCombo->setCurrentIndex(m_stage);
    m_groupCombo->setCurrentIndex(m_group + 1);
    const int row = m_model->rowOf(m_stage, m_group);
    m_table->selectionModel()->setCurrentIndex(
        m_model->index(row, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_updating = false;

    const CodeUsage& c = m_group < 0 ? u.pooled[size_t(m_stage)] : u.at(m_stage, m_group);
    if (m_hasCounts) {
        m_barChart->setUsage(c);
        m_barChart->setTitle(tr("Usage of %1, sorted (%2 dead of %3)")
                                 .arg(rowLabel(m_stage, m_group), display::count(int64_t(c.deadCodes.size())),
                                     display::count(int64_t(c.counts.size()))));
        m_heatmap->setHighlightedRow(m_group < 0 ? -1 : m_stage * u.layout.groups + m_group);
    }

    // Entropy: the groups of the selected stage, then the stage pooled.
    QStringList categories;
    std::vector<double> entropies;
    for (int g = 0; g < u.layout.groups; ++g) {
        categories.append(tr("g%1").arg(g));
        entropies.push_back(u.at(m_stage, g).entropyBits);
    }
    categories.append(tr("pooled"));
    entropies.push_back(u.pooled[size_t(m_stage)].entropyBits);
    m_entropyChart->setBars(categories, std::move(entropies), u.layout.bits);
    m_entropyChart->setSelectedBar(m_group < 0 ? u.layout.groups : m_group);
    m_entropyChart->setTitle(
        u.layout.stages > 1 ? tr("Entropy per group, stage %1").arg(m_stage + 1) : tr("Entropy per group"));
}

QList<QPair<QString, QImage>> CodebookUsagePanel::reportImages() const
{
    if (!m_usages || m_usages->empty() || !currentUsage())
        return {};
    return { { tr("Code counts per group (heat map)"), m_heatmap->grab().toImage() },
        { tr("Usage of one codebook, sorted"), m_barChart->grab().toImage() },
        { tr("Entropy against the allotted bits"), m_entropyChart->grab().toImage() } };
}

} // namespace vq
