#pragma once

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace vq {

class LoadRunner;

// The status-bar part that follows a LoadRunner: the file and stage being loaded, a progress bar and
// a Cancel button. Hidden while the runner is idle; shows "Cancelling…" from the click until the
// runner reports that the job stopped.
class LoadStatusWidget : public QWidget {
    Q_OBJECT
public:
    explicit LoadStatusWidget(LoadRunner* runner, QWidget* parent = nullptr);

    QString statusText() const;
    QPushButton* cancelButton() const { return m_cancel; }

private:
    void onBusyChanged(bool busy);
    void onStarted(const QString& path);
    void onProgress(const QString& stage, double fraction);
    void onCancelClicked();

    LoadRunner* m_runner;
    QLabel* m_label = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
};

} // namespace vq
