#include "exportdialog.h"

#include "displaytext.h"
#include "io/ggmlwritable.h"
#include "reportwriter.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QVBoxLayout>

namespace vq {

namespace {

// A wrapped label in a form row gets its one-line height: give it the two lines its text needs.
void reserveTwoLines(QLabel* label)
{
    label->setMinimumHeight(label->fontMetrics().lineSpacing() * 2 + 4);
}

const QString kFolderKey = QStringLiteral("lastExportFolder");

QString sourceFile(const RunRecord& record, const EmbeddingTable* table)
{
    return display::text(table ? table->source.file : record.provenance.sourceFile);
}

// Beside the table the run was made on (a checkpoint folder's parent for a folder), else the folder of
// the last export, else Documents, else home: the first that exists and is writable (the bundled sample
// may sit in a read-only system folder).
QString defaultFolder(const RunRecord& record, const EmbeddingTable* table)
{
    const QFileInfo source(sourceFile(record, table));
    const QStringList candidates { source.fileName().isEmpty() ? QString() : source.absolutePath(),
        QSettings().value(kFolderKey).toString(), QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation),
        QDir::homePath() };
    for (const QString& folder : candidates) {
        const QFileInfo info(folder);
        if (!folder.isEmpty() && info.isDir() && info.isWritable())
            return info.absoluteFilePath();
    }
    return QDir::homePath();
}

QString sourceFormat(const RunRecord& record, const EmbeddingTable* table)
{
    return display::text(table ? table->source.format : record.provenance.format);
}

QString sourceTensor(const RunRecord& record, const EmbeddingTable* table)
{
    return display::text(table ? table->source.tensor : record.provenance.tensor);
}

const QStringList kTableSuffixes { QStringLiteral(".npy"), QStringLiteral(".safetensors"), QStringLiteral(".gguf") };

// path with its table suffix (.npy, .safetensors, .gguf) swapped for `to`.
QString withTableSuffix(const QString& path, const QString& to)
{
    for (const QString& from : kTableSuffixes)
        if (path.endsWith(from))
            return path.left(path.size() - from.size()) + to;
    return path;
}

// Every GGUF type this build writes, "F16 (16 bits)"; those whose blocks do not divide a row of dim
// values are shown disabled, with the reason. F16 is picked.
void fillGgufTypes(QComboBox* combo, int64_t dim)
{
    for (const ggml::WritableType& t : ggml::writableTypes()) {
        const QString name = QString::fromLatin1(t.name.data(), qsizetype(t.name.size()));
        combo->addItem(QStringLiteral("%1 (%2 bits)").arg(name.toUpper(), display::number(t.bitsPerValue())), name);
        if (dim % t.blockValues != 0) {
            auto* model = qobject_cast<QStandardItemModel*>(combo->model());
            QStandardItem* item = model->item(combo->count() - 1);
            item->setEnabled(false);
            item->setToolTip(
                QCoreApplication::translate("vq::ExportDialog", "Rows of %1 values are not whole blocks of %2")
                    .arg(dim)
                    .arg(t.blockValues));
        }
    }
    combo->setCurrentIndex(combo->findData(QStringLiteral("f16")));
}

// The chosen item is one the table's rows allow (disabled items can still be set programmatically).
bool ggufTypeUsable(const QComboBox* combo)
{
    const auto* model = qobject_cast<const QStandardItemModel*>(combo->model());
    const int index = combo->currentIndex();
    return index >= 0 && model && model->item(index)->isEnabled();
}

} // namespace

