#include "methodpanel.h"

#include "common/error.h"
#include "dialogs/sweepdialog.h"
#include "displaytext.h"
#include "quant/registry.h"
#include "quant/specfit.h"
#include "runners/previewrunner.h"
#include "runners/runqueue.h"
#include "widgets/estimateview.h"
#include "widgets/paramform.h"
#include "widgets/wheelguard.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

#include <climits>

namespace vq {

namespace {

enum WeightsMode { Uniform, Zipf, Counts };
enum LogitMode { LogitAuto, LogitOn, LogitOff };

constexpr int kDefaultSeed = 0x5eed;

QGroupBox* makeGroup(const QString& title, QWidget* parent)
{
    auto* box = new QGroupBox(title, parent);
    box->setFlat(true);
    return box;
}

// Long entries ("CARVQ (corrective adaptor + group RVQ)") must not widen the dock past ~320 px: the
// combo shrinks and elides, the popup still shows the whole text.
void narrow(QComboBox* combo)
{
    combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo->setMinimumContentsLength(8);
}

} // namespace

MethodPanel::MethodPanel(AppContext* context, RunQueue* queue, QWidget* parent)
    : Panel(context, parent)
    , m_queue(queue)
    , m_previewRunner(new PreviewRunner(context, this))
    , m_previewTimer(new QTimer(this))
{
    Q_ASSERT(queue);
    setObjectName(QStringLiteral("methodPanel"));
    m_previewTimer->setSingleShot(true);
    m_previewTimer->setInterval(kPreviewDelayMs);
    connect(m_previewTimer, &QTimer::timeout, this, &MethodPanel::startPreview);

    auto* content = new QWidget;
    auto* contentLayout = new QVBoxLayout(content);
    contentLayout->setContentsMargins(6, 6, 6, 6);
    contentLayout->addWidget(createMethodBox());

    auto* paramsBox = makeGroup(tr("Parameters"), content);
    m_form = new ParamForm(paramsBox);
    m_form->setObjectName(QStringLiteral("paramForm"));
    auto* paramsLayout = new QVBoxLayout(paramsBox);
    paramsLayout->addWidget(m_form);
    contentLayout->addWidget(paramsBox);

    auto* costBox = makeGroup(tr("Cost"), content);
    m_costTitle = new QLabel(costBox);
    m_costTitle->setWordWrap(true);
    m_estimate = new EstimateView(costBox);
    m_estimate->setObjectName(QStringLiteral("estimateView"));
    auto* costLayout = new QVBoxLayout(costBox);
    costLayout->addWidget(m_costTitle);
    costLayout->addWidget(m_estimate);
    contentLayout->addWidget(costBox);

    contentLayout->addWidget(createOptionsBox());
    contentLayout->addStretch(1);

    auto* scroll = new QScrollArea(this);
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    // Always visible below the scrolled form: preview and the run buttons.
    m_previewCheck = new QCheckBox(tr("Preview"), this);
    m_previewCheck->setObjectName(QStringLiteral("previewCheck"));
    m_previewCheck->setToolTip(tr("Run the spec on a seeded sample of %1 rows after each edit and show the result "
                                  "as the preview run")
                                   .arg(m_previewRunner->sampleRows()));
    m_runFullButton = new QPushButton(tr("Run full"), this);
    m_runFullButton->setObjectName(QStringLiteral("runFullButton"));
    m_runFullButton->setToolTip(tr("Queue the previewed spec on the whole table"));
    m_previewStatus = new QLabel(this);
    m_previewStatus->setObjectName(QStringLiteral("previewStatus"));
    m_previewStatus->setWordWrap(true);
    m_sweepButton = new QPushButton(tr("Sweep…"), this);
    m_sweepButton->setObjectName(QStringLiteral("sweepButton"));
    m_sweepButton->setToolTip(tr("Queue one run per value of a parameter"));
    m_runButton = new QPushButton(tr("Run"), this);
    m_runButton->setObjectName(QStringLiteral("runButton"));
    m_runButton->setDefault(true);
    m_runButton->setToolTip(tr("Queue this spec on the whole table"));
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("methodMessage"));
    m_message->setWordWrap(true);
    m_message->hide();
    m_verdict = new QLabel(this);
    m_verdict->setObjectName(QStringLiteral("methodVerdict"));
    m_verdict->setWordWrap(true);
    m_verdict->setTextFormat(Qt::RichText);
    m_verdict->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse);
    connect(m_verdict, &QLabel::linkActivated, this, [this] {
        if (!m_fix.method.empty())
            loadFitted(m_fix, false);
    });

    auto* previewRow = new QHBoxLayout;
    previewRow->addWidget(m_previewCheck);
    previewRow->addStretch(1);
    previewRow->addWidget(m_runFullButton);
    auto* buttonRow = new QHBoxLayout;
    buttonRow->addStretch(1);
    buttonRow->addWidget(m_sweepButton);
    buttonRow->addWidget(m_runButton);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 6);
    layout->addWidget(scroll, 1);
    auto* bottom = new QVBoxLayout;
    bottom->setContentsMargins(8, 0, 8, 0);
    bottom->addLayout(previewRow);
    bottom->addWidget(m_previewStatus);
    bottom->addWidget(m_message);
    // Below the scrolled form, beside Run: the cost or the refusal is never out of sight.
    bottom->addWidget(m_verdict);
    bottom->addLayout(buttonRow);
    layout->addLayout(bottom);

    m_runAction = new QAction(tr("&Run"), this);
    m_runAction->setObjectName(QStringLiteral("runAction"));
    m_runAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    m_runAction->setStatusTip(tr("Queue the method form's spec on the whole table"));
    connect(m_runAction, &QAction::triggered, this, [this] { queueRun(); });
    m_runFullAction = new QAction(tr("Run &Full from Preview"), this);
    m_runFullAction->setObjectName(QStringLiteral("runFullAction"));
    m_runFullAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    m_runFullAction->setStatusTip(tr("Queue the previewed spec on the whole table"));
    connect(m_runFullAction, &QAction::triggered, this, &MethodPanel::runFull);
    m_sweepAction = new QAction(tr("&Sweep…"), this);
    m_sweepAction->setObjectName(QStringLiteral("sweepAction"));
    m_sweepAction->setStatusTip(tr("Queue one run per value of a parameter"));
    connect(m_sweepAction, &QAction::triggered, this, [this] { openSweepDialog(); });
    m_previewAction = new QAction(tr("&Preview While Editing"), this);
    m_previewAction->setObjectName(QStringLiteral("previewAction"));
    m_previewAction->setCheckable(true);
    m_previewAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));
    m_previewAction->setStatusTip(tr("Run the spec on a sample of rows after each edit"));
    connect(m_previewAction, &QAction::toggled, m_previewCheck, &QCheckBox::setChecked);
    connect(m_previewCheck, &QCheckBox::toggled, m_previewAction, &QAction::setChecked);
    m_runButton->setToolTip(
        tr("Queue this spec on the whole table (%1)").arg(m_runAction->shortcut().toString(QKeySequence::NativeText)));
    m_runFullButton->setToolTip(tr("Queue the previewed spec on the whole table (%1)")
                                    .arg(m_runFullAction->shortcut().toString(QKeySequence::NativeText)));

    connect(m_form, &ParamForm::specChanged, this, &MethodPanel::onSpecEdited);
    connect(m_runButton, &QPushButton::clicked, this, [this] { queueRun(); });
    connect(m_sweepButton, &QPushButton::clicked, this, [this] { openSweepDialog(); });
    connect(m_runFullButton, &QPushButton::clicked, this, &MethodPanel::runFull);
    connect(m_previewCheck, &QCheckBox::toggled, this, [this](bool on) {
        if (on) {
            schedulePreview();
        } else {
            m_previewTimer->stop();
            m_previewRunner->cancel();
            m_previewStatus->clear();
        }
        updateButtons();
    });
    connect(m_previewRunner, &PreviewRunner::progress, this, [this](quint64, const QString& stage, double fraction) {
        m_previewStatus->setText(tr("Preview: %1 %2%").arg(stage).arg(qRound(fraction * 100)));
    });
    connect(m_previewRunner, &PreviewRunner::started, this,
        [this] { m_previewStatus->setText(tr("Preview: starting on %1 rows…").arg(m_previewRunner->sampleRows())); });
    connect(m_previewRunner, &PreviewRunner::finished, this, [this](quint64, RunKey key) {
        const RunEntry* entry = this->context()->run(key);
        if (entry && entry->record->metrics.contains("reconstruction"))
            m_previewStatus->setText(
                tr("Preview of %1 rows: relMSE %2")
                    .arg(entry->record->provenance.rows)
                    .arg(display::number(entry->record->metrics["reconstruction"].value("relMse", 0.0))));
        updateButtons();
    });
    connect(m_previewRunner, &PreviewRunner::failed, this,
        [this](quint64, const QString& message) { m_previewStatus->setText(tr("Preview failed: %1").arg(message)); });
    connect(context, &AppContext::tableChanged, this, [this] {
        rebuildPresets();
        // A spec refused by the new table becomes its nearest accepted one (said in the message line).
        loadFitted(spec(), true);
        updateEstimate();
        schedulePreview();
    });
    connect(context, &AppContext::editSpecRequested, this, [this](const QuantSpec& spec) { loadSpec(spec); });
    connect(context, &AppContext::runRemoved, this, &MethodPanel::updateButtons);
    connect(context, &AppContext::runsReset, this, &MethodPanel::updateButtons);

    onMethodChanged();
    WheelGuard::protect(this);
}

