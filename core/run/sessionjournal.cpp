#include "run/sessionjournal.h"

#include "common/error.h"
#include "io/atomicfile.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace vq {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

// An index holds records, not arrays: a few kB per run. Anything far larger is not one.
constexpr std::uintmax_t kMaxIndexBytes = std::uintmax_t(64) << 20;

bool hasArrays(const RunRecord& r)
{
    return r.status == RunStatus::Done && (r.table || r.fullMetrics);
}

Json readIndex(const std::string& path)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw Error(ErrorKind::NotFound, path, "no such file");
    const std::uintmax_t size = fs::file_size(path, ec);
    if (ec)
        throw Error(ErrorKind::Unreadable, path, ec.message());
    if (size == 0)
        throw Error(ErrorKind::Empty, path, "empty file");
    if (size > kMaxIndexBytes)
        throw Error(ErrorKind::Malformed, path, "too large for an autosave index (" + std::to_string(size) + " bytes)");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(ErrorKind::Unreadable, path, "cannot open");
    std::stringstream text;
    text << in.rdbuf();
    try {
        return Json::parse(text.str());
    } catch (const Json::exception& e) {
        throw Error(ErrorKind::Malformed, path, std::string("not valid JSON: ") + e.what());
    }
}

const Json& member(
    const Json& j, const char* key, Json::value_t type, const std::string& path, const std::string& where)
{
    const auto it = j.is_object() ? j.find(key) : j.end();
    if (it == j.end())
        throw Error(ErrorKind::Malformed, path, where + ": missing key '" + key + "'");
    if (it->type() != type && !(type == Json::value_t::number_unsigned && it->is_number_integer()))
        throw Error(ErrorKind::Malformed, path, where + ": key '" + key + "' has the wrong type");
    return *it;
}

} // namespace

SessionJournal::SessionJournal(std::string folder)
    : m_folder(std::move(folder))
{
}

std::string SessionJournal::indexPath(const std::string& folder)
{
    return (fs::path(folder) / "index.json").string();
}

std::string SessionJournal::runFile(uint64_t key) const
{
    return (fs::path(m_folder) / ("run-" + std::to_string(key) + ".vqproj")).string();
}

int SessionJournal::write(
    const SessionTable& table, const std::string& sessionPath, const std::vector<JournalRun>& runs, RunControl& control)
{
    control.throwIfCancelled();
    std::error_code ec;
    fs::create_directories(m_folder, ec);
    if (ec)
        throw Error(ErrorKind::WriteFailed, m_folder, "cannot create the autosave folder: " + ec.message());

    if (!m_cleaned) {
        // Temporaries a killed writer left; this folder has no other writer.
        for (const fs::directory_entry& e : fs::directory_iterator(m_folder, ec))
            if (AtomicFile::isTemporaryName(e.path().filename().string()))
                fs::remove(e.path(), ec);
        m_cleaned = true;
    }

    std::vector<const JournalRun*> pending;
    for (const JournalRun& run : runs) {
        if (!run.record || !hasArrays(*run.record))
            continue;
        const auto it = m_written.find(run.key);
        if (it == m_written.end() || it->second != run.record->table.get())
            pending.push_back(&run);
    }
    control.report("autosave", 0.0);
    int written = 0;
    for (const JournalRun* run : pending) {
        control.throwIfCancelled();
        Session one;
        one.table = table;
        one.runs.push_back(*run->record); // arrays shared, not copied
        writeSession(runFile(run->key), one);
        m_written[run->key] = run->record->table.get();
        ++written;
        control.report("autosave", double(written) / double(pending.size()));
    }
    control.throwIfCancelled();

    Json list = Json::array();
    std::set<uint64_t> listed;
    for (const JournalRun& run : runs) {
        if (!run.record)
            continue;
        const bool arrays = hasArrays(*run.record);
        list.push_back({ { "key", run.key }, { "record", run.record->toJson() },
            { "arrays", arrays ? fs::path(runFile(run.key)).filename().string() : std::string() } });
        listed.insert(run.key);
    }
    const Json index = { { "format", kJournalFormat }, { "version", kJournalVersion }, { "table", table.toJson() },
        { "sessionPath", sessionPath }, { "runs", std::move(list) } };
    std::string text;
    try {
        text = index.dump(1);
    } catch (const Json::exception& e) {
        throw Error(
            ErrorKind::InvalidArgument, indexPath(m_folder), std::string("a record is not valid UTF-8: ") + e.what());
    }
    AtomicFile file(indexPath(m_folder));
    file.write(text.data(), text.size());
    file.commit();

    // Runs deleted from the session: their files are not listed any more.
    for (auto it = m_written.begin(); it != m_written.end();) {
        if (listed.count(it->first) > 0) {
            ++it;
            continue;
        }
        fs::remove(runFile(it->first), ec);
        it = m_written.erase(it);
    }
    control.report("autosave", 1.0);
    return written;
}