ExportDialog::ExportDialog(
    std::shared_ptr<const RunRecord> record, std::shared_ptr<const EmbeddingTable> table, QWidget* parent)
    : QDialog(parent)
    , m_record(std::move(record))
    , m_table(std::move(table))
    , m_runner(new ExportRunner(this))
{
    Q_ASSERT(m_record);
    setObjectName(QStringLiteral("exportDialog"));
    const RunRecord& r = *m_record;
    m_baseName = display::fileStem(r);
    setWindowTitle(tr("Export %1").arg(display::runName(r)));

    auto* layout = new QVBoxLayout(this);
    QString relMse = QStringLiteral("—");
    if (r.metrics.is_object() && r.metrics.contains("reconstruction")
        && r.metrics["reconstruction"].value("relMse", nlohmann::json()).is_number())
        relMse = display::number(r.metrics["reconstruction"]["relMse"].get<double>());
    auto* header
        = new QLabel(tr("<b>%1</b> — %2 on %3, %4 bits/param, relative MSE %5")
                         .arg(display::runName(r).toHtmlEscaped(), display::text(r.spec.method).toHtmlEscaped(),
                             display::shape({ r.provenance.rows, r.provenance.dim }),
                             display::number(r.bits.bitsPerParam()), relMse),
            this);
    header->setObjectName(QStringLiteral("runSummary"));
    header->setWordWrap(true);
    layout->addWidget(header);

    // --- Compressed artifact.
    QGroupBox* artifact = addGroup(ExportKind::Artifact, tr("Compressed artifact (HDF5)"),
        m_baseName + QStringLiteral(".vq.h5"), tr("vqscope artifact (*.vq.h5 *.h5)"));
    m_twin = new QCheckBox(tr("Also write the safetensors twin (.vq.safetensors) for PyTorch"), artifact);
    m_twin->setObjectName(QStringLiteral("artifactTwin"));
    static_cast<QFormLayout*>(artifact->layout())->addRow(QString(), m_twin);

    // --- Dequantized table.
    QGroupBox* dequant = addGroup(ExportKind::Dequantized, tr("Dequantized table"),
        m_baseName + QStringLiteral("-dequantized.npy"), tr("Tables (*.npy *.safetensors)"));
    auto* formatRow = new QHBoxLayout;
    m_dequantFormat = new QComboBox(dequant);
    m_dequantFormat->setObjectName(QStringLiteral("dequantizedFormat"));
    m_dequantFormat->addItem(tr("NumPy (.npy)"));
    m_dequantFormat->addItem(tr("safetensors (.safetensors)"));
    m_dequantFormat->addItem(tr("GGUF (.gguf)"));
    m_dtype = new QComboBox(dequant);
    m_dtype->setObjectName(QStringLiteral("dequantizedDtype"));
    m_dtype->addItem(QStringLiteral("F32"), int(DType::F32));
    m_dtype->addItem(QStringLiteral("F16"), int(DType::F16));
    m_dtype->addItem(QStringLiteral("BF16"), int(DType::BF16));
    const int64_t dim = r.table ? r.table->dim : r.provenance.dim;
    m_ggufType = new QComboBox(dequant);
    m_ggufType->setObjectName(QStringLiteral("dequantizedGgufType"));
    m_ggufType->setToolTip(tr("How the table is stored in the GGUF file (token_embd.weight)"));
    fillGgufTypes(m_ggufType, dim);
    formatRow->addWidget(m_dequantFormat);
    formatRow->addWidget(new QLabel(tr("precision"), dequant));
    formatRow->addWidget(m_dtype);
    formatRow->addWidget(m_ggufType);
    formatRow->addStretch(1);
    static_cast<QFormLayout*>(dequant->layout())->addRow(tr("Format"), formatRow);
    connect(m_dequantFormat, &QComboBox::currentIndexChanged, this, [this](int index) {
        QLineEdit* edit = m_groups[int(ExportKind::Dequantized)].path;
        edit->setText(withTableSuffix(edit->text(), kTableSuffixes.value(index)));
        updateDequantizedOptions();
    });
    updateDequantizedOptions();

    // --- Patched checkpoint: a safetensors or GGUF source can be patched.
    const QString source = sourceFile(r, m_table.get());
    m_ggufSource = sourceFormat(r, m_table.get()).startsWith(QStringLiteral("GGUF"));
    m_patchable = sourceFormat(r, m_table.get()).startsWith(QStringLiteral("safetensors")) || m_ggufSource;
    const bool patchable = m_patchable;
    const bool patchToFile = source.endsWith(QStringLiteral(".safetensors")) || m_ggufSource;
    const QString patchName = m_ggufSource ? QStringLiteral("-patched.gguf")
        : patchToFile                      ? QStringLiteral("-patched.safetensors")
                                           : QStringLiteral("-patched");
    QGroupBox* patch = addGroup(ExportKind::PatchedCheckpoint, tr("Patched checkpoint"), m_baseName + patchName,
        m_ggufSource ? tr("GGUF (*.gguf)") : tr("safetensors (*.safetensors)"), !patchToFile);
    m_patchSource = new QLabel(patchable ? QFileInfo(source).fileName()
                                         : tr("Only a safetensors or GGUF checkpoint can be patched; this run's "
                                              "table comes from a %1 file.")
                                               .arg(sourceFormat(r, m_table.get())),
        patch);
    m_patchSource->setObjectName(QStringLiteral("patchSource"));
    m_patchSource->setToolTip(source);
    m_patchSource->setWordWrap(true);
    if (!patchable)
        reserveTwoLines(m_patchSource);
    m_patchTensor = new QLineEdit(sourceTensor(r, m_table.get()), patch);
    m_patchTensor->setObjectName(QStringLiteral("patchTensor"));
    auto* patchForm = static_cast<QFormLayout*>(patch->layout());
    patchForm->insertRow(0, tr("Source"), m_patchSource);
    patchForm->addRow(tr("Tensor"), m_patchTensor);
    if (m_ggufSource) {
        // Every other tensor and key/value is copied as it is; only the embedding gets this type.
        m_patchType = new QComboBox(patch);
        m_patchType->setObjectName(QStringLiteral("patchGgufType"));
        m_patchType->setToolTip(tr("How the new embedding is stored; every other tensor is copied as it is"));
        fillGgufTypes(m_patchType, dim);
        auto* typeRow = new QHBoxLayout;
        typeRow->addWidget(m_patchType);
        typeRow->addStretch(1);
        patchForm->addRow(tr("Stored as"), typeRow);
        if (m_table && m_table->tiedHead.value_or(false)) {
            auto* note = new QLabel(tr("Note: this model has no output.weight, so llama.cpp uses the embedding as "
                                       "its output layer too: the replacement changes the output layer as well."),
                patch);
            note->setObjectName(QStringLiteral("patchTiedNote"));
            note->setWordWrap(true);
            reserveTwoLines(note);
            patchForm->addRow(note);
        }
    }
    if (!patchable) {
        patch->setChecked(false);
        patch->setEnabled(false);
    }

    // --- Metrics.
    QGroupBox* json = addGroup(ExportKind::MetricsJson, tr("Metrics (JSON)"),
        m_baseName + QStringLiteral("-metrics.json"), tr("JSON (*.json)"));
    m_perToken = new QCheckBox(tr("Include the per-token vectors (MSE, relative error, cosine)"), json);
    m_perToken->setObjectName(QStringLiteral("perTokenJson"));
    static_cast<QFormLayout*>(json->layout())->addRow(QString(), m_perToken);
    addGroup(ExportKind::TokenCsv, tr("Per-token errors (CSV)"), m_baseName + QStringLiteral("-tokens.csv"),
        tr("CSV (*.csv)"));

    // --- Report.
    QGroupBox* report = addGroup(ExportKind::Report, tr("Report (self-contained HTML)"),
        m_baseName + QStringLiteral("-report.html"), tr("HTML (*.html)"));
    m_chartsLabel = new QLabel(report);
    m_chartsLabel->setObjectName(QStringLiteral("reportCharts"));
    m_chartsLabel->setWordWrap(true);
    static_cast<QFormLayout*>(report->layout())->addRow(tr("Charts"), m_chartsLabel);
    m_ownHistogram = ReportWriter::tokenErrorHistogram(r);
    setChartImages({});

    // The usual picks; the rest on request.
    setChecked(ExportKind::Artifact, true);
    setChecked(ExportKind::Report, true);
    for (ExportKind kind :
        { ExportKind::Dequantized, ExportKind::PatchedCheckpoint, ExportKind::MetricsJson, ExportKind::TokenCsv })
        setChecked(kind, false);

    // --- Progress and buttons.
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("exportProgress"));
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setTextVisible(false);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("exportStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setMinimumHeight(m_status->fontMetrics().height() * 2);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);

    m_buttons = new QDialogButtonBox(this);
    m_exportButton = m_buttons->addButton(tr("Export"), QDialogButtonBox::AcceptRole);
    m_exportButton->setObjectName(QStringLiteral("exportButton"));
    m_exportButton->setDefault(true);
    m_closeButton = m_buttons->addButton(QDialogButtonBox::Close);
    m_closeButton->setObjectName(QStringLiteral("closeButton"));
    connect(m_exportButton, &QPushButton::clicked, this, &ExportDialog::startExport);
    connect(m_closeButton, &QPushButton::clicked, this, &ExportDialog::reject);
    layout->addWidget(m_buttons);

    connect(m_runner, &ExportRunner::busyChanged, this, &ExportDialog::setBusy);
    connect(m_runner, &ExportRunner::progress, this, &ExportDialog::onProgress);
    connect(m_runner, &ExportRunner::written, this, &ExportDialog::onWritten);
    connect(m_runner, &ExportRunner::finished, this, &ExportDialog::onFinished);
    connect(m_runner, &ExportRunner::failed, this, &ExportDialog::onFailed);
    connect(m_runner, &ExportRunner::cancelled, this, &ExportDialog::onCancelled);

    setOutputFolder(defaultFolder(r, m_table.get()));
    showStatus(tr("Choose what to export, then press Export."));
    setMinimumWidth(640);
}

