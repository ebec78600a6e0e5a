#include "runners/sweepwatcher.h"

#include "common/error.h"
#include "run/sweep.h"

#include <QDir>
#include <QFileInfo>

namespace vq {

namespace {

struct FileRead {
    QString path;
    quint64 offset = 0; // where the next read starts
    std::vector<RunRecord> runs;
    QStringList warnings;
};

} // namespace

SweepWatcher::SweepWatcher(QObject* parent)
    : QObject(parent)
{
    m_pool.setMaxThreadCount(1);
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, &SweepWatcher::scheduleRead);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, &SweepWatcher::scheduleRead);
}

SweepWatcher::~SweepWatcher()
{
    ++m_generation;
    m_pool.waitForDone();
}

void SweepWatcher::watch(const QString& path)
{
    stop();
    const QFileInfo info(path);
    m_path = info.absoluteFilePath();
    if (info.isDir()) {
        m_folder = m_path;
        m_nameFilters = { QStringLiteral("*.jsonl") };
    } else if (m_path.endsWith(QStringLiteral(".sweep.json"))) {
        const QString base = info.fileName().chopped(int(qstrlen(".sweep.json")));
        m_folder = info.absolutePath();
        m_nameFilters = { base + QStringLiteral(".shard-*.jsonl"), base + QStringLiteral(".jsonl") };
    } else {
        // The folder too: the file may not exist yet, or be replaced by a rename.
        m_folder = info.absolutePath();
        m_nameFilters = { info.fileName() };
    }
    m_watcher.addPath(m_folder);
    scheduleRead();
}

void SweepWatcher::stop()
{
    ++m_generation;
    if (!m_watcher.files().isEmpty())
        m_watcher.removePaths(m_watcher.files());
    if (!m_watcher.directories().isEmpty())
        m_watcher.removePaths(m_watcher.directories());
    m_path.clear();
    m_folder.clear();
    m_nameFilters.clear();
    m_offsets.clear();
    m_delivered.clear();
    m_reading = false; // a read still running is dropped by its generation
    m_dirty = false;
}

QStringList SweepWatcher::matchingFiles() const
{
    if (m_folder.isEmpty())
        return {};
    QStringList out;
    const QDir dir(m_folder);
    for (const QString& name : dir.entryList(m_nameFilters, QDir::Files, QDir::Name))
        out << dir.filePath(name);
    return out;
}

QStringList SweepWatcher::files() const
{
    return m_watcher.files();
}

void SweepWatcher::scheduleRead()
{
    if (m_path.isEmpty())
        return;
    // A file replaced by rename leaves the watcher's list: follow the new one (and new shard files).
    for (const QString& file : matchingFiles())
        if (!m_watcher.files().contains(file) && QFileInfo::exists(file))
            m_watcher.addPath(file);
    if (m_reading) {
        m_dirty = true;
        return;
    }
    startRead();
}

void SweepWatcher::startRead()
{
    m_reading = true;
    m_dirty = false;
    std::vector<FileRead> jobs;
    for (const QString& file : matchingFiles())
        jobs.push_back({ file, m_offsets.value(file, 0), {}, {} });
    const quint64 generation = m_generation;
    m_pool.start([this, jobs = std::move(jobs), generation]() mutable {
        for (FileRead& job : jobs) {
            const std::string file = job.path.toStdString();
            try {
                RunLines lines;
                try {
                    lines = readNewRunLines(file, job.offset);
                } catch (const Error& e) {
                    if (e.kind() != ErrorKind::Truncated)
                        throw;
                    lines = readNewRunLines(file, 0); // rewritten shorter: read it again
                }
                job.offset = lines.end;
                job.runs = std::move(lines.runs);
                for (const std::string& w : lines.warnings)
                    job.warnings << QString::fromStdString(w);
            } catch (const std::exception& e) {
                // A malformed line stays where it is: the next change reads from the same offset.
                job.warnings << QString::fromUtf8(e.what());
            }
        }
        QMetaObject::invokeMethod(
            this,
            [this, jobs = std::move(jobs), generation]() mutable {
                if (generation != m_generation)
                    return; // watch() or stop() since: the result belongs to an earlier watch
                m_reading = false;
                auto runs = std::make_shared<RunList>();
                QStringList warnings;
                for (FileRead& job : jobs) {
                    m_offsets[job.path] = job.offset;
                    warnings << job.warnings;
                    for (RunRecord& r : job.runs) {
                        const QString key
                            = QString::fromStdString(r.id) + QLatin1Char(' ') + QString::fromLatin1(nameOf(r.status));
                        if (m_delivered.contains(key))
                            continue;
                        m_delivered.insert(key);
                        runs->push_back(std::make_shared<const RunRecord>(std::move(r)));
                    }
                }
                if (!runs->empty() || !warnings.isEmpty())
                    emit runsArrived(runs, warnings);
                if (m_dirty)
                    startRead();
            },
            Qt::QueuedConnection);
    });
}

} // namespace vq