MethodPanel::~MethodPanel() = default;

QList<QAction*> MethodPanel::runActions() const
{
    return { m_runAction, m_runFullAction, m_sweepAction, m_previewAction };
}

QString MethodPanel::title() const
{
    return tr("Method");
}

QWidget* MethodPanel::createMethodBox()
{
    auto* box = makeGroup(tr("Method"), nullptr);
    m_method = new QComboBox(box);
    m_method->setObjectName(QStringLiteral("methodCombo"));
    narrow(m_method);
    for (const Quantizer* q : allQuantizers()) {
        QString label = display::text(q->label());
        if (q->isBaseline())
            label += tr(" · baseline");
        m_method->addItem(label, display::text(q->name()));
        m_method->setItemData(m_method->count() - 1, display::text(q->description()), Qt::ToolTipRole);
    }
    m_preset = new QComboBox(box);
    m_preset->setObjectName(QStringLiteral("presetCombo"));
    narrow(m_preset);
    m_preset->setToolTip(tr("A named starting point of the method; editing a parameter makes it Custom"));
    m_description = new QLabel(box);
    m_description->setWordWrap(true);
    m_description->setObjectName(QStringLiteral("methodDescription"));
    QFont small = m_description->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    m_description->setFont(small);
    m_description->setStyleSheet(QStringLiteral("color: palette(dark);"));

    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Method"), m_method);
    form->addRow(tr("Preset"), m_preset);
    auto* layout = new QVBoxLayout(box);
    layout->addLayout(form);
    layout->addWidget(m_description);
    connect(m_method, &QComboBox::currentIndexChanged, this, &MethodPanel::onMethodChanged);
    connect(m_preset, &QComboBox::activated, this, &MethodPanel::onPresetActivated);
    return box;
}

