#include "summarypanel.h"

#include "appcontext.h"
#include "charts/histogramchart.h"
#include "displaytext.h"
#include "models/outlierdimsmodel.h"
#include "models/percentilemodel.h"
#include "widgets/tableexport.h"

#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>

namespace vq {

namespace {

constexpr int kFirstTokens = 10;

QTableView* makeTableView(QAbstractItemModel* model, const QString& csvName, QWidget* parent)
{
    auto* view = new QTableView(parent);
    view->setModel(model);
    addTableExportMenu(view, csvName);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    // Exactly as tall as its rows (up to a limit), so a short table leaves no empty white box.
    view->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    auto fit = [view] {
        constexpr int kMaxVisibleRows = 16;
        const int rows = std::min(view->model()->rowCount(), kMaxVisibleRows);
        view->setFixedHeight(view->horizontalHeader()->sizeHint().height()
            + rows * view->verticalHeader()->defaultSectionSize() + 2 * view->frameWidth());
    };
    QObject::connect(model, &QAbstractItemModel::modelReset, view, fit);
    fit();
    return view;
}

// Visible quotes, with control characters escaped, so a token such as " " or "\n" can be seen.
QString quoted(const std::string& token)
{
    QString t = display::text(token);
    t.replace(QLatin1Char('\n'), QStringLiteral("\\n")).replace(QLatin1Char('\t'), QStringLiteral("\\t"));
    return u'"' + t + u'"';
}

} // namespace

SummaryPanel::SummaryPanel(AppContext* context, QWidget* parent)
    : Panel(context, parent)
    , m_percentiles(new PercentileModel(tr("Row norm"), this))
    , m_outliers(new OutlierDimsModel(this))
{
    setObjectName(QStringLiteral("summaryPanel"));
    auto* sourceBox = new QGroupBox(tr("Source"), this);
    auto* sourceForm = new QFormLayout(sourceBox);
    addField(sourceForm, QStringLiteral("file"), tr("File"));
    addField(sourceForm, QStringLiteral("folder"), tr("Folder"));
    addField(sourceForm, QStringLiteral("format"), tr("Format"));
    addField(sourceForm, QStringLiteral("tensor"), tr("Tensor"));
    addField(sourceForm, QStringLiteral("reason"), tr("Picked because"));
    addField(sourceForm, QStringLiteral("dtype"), tr("Stored as"));
    addField(sourceForm, QStringLiteral("checksum"), tr("Checksum"));
    m_fields.value(QStringLiteral("checksum"))->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    auto* tableBox = new QGroupBox(tr("Table"), this);
    auto* tableForm = new QFormLayout(tableBox);
    addField(tableForm, QStringLiteral("shape"), tr("Shape (tokens × dims)"));
    addField(tableForm, QStringLiteral("tiedHead"), tr("Tied output head"));
    addField(tableForm, QStringLiteral("tokenSource"), tr("Token strings"));
    addField(tableForm, QStringLiteral("tokenCount"), tr("Token count"));
    addField(tableForm, QStringLiteral("firstTokens"), tr("First tokens"));

    auto* valuesBox = new QGroupBox(tr("Values"), this);
    auto* valuesForm = new QFormLayout(valuesBox);
    addField(valuesForm, QStringLiteral("nan"), tr("NaN"));
    addField(valuesForm, QStringLiteral("inf"), tr("Inf"));
    addField(valuesForm, QStringLiteral("mean"), tr("Mean"));
    addField(valuesForm, QStringLiteral("std"), tr("Std"));
    addField(valuesForm, QStringLiteral("min"), tr("Min"));
    addField(valuesForm, QStringLiteral("max"), tr("Max"));

    auto* top = new QHBoxLayout;
    top->addWidget(sourceBox, 3);
    top->addWidget(tableBox, 3);
    top->addWidget(valuesBox, 1);

    auto* normsBox = new QGroupBox(tr("Row L2 norms"), this);
    auto* normsLayout = new QHBoxLayout(normsBox);
    auto* percentileView = makeTableView(m_percentiles, QStringLiteral("row-norm-percentiles.csv"), normsBox);
    percentileView->setObjectName(QStringLiteral("percentileView"));
    percentileView->setMinimumWidth(200);
    percentileView->setMaximumWidth(260);
    auto* percentileColumn = new QVBoxLayout;
    percentileColumn->addWidget(percentileView);
    percentileColumn->addStretch();
    normsLayout->addLayout(percentileColumn);
    m_histogram = new HistogramChart(normsBox);
    m_histogram->setObjectName(QStringLiteral("rowNormHistogram"));
    m_histogram->setAxisTitles(tr("row L2 norm"), tr("rows"));
    normsLayout->addWidget(m_histogram, 1);

    auto* outlierBox = new QGroupBox(tr("Outlier dimensions"), this);
    auto* outlierLayout = new QVBoxLayout(outlierBox);
    auto* outlierLabel = new QLabel(outlierBox);
    outlierLabel->setWordWrap(true);
    outlierLabel->setTextFormat(Qt::PlainText);
    m_fields.insert(QStringLiteral("outliers"), outlierLabel);
    outlierLayout->addWidget(outlierLabel);
    m_outlierView = makeTableView(m_outliers, QStringLiteral("outlier-dimensions.csv"), outlierBox);
    m_outlierView->setObjectName(QStringLiteral("outlierView"));
    outlierLayout->addWidget(m_outlierView);
    outlierLayout->addStretch();
    outlierBox->setMinimumWidth(220);
    outlierBox->setMaximumWidth(300);

    auto* bottom = new QHBoxLayout;
    bottom->addWidget(normsBox, 1);
    bottom->addWidget(outlierBox);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(bottom, 1);

    connect(context, &AppContext::tableChanged, this, &SummaryPanel::updateFromContext);
    updateFromContext();
}

QString SummaryPanel::title() const
{
    return tr("Summary");
}

QString SummaryPanel::fieldText(const QString& key) const
{
    const QLabel* label = m_fields.value(key);
    return label ? label->text() : QString();
}

void SummaryPanel::addField(QFormLayout* form, const QString& key, const QString& label)
{
    auto* value = new QLabel(form->parentWidget());
    value->setObjectName(key);
    value->setTextFormat(Qt::PlainText);
    value->setTextInteractionFlags(Qt::TextSelectableByMouse);
    value->setWordWrap(true);
    form->addRow(label + u':', value);
    m_fields.insert(key, value);
}

void SummaryPanel::setField(const QString& key, const QString& text, const QString& toolTip)
{
    QLabel* label = m_fields.value(key);
    Q_ASSERT(label);
    label->setText(text);
    label->setToolTip(toolTip);
}

void SummaryPanel::setHighlighted(const QString& key, bool on)
{
    QLabel* label = m_fields.value(key);
    label->setStyleSheet(on ? QStringLiteral("color: #b00020; font-weight: bold;") : QString());
}

void SummaryPanel::updateFromContext()
{
    const auto& table = context()->table();
    const auto& stats = context()->stats();
    if (!table || !stats) {
        for (QLabel* label : std::as_const(m_fields))
            label->clear();
        m_percentiles->setPercentiles({});
        m_outliers->setStats(nullptr);
        m_histogram->clear();
        m_histogram->setTitle({});
        return;
    }

    const TableSource& source = table->source;
    const QFileInfo file(display::text(source.file));
    setField(QStringLiteral("file"), file.fileName(), file.absoluteFilePath());
    setField(QStringLiteral("folder"), file.absolutePath(), file.absolutePath());
    setField(QStringLiteral("format"), display::text(source.format));
    setField(QStringLiteral("tensor"), display::text(source.tensor));
    setField(QStringLiteral("reason"), display::text(source.selectionReason));
    setField(QStringLiteral("dtype"),
        tr("%1; %2 (loaded as float32)").arg(display::text(storedAsText(*table)), display::shape(source.storedShape)));
    setField(QStringLiteral("checksum"), display::text(source.checksum));

    setField(QStringLiteral("shape"), display::shape({ table->rows(), table->dim() }));
    // The loader's reason already says "unknown (...)" when it cannot tell.
    const QString tiedReason = display::text(table->tiedReason);
    QString tied = tiedReason.isEmpty() ? tr("unknown") : tiedReason;
    if (table->tiedHead) {
        tied = *table->tiedHead ? tr("yes") : tr("no");
        if (!tiedReason.isEmpty())
            tied += u" (" + tiedReason + u')';
    }
    setField(QStringLiteral("tiedHead"), tied);

    if (table->tokens.empty()) {
        setField(QStringLiteral("tokenSource"), tr("none found (rows are shown by index)"));
        setField(QStringLiteral("tokenCount"), QStringLiteral("0"));
        setField(QStringLiteral("firstTokens"), QString());
    } else {
        setField(QStringLiteral("tokenSource"), display::text(table->tokenSource));
        setField(QStringLiteral("tokenCount"), display::count(int64_t(table->tokens.size())));
        QStringList first;
        const size_t n = std::min<size_t>(kFirstTokens, table->tokens.size());
        for (size_t i = 0; i < n; ++i)
            first << quoted(table->tokens[i]);
        if (table->tokens.size() > n)
            first << QStringLiteral("…");
        setField(QStringLiteral("firstTokens"), first.join(u' '));
    }

    setField(QStringLiteral("nan"), display::count(stats->nanCount));
    setHighlighted(QStringLiteral("nan"), stats->nanCount > 0);
    QString inf = display::count(stats->infCount);
    if (stats->nonFiniteRows > 0)
        inf += tr(" (%1 rows with NaN/Inf)").arg(display::count(stats->nonFiniteRows));
    setField(QStringLiteral("inf"), inf);
    setHighlighted(QStringLiteral("inf"), stats->infCount > 0);
    setField(QStringLiteral("mean"), display::number(stats->mean));
    setField(QStringLiteral("std"), display::number(stats->stddev));
    setField(QStringLiteral("min"), display::number(stats->minValue));
    setField(QStringLiteral("max"), display::number(stats->maxValue));

    m_percentiles->setPercentiles(stats->rowNormPercentiles);
    m_outliers->setStats(stats);
    const QString rule = display::text(stats->outlierRule);
    if (stats->outlierDims.empty())
        setField(QStringLiteral("outliers"), tr("None (%1).").arg(rule));
    else
        setField(
            QStringLiteral("outliers"), tr("%n dimension(s), %1:", nullptr, int(stats->outlierDims.size())).arg(rule));
    m_outlierView->setVisible(!stats->outlierDims.empty());

    m_histogram->setHistogram(stats->rowNormHistogram);
    m_histogram->setTitle(tr("Row L2 norms of %n rows", nullptr, int(table->rows())));
}

QList<QPair<QString, QImage>> SummaryPanel::reportImages() const
{
    if (!context()->hasTable())
        return {};
    return { { tr("Row L2 norms of the table"), m_histogram->grab().toImage() } };
}

} // namespace vq
