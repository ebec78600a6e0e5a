#include "tradeoffpanel.h"

#include "appcontext.h"
#include "charts/tradeoffchart.h"
#include "common/error.h"
#include "displaytext.h"
#include "quant/registry.h"
#include "runners/runqueue.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace vq {

namespace {

// Coalesces bursts of run changes (a queue finishing several runs) into one replot.
constexpr int kReplotDelayMs = 150;

// Every registered method's baseline specs, in registry order.
QList<QuantSpec> baselineSpecs()
{
    QList<QuantSpec> specs;
    for (const Quantizer* q : allQuantizers())
        for (const QuantSpec& spec : q->baselineSpecs())
            specs.append(spec);
    return specs;
}

// The method of a run, or null for one this version does not know.
const Quantizer* methodOf(const std::string& name)
{
    try {
        return &quantizer(name);
    } catch (const Error&) {
        return nullptr;
    }
}

bool isBaselineMethod(const std::string& method)
{
    const Quantizer* q = methodOf(method);
    return q && q->isBaseline();
}

// "rtn 4", "q4_K": short enough to sit beside a marker.
QString baselineLabel(const QuantSpec& spec)
{
    const Quantizer* q = methodOf(spec.method);
    return display::text(q ? q->baselineLabel(spec) : spec.method);
}

// The user's label, else the method and its parameters ("pq d=4 bits=8 …").
QString runName(const RunRecord& record)
{
    if (!record.name.empty())
        return display::text(record.name);
    QString text = display::text(record.spec.method);
    for (const auto& [key, value] : record.spec.params.items())
        text += u' ' + display::text(key) + u'='
            + display::text(value.is_string() ? value.get<std::string>() : value.dump());
    return text;
}

} // namespace

TradeoffPanel::TradeoffPanel(AppContext* context, RunQueue* queue, QWidget* parent)
    : Panel(context, parent)
    , m_queue(queue)
    , m_chart(new TradeoffChart(this))
    , m_metricCombo(new QComboBox(this))
    , m_logCheck(new QCheckBox(tr("Log scale"), this))
    , m_baselinesButton(new QPushButton(tr("Run Baselines"), this))
    , m_status(new QLabel(this))
    , m_timer(new QTimer(this))
{
    setObjectName(QStringLiteral("tradeoffPanel"));
    for (TradeoffMetric m : kTradeoffMetrics)
        m_metricCombo->addItem(QString::fromUtf8(nameOf(m)), int(m));
    QStringList baselines;
    for (const QuantSpec& spec : baselineSpecs())
        baselines.append(baselineLabel(spec));
    m_baselinesButton->setToolTip(
        tr("Queue the baselines the table fits that have no run yet: %1").arg(baselines.join(QStringLiteral(", "))));
    m_timer->setSingleShot(true);
    m_timer->setInterval(kReplotDelayMs);

    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Metric"), this));
    controls->addWidget(m_metricCombo);
    controls->addWidget(m_logCheck);
    controls->addSpacing(18);
    controls->addWidget(m_status, 1);
    controls->addWidget(m_baselinesButton);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(m_chart, 1);

    connect(m_metricCombo, &QComboBox::currentIndexChanged, this,
        [this](int index) { setMetric(TradeoffMetric(m_metricCombo->itemData(index).toInt())); });
    connect(m_logCheck, &QCheckBox::toggled, this, &TradeoffPanel::setLogY);
    connect(m_chart, &TradeoffChart::logYChanged, m_logCheck, &QCheckBox::setChecked);
    connect(m_baselinesButton, &QPushButton::clicked, this, [this] { runBaselines(); });
    connect(m_chart, &TradeoffChart::pointClicked, this, &TradeoffPanel::selectRun);
    connect(m_timer, &QTimer::timeout, this, &TradeoffPanel::refresh);

    connect(context, &AppContext::runAdded, this, &TradeoffPanel::scheduleRefresh);
    connect(context, &AppContext::runChanged, this, &TradeoffPanel::scheduleRefresh);
    connect(context, &AppContext::runRemoved, this, &TradeoffPanel::scheduleRefresh);
    connect(context, &AppContext::runsReset, this, &TradeoffPanel::scheduleRefresh);
    connect(context, &AppContext::tableChanged, this, &TradeoffPanel::scheduleRefresh);
    connect(context, &AppContext::selectionChanged, this,
        [this] { m_chart->setSelectedKeys(this->context()->selectedRuns()); });
    setLogY(lowerIsBetter(m_metric));
    refresh();
}

QString TradeoffPanel::title() const
{
    return tr("Trade-off");
}

