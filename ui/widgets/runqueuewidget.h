#pragma once

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace vq {

class RunQueue;

// The status-bar part that follows a RunQueue: "Running carvq (2 queued) — adaptor 45% · stage ETA 1m05s",
// a progress bar of the current stage and a Cancel All button. Hidden while the queue is idle; shows
// "Cancelling…" from the click until the queue reports the running run stopped.
class RunQueueWidget : public QWidget {
    Q_OBJECT
public:
    explicit RunQueueWidget(RunQueue* queue, QWidget* parent = nullptr);

    QString statusText() const;
    // Progress of the running run's current stage, 0 .. 1000.
    int progressValue() const;
    QPushButton* cancelAllButton() const { return m_cancel; }

private:
    void refresh();
    void onBusyChanged(bool busy);
    void onCancelAllClicked();

    RunQueue* m_queue;
    QLabel* m_label = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
};

} // namespace vq