ExportDialog::~ExportDialog() = default;

QGroupBox* ExportDialog::addGroup(
    ExportKind kind, const QString& title, const QString& fileName, const QString& filter, bool folder)
{
    auto* box = new QGroupBox(title, this);
    box->setCheckable(true);
    box->setObjectName(QStringLiteral("group_%1").arg(int(kind)));
    auto* form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    auto* row = new QHBoxLayout;
    auto* edit = new QLineEdit(fileName, box);
    edit->setObjectName(QStringLiteral("path_%1").arg(int(kind)));
    auto* button = new QPushButton(tr("Browse…"), box);
    connect(button, &QPushButton::clicked, this, [this, kind, filter] { browse(kind, filter); });
    row->addWidget(edit, 1);
    row->addWidget(button);
    form->addRow(folder ? tr("Folder") : tr("File"), row);
    static_cast<QVBoxLayout*>(layout())->addWidget(box);
    m_groups.insert(int(kind), Group { box, edit, folder });
    return box;
}

void ExportDialog::browse(ExportKind kind, const QString& filter)
{
    const Group& g = m_groups[int(kind)];
    const QString current = g.path->text();
    const QString chosen = g.folder ? QFileDialog::getExistingDirectory(this, tr("Output Folder"), m_folder)
                                    : QFileDialog::getSaveFileName(this, tr("Export To"), current, filter);
    if (chosen.isEmpty())
        return;
    // A folder chooser picks where the patched folder goes: the folder itself is named after the run.
    g.path->setText(g.folder ? QDir(chosen).filePath(QFileInfo(current).fileName()) : chosen);
}