void SessionJournal::clear()
{
    std::error_code ec;
    fs::remove_all(m_folder, ec);
    m_written.clear();
}

JournalContents SessionJournal::read(const std::string& folder, RunControl& control)
{
    const std::string path = indexPath(folder);
    control.report("open autosave", 0.0);
    const Json index = readIndex(path);
    const std::string where = "autosave index";
    if (!index.is_object() || index.value("format", std::string()) != kJournalFormat)
        throw Error(ErrorKind::Malformed, path, "not a vqscope autosave index");
    const int64_t version = member(index, "version", Json::value_t::number_unsigned, path, where).get<int64_t>();
    if (version != kJournalVersion)
        throw Error(ErrorKind::Unsupported, path,
            "autosave version " + std::to_string(version) + "; this build reads version "
                + std::to_string(kJournalVersion));

    JournalContents contents;
    try {
        contents.table = SessionTable::fromJson(member(index, "table", Json::value_t::object, path, where));
    } catch (const Error& e) {
        if (!e.path().empty())
            throw;
        throw Error(ErrorKind::Malformed, path, e.message());
    }
    contents.sessionPath = member(index, "sessionPath", Json::value_t::string, path, where).get<std::string>();
    const Json& runs = member(index, "runs", Json::value_t::array, path, where);
    for (size_t i = 0; i < runs.size(); ++i) {
        control.throwIfCancelled();
        const std::string at = "run " + std::to_string(i + 1);
        const Json& entry = runs[i];
        RunRecord r;
        try {
            r = RunRecord::fromJson(member(entry, "record", Json::value_t::object, path, at));
        } catch (const Error& e) {
            if (!e.path().empty())
                throw;
            throw Error(ErrorKind::Malformed, path, at + ": " + e.message());
        }
        const std::string arrays = member(entry, "arrays", Json::value_t::string, path, at).get<std::string>();
        if (!arrays.empty()) {
            // A file name beside the index, never a path elsewhere.
            if (arrays.find('/') != std::string::npos || arrays == "." || arrays == "..")
                throw Error(ErrorKind::Malformed, path, at + ": arrays file '" + arrays + "' is not a file name");
            const std::string file = (fs::path(folder) / arrays).string();
            try {
                Session one = readSession(file);
                if (one.runs.size() != 1 || one.runs[0].spec.toJson() != r.spec.toJson())
                    throw Error(ErrorKind::Malformed, file, "does not hold the run its autosave index lists");
                r.table = std::move(one.runs[0].table);
                r.fullMetrics = std::move(one.runs[0].fullMetrics);
            } catch (const Cancelled&) {
                throw;
            } catch (const Error& e) {
                // One lost file costs that run's arrays, not the whole autosave.
                contents.warnings.push_back(e.what());
                r.status = RunStatus::Interrupted;
                r.error = "its autosaved arrays were lost (" + e.message() + ")";
                r.table.reset();
                r.fullMetrics.reset();
            }
        }
        if (r.status == RunStatus::Queued || r.status == RunStatus::Running) {
            r.status = RunStatus::Interrupted;
            r.error = "vqscope stopped before this run finished";
        }
        contents.runs.push_back(std::move(r));
        control.report("open autosave", double(i + 1) / double(runs.size()));
    }
    return contents;
}

} // namespace vq
