#pragma once

#include "runners/sessionrunner.h"

#include <QFileSystemWatcher>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QThreadPool>

#include <memory>

namespace vq {

// Follows the run files of a sweep while it runs and delivers each run once, as its line is complete.
// What is watched (watch()):
//   - a .jsonl file: that file (also once it is created, or replaced by a rename);
//   - a folder: every .jsonl file in it, including ones that appear later;
//   - a <base>.sweep.json manifest of `vqscope-cli sweep --slurm`: <base>.shard-*.jsonl and <base>.jsonl.
// A QFileSystemWatcher says when files change; the new bytes of each file are read from its last offset
// on this runner's own thread (readNewRunLines), whole lines only, so a line still being written is
// read once it is complete, and a torn line (a writer killed mid-line) is skipped with a warning. A file
// replaced by a shorter one (the merged file rewritten) is read again from the start. Runs already
// delivered (same run id and status) are not delivered again, so shard files and their merge do not
// double. Everything else belongs to the GUI thread; destroying the watcher waits for a running read.
class SweepWatcher : public QObject {
    Q_OBJECT
public:
    explicit SweepWatcher(QObject* parent = nullptr);
    ~SweepWatcher() override;

    // Starts following path (replacing what was followed) and reads what is already there.
    void watch(const QString& path);
    void stop();
    QString watchedPath() const { return m_path; }
    QStringList files() const; // the run files followed now

signals:
    // New runs in file order; warnings are torn lines skipped and files that could not be read.
    void runsArrived(std::shared_ptr<const vq::RunList> runs, const QStringList& warnings);

private:
    void scheduleRead();
    void startRead();
    QStringList matchingFiles() const;

    QFileSystemWatcher m_watcher;
    QThreadPool m_pool;
    QString m_path;
    QString m_folder; // empty: nothing watched
    QStringList m_nameFilters; // the files of m_folder followed
    QHash<QString, quint64> m_offsets; // bytes of each file already read
    QSet<QString> m_delivered; // run id + status
    quint64 m_generation = 0; // a read started before watch()/stop() is dropped
    bool m_reading = false;
    bool m_dirty = false; // changed while a read ran: read again after it
};

} // namespace vq
