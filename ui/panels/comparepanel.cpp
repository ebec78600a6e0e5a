#include "comparepanel.h"

#include "charts/comparescatterchart.h"
#include "charts/histogramchart.h"
#include "displaytext.h"
#include "metrics/tokendiff.h"
#include "models/tokendiffmodel.h"
#include "models/tokenerrormodel.h"
#include "models/tokenerrorproxymodel.h"
#include "panels/tokenerrorpanel.h"
#include "widgets/codebooksimilaritybox.h"
#include "widgets/tableexport.h"
#include "widgets/tokentablebox.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <cmath>

namespace vq {

namespace {

bool isFinished(const RunEntry* entry)
{
    return entry && entry->record && entry->record->status == RunStatus::Done && entry->record->fullMetrics;
}

QString jsonNumberText(const nlohmann::json& j)
{
    if (j.is_number())
        return display::number(j.get<double>());
    if (j.is_string())
        return display::text(j.get<std::string>());
    return QStringLiteral("—");
}

} // namespace

ComparePanel::ComparePanel(AppContext* context, QWidget* parent)
    : Panel(context, parent)
    , m_model(new TokenDiffModel(this))
    , m_proxy(new TokenErrorProxyModel(this))
{
    setObjectName(QStringLiteral("comparePanel"));
    m_proxy->setSourceModel(m_model);

    m_stack = new QStackedWidget(this);
    m_emptyLabel = new QLabel(tr("Select two finished runs to compare them token by token."), m_stack);
    m_emptyLabel->setAlignment(Qt::AlignCenter);
    m_emptyLabel->setWordWrap(true);
    m_stack->addWidget(m_emptyLabel);

    auto* page = new QWidget(m_stack);
    m_comboA = new QComboBox(page);
    m_comboB = new QComboBox(page);
    for (QComboBox* combo : { m_comboA, m_comboB }) {
        combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        combo->setMinimumContentsLength(16);
    }
    m_swap = new QPushButton(tr("Swap"), page);
    m_swap->setToolTip(tr("Exchange runs A and B"));
    m_metricCombo = new QComboBox(page);
    m_metricCombo->addItem(tr("Relative error"), int(TokenErrorMetric::RelError));
    m_metricCombo->addItem(tr("MSE"), int(TokenErrorMetric::Mse));
    m_metricCombo->addItem(tr("1 − cosine"), int(TokenErrorMetric::CosineDistance));
    m_logCheck = new QCheckBox(tr("Log-log"), page);
    m_logCheck->setChecked(m_logLog);

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("A:"), page));
    bar->addWidget(m_comboA, 1);
    bar->addWidget(m_swap);
    bar->addWidget(new QLabel(tr("B:"), page));
    bar->addWidget(m_comboB, 1);
    bar->addSpacing(12);
    bar->addWidget(new QLabel(tr("Error:"), page));
    bar->addWidget(m_metricCombo);
    bar->addWidget(m_logCheck);

    auto* keyBox = new QGroupBox(tr("Key metrics"), page);
    auto* grid = new QGridLayout(keyBox);
    const QString metricNames[KeyMetricCount]
        = { tr("Bits / parameter"), tr("Relative MSE"), tr("SNR (dB)"), tr("Recall@10"), tr("Fit time (s)") };
    for (int side = 0; side < 2; ++side) {
        m_runHeaders[size_t(side)] = new QLabel(keyBox);
        QFont bold = m_runHeaders[size_t(side)]->font();
        bold.setBold(true);
        m_runHeaders[size_t(side)]->setFont(bold);
        grid->addWidget(m_runHeaders[size_t(side)], 0, side + 1, Qt::AlignRight);
    }
    for (int m = 0; m < KeyMetricCount; ++m) {
        grid->addWidget(new QLabel(metricNames[m], keyBox), m + 1, 0);
        for (int side = 0; side < 2; ++side) {
            auto* label = new QLabel(keyBox);
            label->setTextInteractionFlags(Qt::TextSelectableByMouse);
            m_keyLabels[size_t(m)][size_t(side)] = label;
            grid->addWidget(label, m + 1, side + 1, Qt::AlignRight);
        }
    }
    grid->setColumnStretch(3, 1);

    m_scatter = new CompareScatterChart(page);
    m_scatter->setPointText([this](int64_t row) { return pointText(row); });

    const TokenTableBox tokenTable = makeTokenTableBox(m_proxy, TokenDiffModel::RatioColumn,
        tr("Tokens, largest ratio B / A first:"), QStringLiteral("token-comparison.csv"), page);
    m_search = tokenTable.search;
    m_table = tokenTable.table;
    QWidget* tableBox = tokenTable.box;

    auto* split = new QSplitter(Qt::Horizontal, page);
    split->addWidget(m_scatter);
    split->addWidget(tableBox);
    split->setChildrenCollapsible(false);
    split->setSizes({ 560, 560 });

    // Token by token, or codebook against codebook.
    m_codebooks = new CodebookSimilarityBox(page);
    m_pages = new QTabWidget(page);
    m_pages->setDocumentMode(true);
    m_pages->addTab(split, tr("Tokens"));
    m_pages->addTab(m_codebooks, tr("Codebooks"));
    m_table->setToolTip(tr("Double-click a token to see its path through run A's codebooks"));
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        this->context()->requestTokenPath(index.data(TokenDiffModel::TableRowRole).toLongLong());
    });

    auto* pageLayout = new QVBoxLayout(page);
    pageLayout->addLayout(bar);
    pageLayout->addWidget(keyBox);
    pageLayout->addWidget(m_pages, 1);
    m_stack->addWidget(page);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_stack);

    const auto comboChanged = [this] {
        if (!m_updatingCombos)
            setRuns(m_comboA->currentData().value<RunKey>(), m_comboB->currentData().value<RunKey>());
    };
    connect(m_comboA, &QComboBox::currentIndexChanged, this, comboChanged);
    connect(m_comboB, &QComboBox::currentIndexChanged, this, comboChanged);
    connect(m_swap, &QPushButton::clicked, this, &ComparePanel::swapRuns);
    connect(m_metricCombo, &QComboBox::currentIndexChanged, this,
        [this](int index) { setMetric(TokenErrorMetric(m_metricCombo->itemData(index).toInt())); });
    connect(m_logCheck, &QCheckBox::toggled, this, &ComparePanel::setLogLog);
    connect(m_search, &QLineEdit::textChanged, m_proxy, &TokenErrorProxyModel::setSearchText);

    const auto sync = [this] { syncWhenVisible(); };
    connect(context, &AppContext::selectionChanged, this, sync);
    connect(context, &AppContext::runAdded, this, &ComparePanel::rebuildCombos);
    connect(context, &AppContext::runChanged, this, [this](RunKey key) {
        rebuildCombos();
        if (key == m_keyA || key == m_keyB || !m_recordA || !m_recordB)
            syncWhenVisible();
    });
    connect(context, &AppContext::runRemoved, this, sync);
    connect(context, &AppContext::runsReset, this, sync);
    connect(context, &AppContext::tableChanged, this, sync);
    followSelection();
}

