#include "synthetictabledialog.h"

#include "displaytext.h"
#include "synth/syntheticfile.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <climits>

namespace vq {

namespace {

int bytesPerValue(DType dtype)
{
    return dtype == DType::F32 ? 4 : 2;
}

} // namespace

SyntheticTableDialog::SyntheticTableDialog(const QString& folder, QWidget* parent)
    : QDialog(parent)
    , m_folder(folder)
{
    setObjectName(QStringLiteral("syntheticTableDialog"));
    setWindowTitle(tr("New Synthetic Table"));

    auto* intro = new QLabel(tr("A seeded random table shaped like an LLM's token embeddings: heavy-tailed row "
                                "norms, a few outlier columns, correlated columns and a tail of rare tokens. The "
                                "same shape and seed give the same values."),
        this);
    intro->setWordWrap(true);

    m_rows = new QSpinBox(this);
    m_rows->setObjectName(QStringLiteral("syntheticRows"));
    m_rows->setRange(1, int(std::min<int64_t>(kMaxSyntheticValues, INT_MAX)));
    m_rows->setValue(32000);
    m_rows->setToolTip(tr("Tokens (rows) of the table"));
    m_dim = new QSpinBox(this);
    m_dim->setObjectName(QStringLiteral("syntheticDim"));
    m_dim->setRange(1, 65536);
    m_dim->setValue(1024);
    m_dim->setToolTip(tr("Hidden size (columns) of the table"));
    m_seed = new QSpinBox(this);
    m_seed->setObjectName(QStringLiteral("syntheticSeed"));
    m_seed->setRange(0, INT_MAX);
    m_seed->setValue(1);
    m_dtype = new QComboBox(this);
    m_dtype->setObjectName(QStringLiteral("syntheticDtype"));
    m_dtype->addItem(QStringLiteral("BF16"), int(DType::BF16));
    m_dtype->addItem(QStringLiteral("F16"), int(DType::F16));
    m_dtype->addItem(QStringLiteral("F32"), int(DType::F32));
    m_dtype->setToolTip(tr("Stored precision; .npy holds F16 or F32"));
    m_path = new QLineEdit(this);
    m_path->setObjectName(QStringLiteral("syntheticPath"));
    auto* browseButton = new QPushButton(tr("Browse…"), this);
    auto* pathRow = new QHBoxLayout;
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(browseButton);
    m_size = new QLabel(this);
    m_size->setObjectName(QStringLiteral("syntheticSize"));
    m_size->setWordWrap(true);

    auto* form = new QFormLayout;
    form->addRow(tr("Rows"), m_rows);
    form->addRow(tr("Columns"), m_dim);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("Precision"), m_dtype);
    form->addRow(tr("File"), pathRow);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Generate"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_size);
    layout->addWidget(m_buttons);

    for (QSpinBox* spin : { m_rows, m_dim, m_seed })
        connect(spin, &QSpinBox::valueChanged, this, &SyntheticTableDialog::update);
    connect(m_dtype, &QComboBox::currentIndexChanged, this, &SyntheticTableDialog::update);
    connect(m_path, &QLineEdit::textEdited, this, [this] {
        m_pathEdited = true;
        update();
    });
    connect(browseButton, &QPushButton::clicked, this, &SyntheticTableDialog::browse);
    update();
}

SyntheticSpec SyntheticTableDialog::spec() const
{
    return syntheticSpecFor(m_rows->value(), m_dim->value(), uint64_t(m_seed->value()));
}

DType SyntheticTableDialog::dtype() const
{
    return DType(m_dtype->currentData().toInt());
}

QString SyntheticTableDialog::path() const
{
    return m_path->text().trimmed();
}

void SyntheticTableDialog::setShape(int64_t rows, int64_t dim)
{
    m_rows->setValue(int(rows));
    m_dim->setValue(int(dim));
}

void SyntheticTableDialog::setPath(const QString& path)
{
    m_path->setText(path);
    m_pathEdited = true;
    update();
}

QString SyntheticTableDialog::suggestedName() const
{
    const bool npy = path().endsWith(QStringLiteral(".npy"));
    return QStringLiteral("synthetic-%1x%2-seed%3%4")
        .arg(m_rows->value())
        .arg(m_dim->value())
        .arg(m_seed->value())
        .arg(npy ? QStringLiteral(".npy") : QStringLiteral(".safetensors"));
}

void SyntheticTableDialog::browse()
{
    const QString chosen = QFileDialog::getSaveFileName(this, tr("Synthetic Table File"),
        path().isEmpty() ? QDir(m_folder).filePath(suggestedName()) : path(), tr("Tables (*.safetensors *.npy)"));
    if (!chosen.isEmpty())
        setPath(chosen);
}

bool SyntheticTableDialog::isAcceptable() const
{
    const int64_t values = int64_t(m_rows->value()) * int64_t(m_dim->value());
    const QString p = path();
    const bool npy = p.endsWith(QStringLiteral(".npy"));
    return values <= kMaxSyntheticValues && (npy || p.endsWith(QStringLiteral(".safetensors")))
        && !(npy && dtype() == DType::BF16);
}

void SyntheticTableDialog::update()
{
    // The name follows the shape and seed until the user types a path of their own.
    if (!m_pathEdited)
        m_path->setText(QDir(m_folder).filePath(suggestedName()));
    const int64_t values = int64_t(m_rows->value()) * int64_t(m_dim->value());
    QString text;
    if (values > kMaxSyntheticValues)
        text
            = tr("%1 values is over the limit of %2.").arg(display::count(values), display::count(kMaxSyntheticValues));
    else if (!path().endsWith(QStringLiteral(".npy")) && !path().endsWith(QStringLiteral(".safetensors")))
        text = tr("The file name must end in .safetensors or .npy.");
    else if (path().endsWith(QStringLiteral(".npy")) && dtype() == DType::BF16)
        text = tr(".npy has no BF16: choose F16 or F32, or a .safetensors file.");
    else
        text
            = tr("%1 in memory while it is used, %2 on disk.")
                  .arg(display::bytes(uint64_t(values) * 4), display::bytes(uint64_t(values) * bytesPerValue(dtype())));
    m_size->setText(text);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(isAcceptable());
}

} // namespace vq
