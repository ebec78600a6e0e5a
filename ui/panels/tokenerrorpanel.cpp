#include "tokenerrorpanel.h"

#include "charts/histogramchart.h"
#include "charts/tokenerrorchart.h"
#include "displaytext.h"
#include "metrics/thinning.h"
#include "models/tokendiffmodel.h"
#include "models/tokenerrormodel.h"
#include "models/tokenerrorproxymodel.h"
#include "widgets/tableexport.h"
#include "widgets/tokentablebox.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace vq {

namespace {

constexpr int kHistogramBins = 64;

bool isFinished(const RunEntry* entry)
{
    return entry && entry->record && entry->record->status == RunStatus::Done && entry->record->fullMetrics;
}

} // namespace

TokenErrorPanel::TokenErrorPanel(AppContext* context, QWidget* parent)
    : Panel(context, parent)
    , m_model(new TokenErrorModel(this))
    , m_proxy(new TokenErrorProxyModel(this))
{
    setObjectName(QStringLiteral("tokenErrorPanel"));
    m_proxy->setSourceModel(m_model);

    m_stack = new QStackedWidget(this);
    m_emptyLabel = new QLabel(tr("Select a finished run to see which tokens it reconstructs badly."), m_stack);
    m_emptyLabel->setAlignment(Qt::AlignCenter);
    m_emptyLabel->setWordWrap(true);
    m_stack->addWidget(m_emptyLabel);

    auto* page = new QWidget(m_stack);
    m_runLabel = new QLabel(page);
    m_runLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont bold = m_runLabel->font();
    bold.setBold(true);
    m_runLabel->setFont(bold);
    m_metricCombo = new QComboBox(page);
    m_metricCombo->setObjectName(QStringLiteral("tokenErrorMetric"));
    m_metricCombo->addItem(tr("Relative error ‖e − ê‖² / ‖e‖²"), int(TokenErrorMetric::RelError));
    m_metricCombo->addItem(tr("MSE ‖e − ê‖² / n"), int(TokenErrorMetric::Mse));
    m_metricCombo->addItem(tr("1 − cosine(e, ê)"), int(TokenErrorMetric::CosineDistance));
    m_logCheck = new QCheckBox(tr("Log scale"), page);
    m_logCheck->setObjectName(QStringLiteral("tokenErrorLogScale"));
    m_logCheck->setChecked(m_logScale);
    m_logCheck->setToolTip(tr("Errors span decades: log10 x axis of the histogram, log10 y axis of the row chart"));
    m_summary = new QLabel(page);
    m_summary->setObjectName(QStringLiteral("tokenErrorSummary"));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* bar = new QHBoxLayout;
    bar->addWidget(m_runLabel);
    bar->addStretch(1);
    bar->addWidget(new QLabel(tr("Error:"), page));
    bar->addWidget(m_metricCombo);
    bar->addWidget(m_logCheck);

    m_histogram = new HistogramChart(page);
    m_histogram->setObjectName(QStringLiteral("tokenErrorHistogram"));
    m_histogram->setAxisTitles(tr("error"), tr("tokens"));
    m_histogram->setCountNoun(tr("tokens"));
    m_rowChart = new TokenErrorChart(page);
    m_rowChart->setObjectName(QStringLiteral("tokenErrorRowChart"));
    m_rowChart->setPointText([this](int64_t row) { return pointText(row); });
    auto* charts = new QSplitter(Qt::Horizontal, page);
    charts->addWidget(m_histogram);
    charts->addWidget(m_rowChart);
    charts->setChildrenCollapsible(false);

    const TokenTableBox tokenTable = makeTokenTableBox(
        m_proxy, TokenErrorModel::RelErrorColumn, tr("Tokens, worst first:"), QStringLiteral("token-errors.csv"), page);
    m_search = tokenTable.search;
    m_search->setObjectName(QStringLiteral("tokenSearch"));
    m_table = tokenTable.table;
    m_table->setObjectName(QStringLiteral("tokenErrorTable"));
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    QWidget* tableBox = tokenTable.box;

    auto* vertical = new QSplitter(Qt::Vertical, page);
    vertical->addWidget(charts);
    vertical->addWidget(tableBox);
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 2);
    vertical->setSizes({ 460, 300 });
    vertical->setChildrenCollapsible(false);

    auto* pageLayout = new QVBoxLayout(page);
    pageLayout->addLayout(bar);
    pageLayout->addWidget(m_summary);
    pageLayout->addWidget(vertical, 1);
    m_stack->addWidget(page);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_stack);

    connect(m_metricCombo, &QComboBox::currentIndexChanged, this,
        [this](int index) { setMetric(TokenErrorMetric(m_metricCombo->itemData(index).toInt())); });
    connect(m_logCheck, &QCheckBox::toggled, this, &TokenErrorPanel::setLogScale);
    connect(m_search, &QLineEdit::textChanged, m_proxy, &TokenErrorProxyModel::setSearchText);
    connect(m_rowChart, &TokenErrorChart::pointClicked, this, [this](qint64 row) { selectToken(row); });
    m_table->setToolTip(tr("Double-click a token to see its path through the codebooks"));
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        this->context()->requestTokenPath(index.data(TokenErrorModel::TableRowRole).toLongLong());
    });
    connect(
        m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
            if (current.isValid())
                m_rowChart->setMarkedRow(m_proxy->mapToSource(current).row());
        });

    const auto sync = [this] { syncWhenVisible(); };
    connect(context, &AppContext::selectionChanged, this, sync);
    connect(context, &AppContext::runChanged, this, [this](RunKey key) {
        if (key == this->context()->currentRun())
            syncWhenVisible();
    });
    connect(context, &AppContext::runRemoved, this, sync);
    connect(context, &AppContext::runsReset, this, sync);
    connect(context, &AppContext::tableChanged, this, sync);
    refresh();
}

