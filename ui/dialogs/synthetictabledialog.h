#pragma once

#include "io/tensorinfo.h"
#include "synth/synthetictable.h"

#include <QDialog>
#include <QString>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace vq {

// File > New Synthetic Table: the shape, seed and precision of a seeded LLM-shaped random table
// (core/synth) and the file it is written to (.safetensors or .npy). Shows the size it will take and
// refuses shapes over kMaxSyntheticValues. Generates nothing itself: the caller passes spec(), dtype()
// and path() to LoadRunner::generate, which writes and loads it in the background.
class SyntheticTableDialog : public QDialog {
    Q_OBJECT
public:
    // folder: where the file goes by default.
    explicit SyntheticTableDialog(const QString& folder, QWidget* parent = nullptr);

    SyntheticSpec spec() const;
    DType dtype() const;
    QString path() const;

    void setShape(int64_t rows, int64_t dim);
    void setPath(const QString& path);
    QSpinBox* rowsSpin() const { return m_rows; }
    QSpinBox* dimSpin() const { return m_dim; }
    QLabel* sizeLabel() const { return m_size; }
    // True when the dialog can be accepted (a shape within the limit, a path ending in .npy or
    // .safetensors, a precision that format holds).
    bool isAcceptable() const;

private:
    void update();
    void browse();
    QString suggestedName() const;

    QString m_folder;
    QSpinBox* m_rows = nullptr;
    QSpinBox* m_dim = nullptr;
    QSpinBox* m_seed = nullptr;
    QComboBox* m_dtype = nullptr;
    QLineEdit* m_path = nullptr;
    QLabel* m_size = nullptr;
    QDialogButtonBox* m_buttons = nullptr;
    bool m_pathEdited = false;
};

} // namespace vq
