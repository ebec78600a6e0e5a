// kill -9 while sessions and autosave journals are written: a child (tests/helpers/sessionwriter.cpp)
// rewrites a session file and a journal in a loop and is SIGKILLed at 50 seeded random moments. After
// every kill the files left behind open, hold one complete version (old or new, never a mix), and no
// version older than one already seen on disk; a torn tail of the journal is skipped with a warning.
#include "common/error.h"
#include "run/session.h"
#include "run/sessionjournal.h"

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <random>
#include <thread>

using namespace vq;
namespace fs = std::filesystem;

namespace {

constexpr int kKills = 50;

// The version all runs are named after ("v<n>"), or -1 when they disagree or the count does not match.
long long versionOf(const std::vector<RunRecord>& runs)
{
    if (runs.empty() || runs[0].name.size() < 2 || runs[0].name[0] != 'v')
        return -1;
    const long long v = std::stoll(runs[0].name.substr(1));
    if (runs.size() != size_t(v % 4 + 1))
        return -1;
    for (const RunRecord& r : runs)
        if (r.name != runs[0].name || r.status != RunStatus::Done || !r.table)
            return -1;
    return v;
}

int temporariesIn(const std::string& folder)
{
    int n = 0;
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(folder, ec))
        n += e.path().filename().string().find(".tmp-") != std::string::npos;
    return n;
}

} // namespace

class TestSessionCrash : public QObject {
    Q_OBJECT
private slots:
    void killedWritersLeaveReadableFiles()
    {
        QTemporaryDir dir;
        const std::string folder = dir.path().toStdString();
        const std::string session = folder + "/session.vqproj";
        const std::string journal = folder + "/autosave";
        std::mt19937 random(20261208);
        long long seenSession = -1, seenJournal = -1;
        int midWrite = 0; // kills that left a temporary: the child was writing
        int sessionTemporaries = 0;
        for (int kill = 0; kill < kKills; ++kill) {
            QProcess child;
            child.start(QStringLiteral(VQ_SESSIONWRITER_PATH),
                { dir.path(), QString::number(std::max(seenSession, seenJournal) + 1) });
            QVERIFY(child.waitForStarted());
            QVERIFY(child.waitForReadyRead(30000));
            QCOMPARE(child.readLine().trimmed(), QByteArray("ready"));
            std::this_thread::sleep_for(std::chrono::microseconds(random() % 100000));
            child.kill(); // SIGKILL
            QVERIFY(child.waitForFinished(30000));
            QCOMPARE(child.exitStatus(), QProcess::CrashExit);

            const int sessionNow = temporariesIn(folder);
            midWrite += sessionNow > sessionTemporaries || temporariesIn(journal) > 0;
            sessionTemporaries = sessionNow;
            const std::string at = "after kill " + std::to_string(kill + 1);
            if (fs::exists(session)) {
                long long v = -1;
                try {
                    v = versionOf(readSession(session).runs);
                } catch (const Error& e) {
                    QFAIL((at + ": " + e.what()).c_str());
                }
                QVERIFY2(v >= 0, (at + ": the session mixes versions").c_str());
                QVERIFY2(v >= seenSession, (at + ": the session went back to an older version").c_str());
                seenSession = v;
            }
            if (fs::exists(SessionJournal::indexPath(journal))) {
                JournalContents c;
                try {
                    c = SessionJournal::read(journal);
                } catch (const Error& e) {
                    QFAIL((at + ": " + e.what()).c_str());
                }
                if (!c.warnings.empty())
                    QFAIL((at + ": " + c.warnings.front()).c_str());
                const long long v = versionOf(c.runs);
                QVERIFY2(v >= 0, (at + ": the journal mixes versions").c_str());
                QVERIFY2(v >= seenJournal, (at + ": the journal went back to an older version").c_str());
                seenJournal = v;
            }
        }
        qInfo("%d of %d kills hit a write in progress; last versions: session %lld, journal %lld", midWrite, kKills,
            seenSession, seenJournal);
        QVERIFY(seenSession >= 0 && seenJournal >= 0);
        // Most of the child's time is spent writing: a test whose kills all fell between writes tests nothing.
        QVERIFY2(midWrite >= kKills / 5, qPrintable(QString::number(midWrite)));

        // A torn tail: the journal's last run file cut short, as a crash on a disk that lost the end of a
        // write leaves it. That run comes back to be run again, with a warning; the others are intact.
        const JournalContents before = SessionJournal::read(journal);
        const size_t last = before.runs.size();
        QVERIFY(last >= 1);
        const std::string tail = journal + "/run-" + std::to_string(last) + ".vqproj";
        fs::resize_file(tail, fs::file_size(tail) * 2 / 3);
        const JournalContents after = SessionJournal::read(journal);
        QCOMPARE(after.runs.size(), last);
        QCOMPARE(after.warnings.size(), size_t(1));
        QVERIFY2(after.warnings[0].rfind(tail + ": ", 0) == 0, after.warnings[0].c_str());
        QCOMPARE(after.runs.back().status, RunStatus::Interrupted);
        QVERIFY(!after.runs.back().table);
        for (size_t i = 0; i + 1 < last; ++i)
            QVERIFY(after.runs[i].table && after.runs[i].status == RunStatus::Done);
    }
};

QTEST_GUILESS_MAIN(TestSessionCrash)
#include "tst_sessioncrash.moc"
