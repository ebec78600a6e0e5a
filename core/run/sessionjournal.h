#pragma once

#include "common/runcontrol.h"
#include "run/runrecord.h"
#include "run/session.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vq {

// The autosave of a session: a folder holding a small index (JSON: the table's identity, the session
// file the work belongs to, every run's record in order) and, for each finished run with arrays, one
// session file of that run alone ("run-<key>.vqproj", see core/run/SESSION.md). A run's file is written
// once; after that an autosave rewrites only the index. Every file is written atomically and the index
// last, so the folder always holds a consistent earlier or later state.
inline constexpr const char* kJournalFormat = "vqscope-autosave";
inline constexpr int kJournalVersion = 1;

// A run as the journal sees it: a key that stays the same for the run's whole life in its session, and
// its current record (arrays shared, not copied).
struct JournalRun {
    uint64_t key = 0;
    std::shared_ptr<const RunRecord> record;
};

// What a journal folder holds.
struct JournalContents {
    SessionTable table;
    std::string sessionPath; // the session file the work was saved to or opened from; empty: none
    // In order. A run that was queued or running when the journal was written is Interrupted (spec and
    // options kept, no arrays); finished runs have their arrays and full metrics when they had them.
    std::vector<RunRecord> runs;
    // One line per run whose arrays file is missing, cut short or not its run (a crash or a disk that
    // lost data): "<file>: <problem>". That run comes back Interrupted without arrays, ready to run
    // again; the other runs are unaffected.
    std::vector<std::string> warnings;
};

class SessionJournal {
public:
    explicit SessionJournal(std::string folder);

    const std::string& folder() const { return m_folder; }

    // Brings the folder up to date with the session, creating it if needed: writes the file of every
    // finished run with arrays not written yet (or whose arrays changed), then the index, then removes
    // the files of runs no longer listed. The first write also removes the temporaries that a writer
    // killed mid-write left in the folder (the folder has one writer). Returns how many run files were written.
    // Progress stage "autosave" over the run files; throws vq::Cancelled (what was written stays consistent) and
    // Error(WriteFailed) naming the file. Not thread-safe: one write (or clear) at a time.
    int write(const SessionTable& table, const std::string& sessionPath, const std::vector<JournalRun>& runs,
        RunControl& control = nullRunControl());
    // Removes the journal's files and its folder; the next write starts afresh.
    void clear();

    // Reads a journal folder. Errors name the index: NotFound (no index), Malformed (not a journal index,
    // a missing or mistyped key, an arrays entry that is not a file name beside it), Unsupported (another
    // version). A damaged run file is not an error but a warning (JournalContents::warnings).
    static JournalContents read(const std::string& folder, RunControl& control = nullRunControl());
    static std::string indexPath(const std::string& folder);

private:
    std::string runFile(uint64_t key) const;

    std::string m_folder;
    // Run files written, by key, with the arrays they hold (to notice a run whose arrays changed).
    std::map<uint64_t, const void*> m_written;
    bool m_cleaned = false; // temporaries of an earlier writer removed
};

} // namespace vq
