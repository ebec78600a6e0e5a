#include "codebooksimilaritybox.h"

#include "charts/histogramchart.h"
#include "displaytext.h"
#include "explore/codebookaccess.h"
#include "models/codebookalignmentmodel.h"
#include "runners/codebookrunner.h"
#include "widgets/headerfit.h"
#include "widgets/tableexport.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace vq {

CodebookSimilarityBox::CodebookSimilarityBox(QWidget* parent)
    : QWidget(parent)
    , m_runner(new CodebookRunner(this))
    , m_model(new CodebookAlignmentModel(this))
{
    setObjectName(QStringLiteral("codebookSimilarity"));
    m_arrayCombo = new QComboBox(this);
    m_stageCombo = new QComboBox(this);
    m_groupCombo = new QComboBox(this);
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_histogram = new HistogramChart(this);
    // Titles short enough for the chart's half of a 1024-pixel window; the summary above says it in full.
    m_histogram->setAxisTitles(tr("distance to B / RMS norm of A"), tr("codewords"));

    auto* proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(m_model);
    proxy->setSortRole(Qt::UserRole);
    m_table = new QTableView(this);
    m_table->setModel(proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(CodebookAlignmentModel::DistanceColumn, Qt::DescendingOrder);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    keepHeaderTitlesWhole(m_table);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);
    addTableExportMenu(m_table, QStringLiteral("codebook-alignment.csv"));

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Codes:"), this));
    bar->addWidget(m_arrayCombo);
    bar->addWidget(new QLabel(tr("Stage:"), this));
    bar->addWidget(m_stageCombo);
    bar->addWidget(new QLabel(tr("Group:"), this));
    bar->addWidget(m_groupCombo);
    bar->addStretch(1);
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_histogram);
    split->addWidget(m_table);
    split->setChildrenCollapsible(false);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);

    const auto changed = [this] {
        if (!m_updating)
            setSelection(
                m_arrayCombo->currentIndex(), m_stageCombo->currentIndex(), m_groupCombo->currentData().toInt());
    };
    connect(m_arrayCombo, &QComboBox::currentIndexChanged, this, changed);
    connect(m_stageCombo, &QComboBox::currentIndexChanged, this, changed);
    connect(m_groupCombo, &QComboBox::currentIndexChanged, this, changed);
    connect(m_runner, &CodebookRunner::alignmentReady, this,
        [this](quint64 job, const std::shared_ptr<const CodebookAlignmentResult>& r) {
            if (job != m_job)
                return;
            m_model->setAlignment(r);
            const CodebookAlignment& a = r->alignment;
            const PlotHistogram& h = a.histogram;
            m_histogram->setHistogram(h);
            m_histogram->setTitle(tr("How far each codeword of A is from run B's codebook"));
            m_message.clear();
            m_summary->setText(
                tr("%1 of %2 codewords of A are matched: each is the other's nearest in B's %3. Median distance to "
                   "B: %4 (%5 of A's RMS codeword norm %6; B's is %7).")
                    .arg(display::count(int64_t(a.matchedA.size())), display::count(a.countA), display::count(a.countB),
                        display::number(a.medianDistanceToB),
                        display::number(a.rmsNormA > 0 ? a.medianDistanceToB / a.rmsNormA : 0.0),
                        display::number(a.rmsNormA), display::number(a.rmsNormB)));
        });
    connect(m_runner, &CodebookRunner::failed, this, [this](quint64 job, const QString& message) {
        if (job != m_job)
            return;
        m_model->setAlignment(nullptr);
        m_histogram->clear();
        m_message = message;
        m_summary->setText(message);
    });
}

CodebookSimilarityBox::~CodebookSimilarityBox() = default;

const CodebookAlignmentResult* CodebookSimilarityBox::alignment() const
{
    return m_model->alignment();
}

QString CodebookSimilarityBox::summaryText() const
{
    return m_summary->text();
}

QString CodebookSimilarityBox::messageText() const
{
    return m_message;
}

bool CodebookSimilarityBox::hasChart() const
{
    return m_model->alignment() != nullptr;
}

void CodebookSimilarityBox::setRuns(std::shared_ptr<const RunRecord> a, std::shared_ptr<const RunRecord> b)
{
    if (a == m_a && b == m_b)
        return;
    m_a = std::move(a);
    m_b = std::move(b);
    fillCombos();
    setSelection(m_array, m_stage, m_group);
}

void CodebookSimilarityBox::fillCombos()
{
    m_updating = true;
    m_arrayCombo->clear();
    if (m_a && m_a->table)
        for (int i = 0; i < CodebookAccess::arrayCount(*m_a->table); ++i)
            m_arrayCombo->addItem(display::text(CodebookAccess(*m_a->table, i).source().array));
    m_updating = false;
}

void CodebookSimilarityBox::setSelection(int array, int stage, int group)
{
    m_job = 0;
    m_model->setAlignment(nullptr);
    m_histogram->clear();
    const auto say = [this](const QString& text) {
        m_message = text;
        m_summary->setText(text);
    };
    if (!m_a || !m_b || !m_a->table || !m_b->table) {
        say(tr("Codebook similarity needs the codes of both runs (runs read from a results file have none)."));
        return;
    }
    if (m_arrayCombo->count() == 0 || CodebookAccess::arrayCount(*m_b->table) == 0) {
        say(tr("Codebook similarity compares runs of codebook methods; %1 and %2 are not both such runs.")
                .arg(display::text(m_a->spec.method), display::text(m_b->spec.method)));
        return;
    }
    const CodebookAccess access(*m_a->table, std::clamp(array, 0, m_arrayCombo->count() - 1));
    const bool shared = access.layout().sharedAcrossGroups;
    m_array = access.arrayIndex();
    m_stage = std::clamp(stage, 0, access.stages() - 1);
    m_group = std::clamp(group, shared ? -1 : 0, access.groups() - 1);
    m_updating = true;
    m_arrayCombo->setCurrentIndex(m_array);
    m_stageCombo->clear();
    for (int s = 0; s < access.stages(); ++s)
        m_stageCombo->addItem(tr("%1 of %2").arg(s + 1).arg(access.stages()));
    m_stageCombo->setCurrentIndex(m_stage);
    m_groupCombo->clear();
    if (shared)
        m_groupCombo->addItem(tr("all (shared codebook)"), -1);
    for (int g = 0; g < access.groups(); ++g)
        m_groupCombo->addItem(tr("g%1").arg(g), g);
    m_groupCombo->setCurrentIndex(m_groupCombo->findData(m_group));
    m_updating = false;
    say(tr("Aligning the codebooks…"));
    m_job = m_runner->requestAlignment(m_a, m_b, m_array, m_stage, m_group);
}

} // namespace vq