QWidget* MethodPanel::createOptionsBox()
{
    auto* box = makeGroup(tr("Run options"), nullptr);
    m_weights = new QComboBox(box);
    m_weights->setObjectName(QStringLiteral("weightsCombo"));
    m_weights->addItems({ tr("Uniform"), tr("Zipf prior"), tr("Counts file") });
    m_weights->setToolTip(tr("Per-token weights f_t of the fit and of the weighted metrics"));
    m_zipf = new QDoubleSpinBox(box);
    m_zipf->setObjectName(QStringLiteral("zipfSpin"));
    m_zipf->setRange(0, 10);
    m_zipf->setDecimals(2);
    m_zipf->setSingleStep(0.1);
    m_zipf->setValue(1.0);
    m_zipf->setPrefix(tr("s = "));
    m_zipf->setToolTip(tr("Zipf exponent: f_t = 1 / (t + 1)^s for rows sorted by frequency"));
    m_countsFile = new QLineEdit(box);
    m_countsFile->setObjectName(QStringLiteral("countsFileEdit"));
    m_countsFile->setPlaceholderText(tr("counts file (.txt, .npy)"));
    m_countsFile->setToolTip(tr("One count per row: a text file with a number per line or a .npy vector"));
    m_browse = new QPushButton(tr("…"), box);
    m_browse->setToolTip(tr("Choose a counts file"));
    m_browse->setMaximumWidth(m_browse->fontMetrics().horizontalAdvance(QStringLiteral("…")) + 24);
    auto* countsRow = new QHBoxLayout;
    countsRow->setContentsMargins(0, 0, 0, 0);
    countsRow->addWidget(m_countsFile, 1);
    countsRow->addWidget(m_browse);
    auto* countsWidget = new QWidget(box);
    countsWidget->setLayout(countsRow);

    m_recall = new QCheckBox(tr("Neighbour recall@10"), box);
    m_recall->setObjectName(QStringLiteral("recallCheck"));
    m_recall->setChecked(true);
    m_recall->setToolTip(tr("Overlap of the 10 nearest neighbours (cosine) of 1000 sampled tokens before and after"));
    m_logit = new QComboBox(box);
    m_logit->setObjectName(QStringLiteral("logitCombo"));
    narrow(m_logit);
    m_logit->addItems({ tr("Auto (tied head)"), tr("On"), tr("Off") });
    m_logit->setToolTip(tr("Compare softmax(h E^T) and softmax(h Ê^T); Auto: only when the table is the tied output "
                           "head"));
    m_seed = new QSpinBox(box);
    m_seed->setObjectName(QStringLiteral("seedSpin"));
    m_seed->setRange(0, INT_MAX);
    m_seed->setValue(kDefaultSeed);
    m_seed->setToolTip(tr("Seed of every random choice (sampling, initialisation): same seed, same result"));
    m_threads = new QSpinBox(box);
    m_threads->setObjectName(QStringLiteral("threadsSpin"));
    m_threads->setRange(0, std::max(1, QThread::idealThreadCount()));
    m_threads->setSpecialValueText(tr("all cores"));
    m_threads->setValue(0);
    m_threads->setToolTip(tr("Threads per run"));

    auto* form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Weights"), m_weights);
    form->addRow(QString(), m_zipf);
    form->addRow(QString(), countsWidget);
    form->addRow(QString(), m_recall);
    form->addRow(tr("Logit fidelity"), m_logit);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("Threads"), m_threads);

    auto updateWeightsRows = [this, form, countsWidget] {
        form->setRowVisible(m_zipf, m_weights->currentIndex() == Zipf);
        form->setRowVisible(countsWidget, m_weights->currentIndex() == Counts);
    };
    updateWeightsRows();
    connect(m_weights, &QComboBox::currentIndexChanged, this, [this, updateWeightsRows] {
        updateWeightsRows();
        onOptionsEdited();
    });
    connect(m_zipf, &QDoubleSpinBox::valueChanged, this, &MethodPanel::onOptionsEdited);
    connect(m_countsFile, &QLineEdit::editingFinished, this, &MethodPanel::onOptionsEdited);
    connect(m_recall, &QCheckBox::toggled, this, &MethodPanel::onOptionsEdited);
    connect(m_logit, &QComboBox::currentIndexChanged, this, &MethodPanel::onOptionsEdited);
    connect(m_seed, &QSpinBox::valueChanged, this, &MethodPanel::onOptionsEdited);
    connect(m_threads, &QSpinBox::valueChanged, this, &MethodPanel::onOptionsEdited);
    connect(m_browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Token Counts"), m_countsFile->text(), tr("Counts (*.txt *.npy);;All files (*)"));
        if (path.isEmpty())
            return;
        m_countsFile->setText(path);
        onOptionsEdited();
    });
    return box;
}