bool TokenErrorPanel::isShowingEmptyState() const
{
    return m_stack->currentWidget() == m_emptyLabel;
}

QString TokenErrorPanel::emptyStateText() const
{
    return m_emptyLabel->text();
}

std::shared_ptr<const std::vector<float>> TokenErrorPanel::normsFor(const std::shared_ptr<const EmbeddingTable>& table)
{
    if (!table)
        return nullptr;
    // The loader computed them with the table's statistics (off the GUI thread); share, don't copy.
    const std::shared_ptr<const TableStats>& stats = context()->stats();
    if (table == context()->table() && stats && int64_t(stats->rowNorms.size()) == table->rows())
        return std::shared_ptr<const std::vector<float>>(stats, &stats->rowNorms);
    // A table without statistics (built in code): once per table, a pass over rows x dim values.
    if (m_normsTable != table.get() || !m_norms) {
        m_norms = std::make_shared<const std::vector<float>>(rowNorms(table->values));
        m_normsTable = table.get();
    }
    return m_norms;
}

void TokenErrorPanel::refresh()
{
    const RunEntry* entry = context()->currentEntry();
    if (!isFinished(entry)) {
        m_key = 0;
        m_record.reset();
        m_tokens.reset();
        m_series = {};
        m_rowChart->clear();
        m_histogram->clear();
        m_model->clear();
        QString text = tr("Select a finished run to see which tokens it reconstructs badly.");
        if (entry && entry->record) {
            switch (entry->record->status) {
            case RunStatus::Queued:
            case RunStatus::Running:
                text = tr("The selected run has not finished: its per-token errors appear when it is done.");
                break;
            case RunStatus::Failed:
            case RunStatus::Cancelled:
            case RunStatus::Interrupted:
                text = tr("The selected run did not finish, so it has no per-token errors. Select a finished run.");
                break;
            case RunStatus::Done:
                text = tr(
                    "The selected run has no per-token errors (it was read from a file): run it again to see them.");
                break;
            }
        }
        m_emptyLabel->setText(text);
        m_stack->setCurrentWidget(m_emptyLabel);
        return;
    }
    const auto& table = context()->table();
    const int64_t rows = entry->record->fullMetrics->reconstruction.rows;
    const auto& sample = entry->record->sampleRows;
    // Token strings and norms only from the table the run was made on; a preview sampled the rows of the
    // loaded table (previews go when the table changes).
    const bool matches = table
        && (sample ? entry->preview && !sample->empty() && sample->back() < table->rows()
                   : table->rows() == rows
                    && (entry->record->provenance.checksum.empty() || table->source.checksum.empty()
                        || entry->record->provenance.checksum == table->source.checksum));
    std::shared_ptr<const EmbeddingTable> tokens = matches ? table : nullptr;
    const bool sameData = m_record && m_record->fullMetrics == entry->record->fullMetrics && m_tokens == tokens;
    m_key = entry->key;
    m_record = entry->record;
    m_runLabel->setText(display::runName(*m_record));
    m_stack->setCurrentIndex(1);
    if (sameData)
        return; // a rename: the same vectors
    m_tokens = tokens;
    m_model->setRun(m_record, m_tokens, matches ? normsFor(table) : nullptr);
    updatePlots();
}