void TradeoffPanel::setMetric(TradeoffMetric metric)
{
    m_metric = metric;
    m_metricCombo->setCurrentIndex(m_metricCombo->findData(int(metric)));
    // Errors and divergences span decades; SNR, recall and agreement do not.
    setLogY(lowerIsBetter(metric));
    refresh();
}

void TradeoffPanel::setLogY(bool on)
{
    m_logCheck->setChecked(on);
    m_chart->setLogY(on);
}

void TradeoffPanel::scheduleRefresh()
{
    m_timer->start();
}

void TradeoffPanel::refresh()
{
    m_timer->stop();
    std::vector<TradeoffPoint> points;
    int finished = 0;
    for (const RunEntry& e : context()->runs()) {
        if (e.preview || !e.record || e.record->status != RunStatus::Done)
            continue;
        ++finished;
        const std::optional<double> value = tradeoffValue(e.record->metrics, m_metric);
        if (!value)
            continue;
        TradeoffPoint p;
        p.key = e.key;
        p.bitsPerParam = e.record->bits.bitsPerParam();
        p.value = *value;
        p.method = display::text(e.record->spec.method);
        p.name = runName(*e.record);
        p.baseline = isBaselineMethod(e.record->spec.method);
        p.label = p.baseline ? baselineLabel(e.record->spec) : QString();
        points.push_back(std::move(p));
    }
    // A table stored quantized (Q4_K, Q8_0 ...) already costs that many bits: the bar to beat.
    const auto& table = context()->table();
    if (table && table->storedBitsPerValue > 0 && table->storedBitsPerValue < 16)
        m_chart->setReference(
            table->storedBitsPerValue, tr("%1 as stored").arg(display::text(storedTypeName(table->source))));
    else
        m_chart->setReference(qQNaN(), {});
    const int shown = int(points.size());
    m_chart->setPoints(std::move(points), QString::fromUtf8(nameOf(m_metric)), lowerIsBetter(m_metric));
    m_chart->setSelectedKeys(context()->selectedRuns());
    QString status = tr("%n finished run(s)", nullptr, finished);
    if (shown < finished)
        status += tr(", %1 without %2").arg(finished - shown).arg(QString::fromUtf8(nameOf(m_metric)));
    if (int(m_chart->points().size()) < shown)
        status += tr(", %1 not positive (hidden on the log scale)").arg(shown - int(m_chart->points().size()));
    m_status->setText(status);
    updateButton();
}

void TradeoffPanel::updateButton()
{
    const QList<QuantSpec> missing = missingBaselines();
    m_baselinesButton->setEnabled(m_queue && context()->hasTable() && !missing.isEmpty());
    m_baselinesButton->setText(missing.isEmpty() || !context()->hasTable()
            ? tr("Run Baselines")
            : tr("Run %n Baseline(s)", nullptr, int(missing.size())));
}

QList<QuantSpec> TradeoffPanel::missingBaselines() const
{
    QList<QuantSpec> missing;
    for (const QuantSpec& spec : baselineSpecs()) {
        bool present = false;
        for (const RunEntry& e : context()->runs()) {
            if (e.preview || !e.record || e.record->spec.method != spec.method)
                continue;
            const RunStatus s = e.record->status;
            if (s == RunStatus::Failed || s == RunStatus::Cancelled)
                continue;
            if (!quantizer(spec.method).isSameBaseline(e.record->spec, spec))
                continue;
            present = true;
            break;
        }
        if (present)
            continue;
        // Only what this table accepts (block formats need rows of whole blocks).
        try {
            if (context()->hasTable())
                quantizer(spec.method).validate(spec, context()->table()->rows(), context()->table()->dim());
            missing.append(spec);
        } catch (const Error&) {
        }
    }
    return missing;
}

int TradeoffPanel::runBaselines()
{
    if (!m_queue || !context()->hasTable())
        return 0;
    int queued = 0;
    for (const QuantSpec& spec : missingBaselines()) {
        try {
            m_queue->enqueue(spec);
            ++queued;
        } catch (const Error& e) {
            m_status->setText(tr("Could not queue %1: %2").arg(baselineLabel(spec), display::text(e.message())));
        }
    }
    updateButton();
    return queued;
}

void TradeoffPanel::selectRun(quint64 key, Qt::KeyboardModifiers modifiers)
{
    if (!context()->run(key))
        return;
    if (modifiers & Qt::ControlModifier) {
        QList<RunKey> keys = context()->selectedRuns();
        if (keys.contains(key))
            keys.removeAll(key);
        else
            keys.append(key);
        context()->setSelectedRuns(keys);
    } else {
        context()->setCurrentRun(key);
    }
}

QList<QPair<QString, QImage>> TradeoffPanel::reportImages() const
{
    return { { tr("Bits per parameter against accuracy, every run"), m_chart->grab().toImage() } };
}

} // namespace vq