bool ComparePanel::isShowingEmptyState() const
{
    return m_stack->currentWidget() == m_emptyLabel;
}

void ComparePanel::rebuildCombos()
{
    m_updatingCombos = true;
    for (QComboBox* combo : { m_comboA, m_comboB }) {
        combo->clear();
        for (const RunEntry& entry : context()->runs())
            if (isFinished(&entry))
                combo->addItem(display::runName(*entry.record), QVariant::fromValue<RunKey>(entry.key));
    }
    m_comboA->setCurrentIndex(m_comboA->findData(QVariant::fromValue<RunKey>(m_keyA)));
    m_comboB->setCurrentIndex(m_comboB->findData(QVariant::fromValue<RunKey>(m_keyB)));
    m_updatingCombos = false;
}

void ComparePanel::followSelection()
{
    // The first two selected finished runs, else keep what is shown if it still exists and is finished.
    RunKey a = 0;
    RunKey b = 0;
    for (RunKey key : context()->selectedRuns()) {
        if (!isFinished(context()->run(key)))
            continue;
        if (!a)
            a = key;
        else if (!b)
            b = key;
    }
    if (!a || !b) {
        a = a ? a : (isFinished(context()->run(m_keyA)) ? m_keyA : 0);
        if (!b)
            b = isFinished(context()->run(m_keyB)) && m_keyB != a ? m_keyB : 0;
    }
    m_keyA = a;
    m_keyB = b;
    rebuildCombos();
    refresh();
}

void ComparePanel::setRuns(RunKey a, RunKey b)
{
    if (isFinished(context()->run(a)))
        m_keyA = a;
    if (isFinished(context()->run(b)))
        m_keyB = b;
    rebuildCombos();
    refresh();
}

void ComparePanel::swapRuns()
{
    std::swap(m_keyA, m_keyB);
    rebuildCombos();
    refresh();
}

void ComparePanel::setMetric(TokenErrorMetric metric)
{
    if (metric == m_metric)
        return;
    m_metric = metric;
    const int index = m_metricCombo->findData(int(metric));
    if (index != m_metricCombo->currentIndex())
        m_metricCombo->setCurrentIndex(index);
    m_recordA.reset(); // forces the series to be taken again
    refresh();
}

void ComparePanel::setLogLog(bool on)
{
    m_logLog = on;
    m_logCheck->setChecked(on);
    m_scatter->setLogLog(on);
}