bool MethodPanel::setMethod(const QString& name)
{
    const int index = m_method->findData(name);
    if (index < 0)
        return false;
    if (index == m_method->currentIndex())
        m_form->resetToDefaults();
    else
        m_method->setCurrentIndex(index);
    return true;
}

QString MethodPanel::method() const
{
    return m_method->currentData().toString();
}

bool MethodPanel::loadSpec(const QuantSpec& spec)
{
    const int index = m_method->findData(display::text(spec.method));
    if (index < 0) {
        showMessage(tr("Unknown method '%1'").arg(display::text(spec.method)), true);
        return false;
    }
    m_loading = true;
    m_method->setCurrentIndex(index);
    m_loading = false;
    m_form->loadSpec(spec);
    return true;
}

QuantSpec MethodPanel::spec() const
{
    return m_form->spec();
}

uint64_t MethodPanel::seed() const
{
    return uint64_t(m_seed->value());
}

int MethodPanel::threads() const
{
    return m_threads->value();
}

RunOptions MethodPanel::runOptions() const
{
    RunOptions o;
    if (m_weights->currentIndex() == Zipf)
        o.zipf = m_zipf->value();
    else if (m_weights->currentIndex() == Counts)
        o.weightsFile = m_countsFile->text().trimmed().toStdString();
    o.neighbourRecall = m_recall->isChecked();
    if (m_logit->currentIndex() == LogitOn)
        o.logitFidelity = true;
    else if (m_logit->currentIndex() == LogitOff)
        o.logitFidelity = false;
    return o;
}

