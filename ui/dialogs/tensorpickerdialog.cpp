#include "tensorpickerdialog.h"

#include "displaytext.h"
#include "models/tensorlistmodel.h"

#include <QDialogButtonBox>
#include <QFileInfo>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace vq {

TensorPickerDialog::TensorPickerDialog(std::shared_ptr<const TensorListing> listing, QWidget* parent)
    : QDialog(parent)
    , m_listing(std::move(listing))
    , m_model(new TensorListModel(this))
{
    Q_ASSERT(m_listing);
    setWindowTitle(tr("Choose the Embedding Tensor"));
    m_model->setListing(m_listing->tensors, m_listing->candidates);

    auto* intro = new QLabel(this);
    intro->setTextFormat(Qt::PlainText);
    intro->setWordWrap(true);
    intro->setText(tr("%1 (%2) holds %n tensors that could be the token-embedding table. "
                      "Choose one; greyed tensors cannot be loaded as a table.",
        nullptr, int(m_listing->candidates.names.size()))
                       .arg(QFileInfo(m_listing->path).fileName(), display::text(m_listing->format)));

    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("tensorView"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->setWordWrap(false);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_okButton = buttons->button(QDialogButtonBox::Ok);
    m_okButton->setText(tr("Load"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_view, &QAbstractItemView::doubleClicked, this, [this](const QModelIndex& index) {
        if (index.flags() & Qt::ItemIsSelectable)
            accept();
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &TensorPickerDialog::updateButtons);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_view, 1);
    layout->addWidget(buttons);

    selectTensor(display::text(m_listing->candidates.chosen));
    updateButtons();
    resize(760, 360);
}

QString TensorPickerDialog::selectedTensor() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    return rows.first().data(TensorListModel::NameRole).toString();
}

bool TensorPickerDialog::selectTensor(const QString& name)
{
    const int row = m_model->rowOf(name.toStdString());
    if (row < 0 || !(m_model->flags(m_model->index(row, 0)) & Qt::ItemIsSelectable))
        return false;
    const QModelIndex index = m_model->index(row, 0);
    m_view->selectionModel()->select(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows | QItemSelectionModel::Current);
    m_view->scrollTo(index);
    return true;
}

QString TensorPickerDialog::selectionReason() const
{
    if (selectedTensor() == display::text(m_listing->candidates.chosen))
        return display::text(m_listing->candidates.reason);
    return tr("chosen in the tensor picker");
}

void TensorPickerDialog::updateButtons()
{
    m_okButton->setEnabled(!selectedTensor().isEmpty());
}

} // namespace vq