void ExportDialog::updateDequantizedOptions()
{
    // GGUF has types of its own; NumPy has no bfloat16.
    const bool gguf = m_dequantFormat->currentIndex() == 2;
    m_dtype->setVisible(!gguf);
    m_ggufType->setVisible(gguf);
    const bool npy = m_dequantFormat->currentIndex() == 0;
    if (npy && m_dtype->currentData().toInt() == int(DType::BF16))
        m_dtype->setCurrentIndex(0);
    if (auto* model = qobject_cast<QStandardItemModel*>(m_dtype->model()))
        model->item(2)->setEnabled(!npy);
}

void ExportDialog::setChartImages(const QList<QPair<QString, QImage>>& charts)
{
    m_callerCharts = charts;
    QStringList titles;
    for (const auto& [title, image] : reportCharts())
        titles << title;
    m_chartsLabel->setText(titles.isEmpty() ? tr("none") : titles.join(QStringLiteral("; ")));
}

QList<QPair<QString, QImage>> ExportDialog::reportCharts() const
{
    QList<QPair<QString, QImage>> charts;
    if (!m_ownHistogram.isNull())
        charts.append({ tr("Per-token relative error"), m_ownHistogram });
    for (const auto& chart : m_callerCharts) {
        if (!chart.second.isNull())
            charts.append(chart);
    }
    return charts;
}

void ExportDialog::setOutputFolder(const QString& folder)
{
    m_folder = folder;
    const QDir dir(folder);
    for (const Group& g : std::as_const(m_groups))
        g.path->setText(dir.filePath(QFileInfo(g.path->text()).fileName()));
}

