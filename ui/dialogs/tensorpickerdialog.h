#pragma once

#include "runners/loadrunner.h"

#include <QDialog>
#include <memory>

class QLabel;
class QPushButton;
class QTableView;

namespace vq {

class TensorListModel;

// Lets the user choose which tensor of a file is the embedding table: every tensor with its dtype,
// shape and size, the loadable candidates selectable, the automatic pick preselected with its reason.
class TensorPickerDialog : public QDialog {
    Q_OBJECT
public:
    explicit TensorPickerDialog(std::shared_ptr<const TensorListing> listing, QWidget* parent = nullptr);

    const TensorListing& listing() const { return *m_listing; }
    // The selected tensor's name; empty when nothing is selected.
    QString selectedTensor() const;
    // Selects the named tensor when it is a candidate; returns whether it did.
    bool selectTensor(const QString& name);
    // The reason to record for the selection: the automatic reason when the user kept the automatic
    // pick, "chosen in the tensor picker" otherwise.
    QString selectionReason() const;
    TensorListModel* model() const { return m_model; }

private:
    void updateButtons();

    std::shared_ptr<const TensorListing> m_listing;
    TensorListModel* m_model = nullptr;
    QTableView* m_view = nullptr;
    QPushButton* m_okButton = nullptr;
};

} // namespace vq
