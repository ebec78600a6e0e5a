#pragma once

#include <QObject>
#include <QString>
#include <QStringList>

namespace vq {

class MainWindow;

// Grabs every tab of the window to PNG files once the table is loaded and the run queue is idle: the
// README's screenshots, taken from the real application (under Xvfb or offscreen). Files are named
// "<dir>/<nn>-<tab objectName>.png". Selects the first two finished runs first, so run views and the
// compare view show data. Emits finished(ok) after the last file (or the first failure).
class ScreenshotTour : public QObject {
    Q_OBJECT
public:
    ScreenshotTour(MainWindow* window, const QString& directory, QObject* parent = nullptr);

    // Starts waiting for the table and an idle queue; call once, before or after the load starts.
    void start();
    QStringList writtenFiles() const { return m_written; }

signals:
    void finished(bool ok);

private:
    void maybeBegin();
    void grabTab(int index);

    MainWindow* m_window;
    QString m_directory;
    QStringList m_written;
    bool m_begun = false;
};

} // namespace vq