bool ExportDialog::isChecked(ExportKind kind) const
{
    if (kind == ExportKind::ArtifactSafetensors)
        return isChecked(ExportKind::Artifact) && m_twin->isChecked();
    const Group g = m_groups.value(int(kind));
    return g.box && g.box->isEnabled() && g.box->isChecked();
}

void ExportDialog::setChecked(ExportKind kind, bool on)
{
    if (kind == ExportKind::ArtifactSafetensors) {
        m_twin->setChecked(on);
        if (on)
            setChecked(ExportKind::Artifact, true);
        return;
    }
    if (const Group g = m_groups.value(int(kind)); g.box && g.box->isEnabled())
        g.box->setChecked(on);
}

bool ExportDialog::isAvailable(ExportKind kind) const
{
    const Group g = m_groups.value(int(kind == ExportKind::ArtifactSafetensors ? ExportKind::Artifact : kind));
    return g.box && g.box->isEnabled();
}

QString ExportDialog::path(ExportKind kind) const
{
    if (kind == ExportKind::ArtifactSafetensors) {
        const QString artifact = path(ExportKind::Artifact);
        for (const QString& suffix : { QStringLiteral(".vq.h5"), QStringLiteral(".h5"), QStringLiteral(".hdf5") }) {
            if (artifact.endsWith(suffix))
                return artifact.left(artifact.size() - suffix.size()) + QStringLiteral(".vq.safetensors");
        }
        return artifact + QStringLiteral(".safetensors");
    }
    const Group g = m_groups.value(int(kind));
    return g.path ? g.path->text().trimmed() : QString();
}

void ExportDialog::setPath(ExportKind kind, const QString& path)
{
    if (const Group g = m_groups.value(int(kind)); g.path)
        g.path->setText(path);
}

void ExportDialog::setDequantizedSafetensors(bool on)
{
    m_dequantFormat->setCurrentIndex(on ? 1 : 0);
}

void ExportDialog::setDequantizedGguf(const QString& ggmlType)
{
    m_dequantFormat->setCurrentIndex(2);
    m_ggufType->setCurrentIndex(m_ggufType->findData(ggmlType));
}

void ExportDialog::setPatchedGgufType(const QString& ggmlType)
{
    if (m_patchType)
        m_patchType->setCurrentIndex(m_patchType->findData(ggmlType));
}

void ExportDialog::setDequantizedDtype(DType dtype)
{
    const int index = m_dtype->findData(int(dtype));
    if (index >= 0)
        m_dtype->setCurrentIndex(index);
}

void ExportDialog::setPerTokenJson(bool on)
{
    m_perToken->setChecked(on);
}

QList<ExportRequest> ExportDialog::requests(QString* problem) const
{
    QList<ExportRequest> out;
    auto fail = [&](const QString& why) {
        if (problem)
            *problem = why;
        return QList<ExportRequest> {};
    };
    for (ExportKind kind : { ExportKind::Artifact, ExportKind::ArtifactSafetensors, ExportKind::Dequantized,
             ExportKind::PatchedCheckpoint, ExportKind::MetricsJson, ExportKind::TokenCsv, ExportKind::Report }) {
        if (!isChecked(kind))
            continue;
        ExportRequest request;
        request.kind = kind;
        request.path = path(kind);
        if (request.path.isEmpty())
            return fail(tr("Choose a file for the %1.").arg(exportKindLabel(kind)));
        if (QFileInfo(request.path).isRelative())
            request.path = QDir(m_folder).filePath(request.path);
        switch (kind) {
        case ExportKind::Dequantized: {
            request.dtype = DType(m_dtype->currentData().toInt());
            const bool npy = request.path.endsWith(QStringLiteral(".npy"));
            const bool gguf = request.path.endsWith(QStringLiteral(".gguf"));
            if (!npy && !gguf && !request.path.endsWith(QStringLiteral(".safetensors")))
                return fail(
                    tr("The dequantized table is written as .npy, .safetensors or .gguf: %1").arg(request.path));
            if (npy && request.dtype == DType::BF16)
                return fail(tr("NumPy files hold F32 or F16, not BF16."));
            if (gguf && !ggufTypeUsable(m_ggufType))
                return fail(tr("Choose a GGUF type whose blocks divide the table's rows."));
            request.ggmlType = m_ggufType->currentData().toString();
            break;
        }
        case ExportKind::PatchedCheckpoint:
            request.checkpoint = sourceFile(*m_record, m_table.get());
            request.tensorName = m_patchTensor->text().trimmed();
            if (m_patchType) {
                if (!ggufTypeUsable(m_patchType))
                    return fail(tr("Choose a GGUF type whose blocks divide the table's rows."));
                request.ggmlType = m_patchType->currentData().toString();
            }
            break;
        case ExportKind::MetricsJson:
            request.perToken = m_perToken->isChecked();
            break;
        default:
            break;
        }
        out.append(request);
    }
    if (out.isEmpty())
        return fail(tr("Nothing to export: check at least one kind."));
    return out;
}

