#pragma once

#include "runners/exportrunner.h"

#include <QDialog>
#include <QHash>
#include <QImage>
#include <QList>
#include <QPair>
#include <memory>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace vq {

// Exports a finished run: the compressed artifact (and its safetensors twin), the dequantized table
// (.npy or .safetensors in F32/F16/BF16, or a standalone GGUF in any writable ggml type, with the token
// strings), a patched copy of the source checkpoint (safetensors and GGUF sources; a GGUF one stores the
// embedding in the chosen ggml type and warns when the model ties its output layer to it), the metrics
// as JSON, the per-token errors as CSV and a self-contained HTML report. Each kind is
// a checkable group with its file chooser and options; Export writes the checked ones in order through
// an ExportRunner (off the GUI thread, progress bar, Cancel), and errors are shown in the dialog naming
// the file and the problem. The report holds a per-token error histogram drawn here, followed by the
// caller's charts (setChartImages).
class ExportDialog : public QDialog {
    Q_OBJECT
public:
    // record: a Done run with its arrays (RunRecord::table non-null). table: the table it was made on
    // (token strings, source); may be null.
    ExportDialog(std::shared_ptr<const RunRecord> record, std::shared_ptr<const EmbeddingTable> table,
        QWidget* parent = nullptr);
    ~ExportDialog() override;

    // Charts for the report, (title, image) in order, shown after the dialog's own per-token error
    // histogram. Typically grabs of the main window's views: chartView->grab().toImage().
    void setChartImages(const QList<QPair<QString, QImage>>& charts);
    // Every chart the report will hold, the dialog's own first.
    QList<QPair<QString, QImage>> reportCharts() const;

    // Points every path at folder, keeping the file names (default: the last export folder).
    void setOutputFolder(const QString& folder);
    QString outputFolder() const { return m_folder; }

    // Whether a kind will be written. ArtifactSafetensors is the artifact group's twin option.
    bool isChecked(ExportKind kind) const;
    void setChecked(ExportKind kind, bool on);
    // False for a patched checkpoint when the source is neither safetensors nor GGUF.
    bool isAvailable(ExportKind kind) const;
    QString path(ExportKind kind) const;
    void setPath(ExportKind kind, const QString& path);
    // The dequantized table's format: false .npy, true .safetensors (changes the path's extension).
    void setDequantizedSafetensors(bool on);
    void setDequantizedDtype(DType dtype);
    // The dequantized table as a standalone GGUF file stored as ggmlType ("f16", "q8_0").
    void setDequantizedGguf(const QString& ggmlType);
    // How a patched GGUF checkpoint stores the embedding (GGUF sources only).
    void setPatchedGgufType(const QString& ggmlType);
    void setPerTokenJson(bool on);

    // What Export would write now, in order; empty with a reason in *problem when the form is incomplete.
    QList<ExportRequest> requests(QString* problem = nullptr) const;

    ExportRunner* runner() const { return m_runner; }
    QString statusText() const;
    QProgressBar* progressBar() const { return m_progress; }

public slots:
    // Starts writing the checked kinds; shows why when it cannot start.
    void startExport();
    // Cancels a running export, else closes the dialog.
    void reject() override;

private:
    struct Group {
        QGroupBox* box = nullptr;
        QLineEdit* path = nullptr;
        bool folder = false; // the output is a folder (patched sharded checkpoint)
    };

    QGroupBox* addGroup(
        ExportKind kind, const QString& title, const QString& fileName, const QString& filter, bool folder = false);
    void browse(ExportKind kind, const QString& filter);
    void updateDequantizedOptions();
    void setBusy(bool busy);
    void showStatus(const QString& text, bool error = false);
    void onProgress(int item, const QString& stage, double fraction);
    void onWritten(int item, const QString& path);
    void onFinished();
    void onFailed(int item, const QString& path, const QString& message);
    void onCancelled(int item, const QString& path);

    std::shared_ptr<const RunRecord> m_record;
    std::shared_ptr<const EmbeddingTable> m_table;
    ExportRunner* m_runner = nullptr;
    QString m_folder;
    QString m_baseName;
    QHash<int, Group> m_groups;
    QCheckBox* m_twin = nullptr;
    QComboBox* m_dequantFormat = nullptr;
    QComboBox* m_dtype = nullptr;
    QComboBox* m_ggufType = nullptr;
    QComboBox* m_patchType = nullptr; // GGUF sources only
    QLineEdit* m_patchTensor = nullptr;
    QLabel* m_patchSource = nullptr;
    QCheckBox* m_perToken = nullptr;
    QLabel* m_chartsLabel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QDialogButtonBox* m_buttons = nullptr;
    QPushButton* m_exportButton = nullptr;
    QPushButton* m_closeButton = nullptr;
    QImage m_ownHistogram;
    QList<QPair<QString, QImage>> m_callerCharts;
    QList<ExportRequest> m_running;
    QStringList m_writtenPaths;
    bool m_closeWhenStopped = false;
    bool m_patchable = false;
    bool m_ggufSource = false;
};

} // namespace vq