void TokenErrorPanel::setMetric(TokenErrorMetric metric)
{
    if (metric == m_metric)
        return;
    m_metric = metric;
    const int index = m_metricCombo->findData(int(metric));
    if (index != m_metricCombo->currentIndex())
        m_metricCombo->setCurrentIndex(index);
    updatePlots();
}

void TokenErrorPanel::setLogScale(bool on)
{
    if (on == m_logScale)
        return;
    m_logScale = on;
    m_logCheck->setChecked(on);
    updatePlots();
}

void TokenErrorPanel::updatePlots()
{
    if (!m_record) {
        m_series = {};
        m_rowChart->clear();
        m_histogram->clear();
        m_summary->clear();
        return;
    }
    const ReconstructionMetrics& metrics = m_record->fullMetrics->reconstruction;
    m_series = tokenErrorSeries(metrics, m_metric, m_seriesStorage);
    const QString name = tokenErrorMetricTitle(m_metric);

    HistogramOptions options;
    options.bins = kHistogramBins;
    options.logScale = m_logScale;
    const PlotHistogram histogram = makeHistogram(m_series, options);
    m_histogram->setHistogram(histogram);
    QString histogramTitle = tr("Distribution of the per-token %1").arg(name);
    if (histogram.below > 0)
        histogramTitle += tr(" (%1 tokens at 0 not shown)").arg(display::count(histogram.below));
    if (histogram.nonFinite > 0)
        histogramTitle += tr(" (%1 non-finite)").arg(display::count(histogram.nonFinite));
    m_histogram->setTitle(histogramTitle);
    m_histogram->setAxisTitles(name, tr("tokens"));

    m_rowChart->setLogY(m_logScale);
    m_rowChart->setSeries(m_series);
    m_rowChart->setTitle(tr("Per-token %1 by row (lowest and highest token of each pixel column)").arg(name));
    m_rowChart->setAxisTitles(m_record->sampleRows ? tr("sampled token (in row order)") : tr("token row"), name);

    const TokenPercentiles& p = tokenErrorPercentiles(metrics, m_metric);
    m_summary->setText(tr("%1 over %2 tokens:  p50 %3 · p90 %4 · p99 %5 · max %6")
                           .arg(name, display::count(metrics.rows), display::number(p.p50), display::number(p.p90),
                               display::number(p.p99), display::number(p.max)));
}

QString TokenErrorPanel::pointText(int64_t row) const
{
    if (!m_record || row < 0 || row >= m_model->rowCount())
        return {};
    const std::string* token = m_model->token(int(row));
    QString text = token ? display::quotedToken(*token) : QString();
    text += tr("\nrow %1").arg(display::count(m_model->tableRow(int(row))));
    const auto value = [&](int column) { return display::number(m_model->sortValue(int(row), column)); };
    text += tr("\nrel. error %1\nMSE %2\n1 − cosine %3")
                .arg(value(TokenErrorModel::RelErrorColumn), value(TokenErrorModel::MseColumn),
                    value(TokenErrorModel::CosineDistanceColumn));
    return text.trimmed();
}

void TokenErrorPanel::selectToken(int64_t row)
{
    if (row < 0 || row >= m_model->rowCount())
        return;
    QModelIndex index = m_proxy->mapFromSource(m_model->index(int(row), 0));
    if (!index.isValid()) {
        m_search->clear();
        index = m_proxy->mapFromSource(m_model->index(int(row), 0));
    }
    m_table->selectRow(index.row());
    m_table->scrollTo(index, QAbstractItemView::PositionAtCenter);
    m_rowChart->setMarkedRow(row);
}

QList<QPair<QString, QImage>> TokenErrorPanel::reportImages() const
{
    if (isShowingEmptyState())
        return {};
    return { { tr("Distribution of the per-token error"), m_histogram->grab().toImage() },
        { tr("Per-token error by row"), m_rowChart->grab().toImage() } };
}

} // namespace vq