void MethodPanel::onMethodChanged()
{
    const Quantizer& q = quantizer(method().toStdString());
    m_description->setText(display::text(q.description()));
    rebuildPresets();
    // The form at the schema's defaults, then those fitted to the table: one update of the estimate.
    {
        const QSignalBlocker block(m_form);
        m_form->setSchema(q.name(), &q.schema());
    }
    updateTabOrder();
    loadFitted(m_form->spec(), true);
}

void MethodPanel::rebuildPresets()
{
    const Quantizer& q = quantizer(method().toStdString());
    const auto& table = context()->table();
    const QSignalBlocker block(m_preset);
    m_preset->clear();
    m_preset->addItem(tr("Custom"));
    m_presetSpecs.clear();
    auto* model = qobject_cast<QStandardItemModel*>(m_preset->model());
    for (const Preset& p : q.presets()) {
        QuantSpec spec { q.name(), p.spec.params.is_object() ? p.spec.params : nlohmann::json::object() };
        QString label = display::text(p.label);
        QString tip;
        bool fits = true;
        if (table) {
            const FittedSpec fitted = fitSpecToShape(q, spec, table->rows(), table->dim());
            if (fitted.adapted()) {
                label += QStringLiteral(" · ") + display::text(fitted.changeText());
                tip = tr("Adapted to the loaded table: %1").arg(display::text(fitted.refusal));
            } else if (!fitted.ok) {
                fits = false;
                tip = tr("Does not fit the loaded table: %1").arg(display::text(fitted.refusal));
            }
            spec = fitted.spec;
        }
        m_preset->addItem(label);
        m_presetSpecs.push_back(spec);
        const int row = m_preset->count() - 1;
        m_preset->setItemData(row, tip.isEmpty() ? display::specLabel(spec) : tip, Qt::ToolTipRole);
        if (model && !fits)
            model->item(row)->setEnabled(false);
    }
}

