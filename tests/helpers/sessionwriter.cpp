// A child for tst_sessioncrash: writes a session file and an autosave journal over and over until it is
// killed. Version v of both holds runs 1..(v % 4 + 1), every run named "v<v>", so a reader can tell
// which complete version it sees and that nothing newer than a version already seen went missing.
//   vqtest_sessionwriter FOLDER FIRST_VERSION
// writes FOLDER/session.vqproj and FOLDER/autosave/, and prints "ready" once the runs are fitted.
#include "common/error.h"
#include "io/embeddingtable.h"
#include "run/runexecutor.h"
#include "run/session.h"
#include "run/sessionjournal.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using namespace vq;

int main(int argc, char** argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s FOLDER FIRST_VERSION\n", argv[0]);
        return 2;
    }
    const std::string folder = argv[1];
    const long long first = std::atoll(argv[2]);
    try {
        // A small random table: the runs take milliseconds, the files a few hundred kB.
        EmbeddingTable table;
        table.values = Matrix(200, 16);
        uint32_t x = 2463534242u;
        for (float& v : table.values.values) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            v = float(x % 2001) / 1000.0f - 1.0f;
        }
        table.source.file = folder + "/table.npy";
        table.source.format = "NumPy";
        table.source.tensor = "table";
        table.source.dtype = "float32";
        table.source.checksum = tableChecksum(table.values);
        std::vector<RunRecord> runs;
        RunOptions options;
        options.recallQueries = 0;
        for (int bits = 2; bits <= 5; ++bits)
            runs.push_back(executeRun(
                table, { "rtn", { { "bits", bits }, { "group", 16 }, { "mode", "sym" } } }, options, nullRunControl()));
        std::puts("ready");
        std::fflush(stdout);

        SessionJournal journal(folder + "/autosave");
        for (long long v = first;; ++v) {
            const size_t count = size_t(v % 4 + 1);
            Session session;
            session.table = SessionTable::of(table);
            std::vector<JournalRun> journalRuns;
            char name[32];
            std::snprintf(name, sizeof name, "v%lld", v); // not "v" + to_string: GCC 12 -Wrestrict misfires
            for (size_t i = 0; i < count; ++i) {
                auto r = std::make_shared<RunRecord>(runs[i]);
                r->name = name;
                session.runs.push_back(*r);
                journalRuns.push_back({ uint64_t(i + 1), std::move(r) });
            }
            writeSession(folder + "/session.vqproj", session);
            journal.write(session.table, folder + "/session.vqproj", journalRuns);
        }
    } catch (const Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