void ExportDialog::startExport()
{
    if (m_runner->isBusy())
        return;
    QString problem;
    const QList<ExportRequest> list = requests(&problem);
    if (list.isEmpty()) {
        showStatus(problem, true);
        return;
    }
    m_running = list;
    m_writtenPaths.clear();
    m_progress->setValue(0);
    ExportSource source { m_record, m_table, reportCharts() };
    if (!m_runner->start(std::move(source), list))
        showStatus(tr("This run cannot be exported: it has not finished or its arrays are gone."), true);
}

void ExportDialog::reject()
{
    if (m_runner->isBusy()) {
        // Close once the runner says it stopped: the file being written is dropped, never half left.
        m_closeWhenStopped = true;
        m_runner->cancel();
        showStatus(tr("Cancelling…"));
        return;
    }
    QDialog::reject();
}

QString ExportDialog::statusText() const
{
    return m_status->text();
}

void ExportDialog::setBusy(bool busy)
{
    for (auto it = m_groups.cbegin(); it != m_groups.cend(); ++it)
        it->box->setEnabled(!busy && (it.key() != int(ExportKind::PatchedCheckpoint) || m_patchable));
    m_exportButton->setEnabled(!busy);
    m_closeButton->setText(busy ? tr("Cancel") : tr("Close"));
    if (!busy && m_closeWhenStopped) {
        m_closeWhenStopped = false;
        QMetaObject::invokeMethod(
            this, [this] { QDialog::reject(); }, Qt::QueuedConnection);
    }
}

void ExportDialog::showStatus(const QString& text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
}

void ExportDialog::onProgress(int item, const QString& stage, double fraction)
{
    const int count = int(m_running.size());
    if (item < 0 || item >= count)
        return;
    m_progress->setValue(int(1000.0 * (item + std::clamp(fraction, 0.0, 1.0)) / count));
    showStatus(tr("Writing the %1 (%2 of %3): %4 %5%")
                   .arg(exportKindLabel(m_running[item].kind))
                   .arg(item + 1)
                   .arg(count)
                   .arg(stage)
                   .arg(int(100.0 * fraction)));
}

void ExportDialog::onWritten(int item, const QString& path)
{
    Q_UNUSED(item);
    m_writtenPaths.append(path);
}

void ExportDialog::onFinished()
{
    m_progress->setValue(m_progress->maximum());
    showStatus((
        m_writtenPaths.size() == 1 ? tr("Wrote 1 file to %2.") : tr("Wrote %1 files to %2.").arg(m_writtenPaths.size()))
                   .arg(QDir::toNativeSeparators(QFileInfo(m_writtenPaths.value(0)).absolutePath())));
    m_status->setToolTip(m_writtenPaths.join(u'\n'));
    if (!m_writtenPaths.isEmpty())
        QSettings().setValue(kFolderKey, QFileInfo(m_writtenPaths.first()).absolutePath());
}

void ExportDialog::onFailed(int item, const QString& path, const QString& message)
{
    Q_UNUSED(path);
    m_progress->setValue(0);
    QString text = tr("Could not write the %1: %2").arg(exportKindLabel(m_running.value(item).kind), message);
    if (!m_writtenPaths.isEmpty())
        text += u'\n' + tr("Written before the error: %1").arg(m_writtenPaths.join(QStringLiteral(", ")));
    showStatus(text, true);
}

void ExportDialog::onCancelled(int item, const QString& path)
{
    Q_UNUSED(item);
    m_progress->setValue(0);
    showStatus(tr("Cancelled: %1 was not written.").arg(QDir::toNativeSeparators(path)));
}

} // namespace vq