void MethodPanel::loadFitted(const QuantSpec& spec, bool quiet)
{
    const auto& table = context()->table();
    if (!table) {
        m_form->loadSpec(spec);
        return;
    }
    const FittedSpec fitted = fitSpecToShape(quantizer(spec.method), spec, table->rows(), table->dim());
    m_form->loadSpec(fitted.ok ? fitted.spec : spec);
    if (fitted.adapted())
        showMessage(tr("Adapted to the %1 × %2 table: %3")
                        .arg(table->rows())
                        .arg(table->dim())
                        .arg(display::text(fitted.changeText())),
            false);
    else if (!quiet)
        showMessage(QString(), false);
}

void MethodPanel::onPresetActivated(int index)
{
    if (index < 1 || index > int(m_presetSpecs.size()))
        return;
    m_form->loadSpec(m_presetSpecs[size_t(index - 1)]);
}

void MethodPanel::updatePresetMatch()
{
    const Quantizer& q = quantizer(method().toStdString());
    int match = 0;
    QuantSpec current;
    try {
        current = q.schema().resolve(m_form->spec());
    } catch (const Error&) {
        current = m_form->spec();
    }
    for (size_t i = 0; i < m_presetSpecs.size() && !match; ++i) {
        try {
            if (q.schema().resolve(m_presetSpecs[i]) == current)
                match = int(i) + 1;
        } catch (const Error&) {
        }
    }
    const QSignalBlocker block(m_preset);
    m_preset->setCurrentIndex(match);
}

void MethodPanel::updateTabOrder()
{
    // Editors of the form are created after the footer's buttons: without this, Tab would jump from the
    // preset to Run and reach the parameters last.
    QList<QWidget*> chain { m_method, m_preset };
    for (int i = 0; i < m_form->editorCount(); ++i)
        if (QWidget* e = m_form->editor(m_form->schema()->params[size_t(i)].name))
            chain.append(e);
    chain << m_weights << m_zipf << m_countsFile << m_browse << m_recall << m_logit << m_seed << m_threads;
    chain << m_previewCheck << m_runFullButton << m_sweepButton << m_runButton;
    for (qsizetype i = 1; i < chain.size(); ++i)
        setTabOrder(chain[i - 1], chain[i]);
}

void MethodPanel::onSpecEdited()
{
    if (m_loading)
        return;
    updatePresetMatch();
    updateEstimate();
    schedulePreview();
}

void MethodPanel::onOptionsEdited()
{
    updateEstimate();
    schedulePreview();
}

void MethodPanel::updateEstimate()
{
    m_refusal.clear();
    m_fix = {};
    const auto& table = context()->table();
    if (!table) {
        m_costTitle->setText(QString());
        m_costTitle->hide();
        m_estimate->showHint(tr("Load a table to see the cost of a spec."));
        m_verdict->clear();
        updateButtons();
        return;
    }
    m_costTitle->setText(tr("On the loaded %1 × %2 table:").arg(table->rows()).arg(table->dim()));
    m_costTitle->show();
    try {
        RunControl control;
        control.seed = seed();
        control.threads = threads();
        const RunRecord plan = planRun(*table, spec(), runOptions(), control);
        m_estimate->showBudget(plan.bits, plan.warnings);
        QString verdict = u"<b>" + m_estimate->headlineText().toHtmlEscaped() + u"</b>";
        if (!plan.warnings.empty())
            verdict += u" <span style='color:#9a6700'>"
                + tr("⚠ %n warning(s) above", nullptr, int(plan.warnings.size())).toHtmlEscaped() + u"</span>";
        m_verdict->setText(verdict);
    } catch (const Error& e) {
        m_refusal = QString::fromUtf8(e.what());
        m_estimate->showRefusal(m_refusal);
        QString verdict = u"<span style='color:#c62828'><b>" + tr("Refused:").toHtmlEscaped() + u"</b> "
            + m_refusal.toHtmlEscaped() + u"</span>";
        const FittedSpec fitted
            = fitSpecToShape(quantizer(method().toStdString()), spec(), table->rows(), table->dim());
        if (fitted.adapted()) {
            m_fix = fitted.spec;
            verdict
                += u" <a href='fix'>" + tr("Use %1").arg(display::text(fitted.changeText())).toHtmlEscaped() + u"</a>";
        }
        m_verdict->setText(verdict);
    }
    updateButtons();
}

