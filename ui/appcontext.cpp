#include "appcontext.h"

#include "displaytext.h"
#include "runners/backgroundrelease.h"

#include <algorithm>

namespace vq {

AppContext::AppContext(QObject* parent)
    : QObject(parent)
{
}

void AppContext::setTable(std::shared_ptr<const EmbeddingTable> table, std::shared_ptr<const TableStats> stats)
{
    Q_ASSERT((table == nullptr) == (stats == nullptr));
    // The previous table (a GB for a large model) is freed wherever its last holder lets it go.
    m_table = releasedInBackground(std::move(table));
    m_stats = std::move(stats);
    emit tableChanged();
}

int AppContext::rowOf(RunKey key) const
{
    for (size_t i = 0; i < m_runs.size(); ++i)
        if (m_runs[i].key == key)
            return int(i);
    return -1;
}

const RunEntry* AppContext::run(RunKey key) const
{
    const int row = rowOf(key);
    return row < 0 ? nullptr : &m_runs[size_t(row)];
}

RunEntry* AppContext::mutableRun(RunKey key)
{
    const int row = rowOf(key);
    return row < 0 ? nullptr : &m_runs[size_t(row)];
}

QString AppContext::uniqueRunName(const QString& name) const
{
    const auto taken = [this](const QString& candidate) {
        const std::string text = candidate.toStdString();
        return std::any_of(m_runs.begin(), m_runs.end(), [&](const RunEntry& e) { return e.record->name == text; });
    };
    QString candidate = name;
    for (int n = 2; taken(candidate); ++n)
        candidate = name + QStringLiteral(" #") + QString::number(n);
    return candidate;
}

RunKey AppContext::findRun(const std::string& id) const
{
    for (const RunEntry& e : m_runs)
        if (!e.preview && e.record->id == id
            && (e.record->status == RunStatus::Queued || e.record->status == RunStatus::Running
                || e.record->status == RunStatus::Done))
            return e.key;
    return 0;
}

RunKey AppContext::addRun(std::shared_ptr<const RunRecord> record, bool preview)
{
    Q_ASSERT(record);
    if (record->name.empty() && !preview) {
        auto named = std::make_shared<RunRecord>(*record);
        named->name = uniqueRunName(display::specLabel(record->spec)).toStdString();
        record = std::move(named);
    }
    RunEntry entry;
    entry.key = ++m_lastKey;
    entry.record = releasedInBackground(std::move(record));
    entry.preview = preview;
    m_runs.push_back(std::move(entry));
    emit runAdded(m_lastKey);
    if (!preview)
        setModified(true);
    return m_lastKey;
}

void AppContext::updateRun(RunKey key, std::shared_ptr<const RunRecord> record)
{
    Q_ASSERT(record);
    RunEntry* entry = mutableRun(key);
    if (!entry)
        return;
    const bool finished = entry->record->status != record->status;
    entry->record = releasedInBackground(std::move(record));
    if (entry->record->status != RunStatus::Running) {
        entry->stage.clear();
        entry->fraction = 0;
        entry->etaSeconds = -1;
    }
    const bool preview = entry->preview;
    emit runChanged(key);
    if (finished && !preview)
        setModified(true);
}

void AppContext::setRunProgress(RunKey key, const QString& stage, double fraction, double etaSeconds)
{
    RunEntry* entry = mutableRun(key);
    if (!entry)
        return;
    entry->stage = stage;
    entry->fraction = fraction;
    entry->etaSeconds = etaSeconds;
    emit runProgress(key);
}

void AppContext::renameRun(RunKey key, const QString& name)
{
    RunEntry* entry = mutableRun(key);
    if (!entry || QString::fromStdString(entry->record->name) == name)
        return;
    auto copy = std::make_shared<RunRecord>(*entry->record);
    copy->name = name.toStdString();
    entry->record = releasedInBackground(std::shared_ptr<const RunRecord>(std::move(copy)));
    const bool preview = entry->preview;
    emit runChanged(key);
    if (!preview)
        setModified(true);
}

void AppContext::removeRun(RunKey key)
{
    const int row = rowOf(key);
    if (row < 0)
        return;
    const bool preview = m_runs[size_t(row)].preview;
    emit runAboutToBeRemoved(row);
    m_runs.erase(m_runs.begin() + row);
    emit runRemoved(key);
    if (m_selection.removeAll(key) > 0)
        emit selectionChanged();
    if (!preview)
        setModified(true);
}

void AppContext::clearRuns()
{
    const bool hadSaved = std::any_of(m_runs.begin(), m_runs.end(), [](const RunEntry& e) { return !e.preview; });
    m_runs.clear();
    emit runsReset();
    if (!m_selection.isEmpty()) {
        m_selection.clear();
        emit selectionChanged();
    }
    if (hadSaved)
        setModified(true);
}

void AppContext::setSelectedRuns(const QList<RunKey>& keys)
{
    QList<RunKey> valid;
    for (RunKey key : keys)
        if (rowOf(key) >= 0 && !valid.contains(key))
            valid.append(key);
    if (valid == m_selection)
        return;
    m_selection = valid;
    emit selectionChanged();
}

void AppContext::setModified(bool modified)
{
    if (m_modified == modified)
        return;
    m_modified = modified;
    emit modifiedChanged(modified);
}

void AppContext::setSessionPath(const QString& path)
{
    if (m_sessionPath == path)
        return;
    m_sessionPath = path;
    emit sessionPathChanged(path);
}

} // namespace vq
