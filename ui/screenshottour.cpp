#include "screenshottour.h"

#include "appcontext.h"
#include "mainwindow.h"
#include "runners/runqueue.h"

#include <QDir>
#include <QTabWidget>
#include <QTimer>

namespace vq {

namespace {

// Long enough for charts to lay out and coalesced replots to land.
constexpr int kSettleMs = 800;

} // namespace

ScreenshotTour::ScreenshotTour(MainWindow* window, const QString& directory, QObject* parent)
    : QObject(parent)
    , m_window(window)
    , m_directory(directory)
{
}

void ScreenshotTour::start()
{
    connect(m_window->context(), &AppContext::tableChanged, this, &ScreenshotTour::maybeBegin);
    connect(m_window->runQueue(), &RunQueue::busyChanged, this, &ScreenshotTour::maybeBegin);
    connect(m_window, &MainWindow::loadAborted, this, [this] { emit finished(false); });
    maybeBegin();
}

void ScreenshotTour::maybeBegin()
{
    // Runs queued at startup are queued on tableChanged: let that happen before checking the queue.
    QTimer::singleShot(0, this, [this] {
        if (m_begun || !m_window->context()->hasTable() || m_window->runQueue()->isBusy())
            return;
        m_begun = true;
        if (!QDir().mkpath(m_directory)) {
            emit finished(false);
            return;
        }
        AppContext* context = m_window->context();
        QList<RunKey> done;
        for (const RunEntry& entry : context->runs())
            if (!entry.preview && entry.record->status == RunStatus::Done && done.size() < 2)
                done.append(entry.key);
        context->setSelectedRuns(done);
        QTimer::singleShot(kSettleMs, this, [this] { grabTab(0); });
    });
}

void ScreenshotTour::grabTab(int index)
{
    QTabWidget* tabs = m_window->tabs();
    if (index >= tabs->count()) {
        emit finished(true);
        return;
    }
    tabs->setCurrentIndex(index);
    QTimer::singleShot(kSettleMs, this, [this, index] {
        QWidget* page = m_window->tabs()->widget(index);
        const QString name = page->objectName().isEmpty() ? QStringLiteral("tab") : page->objectName();
        const QString file
            = QDir(m_directory).filePath(QStringLiteral("%1-%2.png").arg(index, 2, 10, QLatin1Char('0')).arg(name));
        if (!m_window->grab().save(file, "PNG")) {
            emit finished(false);
            return;
        }
        m_written.append(file);
        grabTab(index + 1);
    });
}

} // namespace vq