void MethodPanel::updateButtons()
{
    const bool ready = context()->hasTable() && m_refusal.isEmpty();
    m_runButton->setEnabled(ready);
    m_runAction->setEnabled(ready);
    m_runButton->setToolTip(m_refusal.isEmpty() ? tr("Queue this spec on the whole table (%1)")
                                                      .arg(m_runAction->shortcut().toString(QKeySequence::NativeText))
                                                : tr("Refused: %1").arg(m_refusal));
    m_sweepButton->setEnabled(context()->hasTable());
    m_sweepAction->setEnabled(context()->hasTable());
    m_runFullButton->setEnabled(m_previewCheck->isChecked() && m_previewRunner->previewKey() != 0);
    m_runFullAction->setEnabled(m_runFullButton->isEnabled());
    m_runFullButton->setVisible(m_previewCheck->isChecked());
}

void MethodPanel::schedulePreview()
{
    if (!m_previewCheck->isChecked() || !context()->hasTable())
        return;
    if (!m_refusal.isEmpty()) {
        // Nothing to preview; a preview of the previous spec would now be misleading.
        m_previewTimer->stop();
        m_previewRunner->cancel();
        m_previewStatus->setText(tr("Preview: the spec is refused"));
        return;
    }
    m_previewTimer->start();
}

void MethodPanel::startPreview()
{
    if (!m_previewCheck->isChecked() || !context()->hasTable())
        return;
    if (!m_refusal.isEmpty()) {
        m_previewRunner->cancel();
        m_previewStatus->setText(tr("Preview: the spec is refused"));
        return;
    }
    m_previewRunner->request(spec(), runOptions(), seed(), threads());
}

void MethodPanel::showMessage(const QString& text, bool error)
{
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #c62828;") : QString());
    m_message->setVisible(!text.isEmpty());
}

QList<RunKey> MethodPanel::queueSpecs(const std::vector<QuantSpec>& specs, bool skipRun)
{
    QList<RunKey> keys;
    QStringList refused;
    int skipped = 0;
    m_queue->setSeed(seed());
    m_queue->setThreads(threads());
    const RunOptions options = runOptions();
    for (const QuantSpec& s : specs) {
        try {
            if (skipRun && context()->hasTable()) {
                RunControl control;
                control.seed = seed();
                control.threads = threads();
                if (context()->findRun(planRun(*context()->table(), s, options, control).id)) {
                    ++skipped;
                    continue;
                }
            }
            keys.append(m_queue->enqueue(s, options));
        } catch (const Error& e) {
            refused << QString::fromUtf8(e.what());
        }
    }
    QString text = keys.size() == 1 ? tr("Queued 1 run.") : tr("Queued %1 runs.").arg(keys.size());
    if (skipped > 0)
        text += u' ' + tr("Skipped %n already run (same spec, table, weights and seed).", nullptr, skipped);
    if (!refused.isEmpty())
        text += u' ' + tr("Refused %1: %2").arg(refused.size()).arg(refused.join(u'\n'));
    showMessage(text, !refused.isEmpty());
    return keys;
}

RunKey MethodPanel::queueRun()
{
    if (!context()->hasTable())
        return 0;
    const QList<RunKey> keys = queueSpecs({ spec() });
    return keys.isEmpty() ? 0 : keys.first();
}

void MethodPanel::runFull()
{
    const RunEntry* entry = context()->run(m_previewRunner->previewKey());
    if (!entry)
        return;
    queueSpecs({ entry->record->spec });
}

SweepDialog* MethodPanel::openSweepDialog()
{
    const auto& table = context()->table();
    if (!table)
        return nullptr;
    auto* dialog = new SweepDialog(spec(), table->rows(), table->dim(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] { queueSpecs(dialog->specs(), !dialog->rerunDone()); });
    dialog->open();
    return dialog;
}

} // namespace vq