void ComparePanel::refresh()
{
    const RunEntry* a = context()->run(m_keyA);
    const RunEntry* b = context()->run(m_keyB);
    const bool ready = isFinished(a) && isFinished(b) && m_keyA != m_keyB
        && a->record->fullMetrics->reconstruction.rows == b->record->fullMetrics->reconstruction.rows;
    if (!ready) {
        m_recordA.reset();
        m_recordB.reset();
        m_codebooks->setRuns(nullptr, nullptr);
        m_model->clear();
        m_scatter->clear();
        const bool mismatch = isFinished(a) && isFinished(b) && m_keyA != m_keyB;
        m_emptyLabel->setText(mismatch
                ? tr("Runs A and B were made on tables of different sizes: nothing to compare token by token.")
                : tr("Select two finished runs to compare them token by token."));
        // The combos stay reachable when some finished runs exist but the pair is unusable.
        m_stack->setCurrentWidget(m_comboA->count() >= 2 && mismatch ? m_stack->widget(1) : m_emptyLabel);
        return;
    }
    const auto& table = context()->table();
    const int64_t rows = a->record->fullMetrics->reconstruction.rows;
    std::shared_ptr<const EmbeddingTable> tokens = table && table->rows() == rows ? table : nullptr;
    const bool sameData = m_recordA && m_recordB && m_recordA->fullMetrics == a->record->fullMetrics
        && m_recordB->fullMetrics == b->record->fullMetrics && m_tokens == tokens;
    m_recordA = a->record;
    m_recordB = b->record;
    m_codebooks->setRuns(m_recordA, m_recordB);
    m_stack->setCurrentIndex(1);
    updateKeyMetrics();
    if (sameData)
        return;
    m_tokens = tokens;
    m_model->setRuns(m_recordA, m_recordB, m_tokens, m_metric);

    const auto errorsA = m_model->errorsA();
    const auto errorsB = m_model->errorsB();
    const std::vector<int64_t> highlighted = mostDifferentTokens(errorsA, errorsB, kScatterExtremes);
    const std::vector<int64_t> drawn
        = compareScatterRows(errorsA, errorsB, kScatterSample, kScatterExtremes, kScatterSeed);
    m_scatter->setData(errorsA, errorsB, drawn, highlighted);
    m_scatter->setLogLog(m_logLog);
    const QString name = tokenErrorMetricTitle(m_metric);
    m_scatter->setTitle(tr("Per-token %1: A against B").arg(name));
    m_scatter->setSubtitle(int64_t(drawn.size()) >= rows
            ? tr("all %1 tokens; red: the %2 that differ most")
                  .arg(display::count(rows), display::count(int64_t(highlighted.size())))
            : tr("%1 of %2 tokens: a seeded sample of %3 + the %4 that differ most (red)")
                  .arg(display::count(int64_t(drawn.size())), display::count(rows), display::count(kScatterSample),
                      display::count(int64_t(highlighted.size()))));
    m_scatter->setAxisTitles(tr("A: %1").arg(name), tr("B: %1").arg(name));
}

QString ComparePanel::keyMetricText(KeyMetric metric, int side) const
{
    return m_keyLabels[size_t(metric)][size_t(side)]->text();
}

void ComparePanel::updateKeyMetrics()
{
    const RunRecord* records[2] = { m_recordA.get(), m_recordB.get() };
    for (int side = 0; side < 2; ++side) {
        const RunRecord& r = *records[side];
        m_runHeaders[size_t(side)]->setText((side == 0 ? tr("A: ") : tr("B: ")) + display::runName(r));
        const nlohmann::json& rec = r.metrics.is_object() && r.metrics.contains("reconstruction")
            ? r.metrics["reconstruction"]
            : nlohmann::json::object();
        const auto field
            = [&](const char* key) { return rec.contains(key) ? jsonNumberText(rec[key]) : QStringLiteral("—"); };
        QString recall = QStringLiteral("—");
        if (r.fullMetrics && r.fullMetrics->neighbourRecall)
            recall = display::number(r.fullMetrics->neighbourRecall->mean)
                + (r.fullMetrics->neighbourRecall->k != 10 ? tr(" (k = %1)").arg(r.fullMetrics->neighbourRecall->k)
                                                           : QString());
        m_keyLabels[BitsPerParam][size_t(side)]->setText(display::number(r.bits.bitsPerParam()));
        m_keyLabels[RelMse][size_t(side)]->setText(field("relMse"));
        m_keyLabels[SnrDb][size_t(side)]->setText(field("snrDb"));
        m_keyLabels[Recall][size_t(side)]->setText(recall);
        m_keyLabels[FitSeconds][size_t(side)]->setText(display::number(r.timings.fitSeconds));
    }
}

QString ComparePanel::pointText(int64_t row) const
{
    if (row < 0 || row >= m_model->rowCount())
        return {};
    const std::string* token = m_model->token(int(row));
    QString text = token ? display::quotedToken(*token) + u'\n' : QString();
    text += tr("row %1\nA %2\nB %3\nB / A %4")
                .arg(display::count(row), display::number(m_model->sortValue(int(row), TokenDiffModel::ErrorAColumn)),
                    display::number(m_model->sortValue(int(row), TokenDiffModel::ErrorBColumn)),
                    display::number(m_model->sortValue(int(row), TokenDiffModel::RatioColumn)));
    return text;
}

} // namespace vq
