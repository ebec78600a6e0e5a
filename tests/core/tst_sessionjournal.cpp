// The autosave journal: a finished run's arrays are written once, later autosaves write only the index
// (and the files of new runs); what was written reads back exactly, runs in progress come back as
// Interrupted with their spec, the session file path is kept, a deleted run's file goes away, a cancel
// leaves the earlier state, and damaged journals give errors naming the file. Real runs (rtn, pq) on the
// 512 GloVe rows of tests/data.
#include "common/error.h"
#include "run/runexecutor.h"
#include "run/sessionjournal.h"

#include "quantchecks.h"
#include "testutil.h"

#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <filesystem>
#include <fstream>

Q_DECLARE_METATYPE(vq::ErrorKind)

using namespace vq;
namespace fs = std::filesystem;

namespace {

bool sameFloats(const std::vector<float>& a, const std::vector<float>& b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::shared_ptr<const RunRecord> queued(const RunRecord& done)
{
    auto r = std::make_shared<RunRecord>(done);
    r->status = RunStatus::Running;
    r->table.reset();
    r->fullMetrics.reset();
    r->metrics = nlohmann::json();
    return r;
}

void writeText(const std::string& path, const std::string& text)
{
    std::ofstream(path, std::ios::binary) << text;
}

} // namespace

class TestSessionJournal : public QObject {
    Q_OBJECT
private:
    EmbeddingTable m_table;
    std::shared_ptr<const RunRecord> m_rtn;
    std::shared_ptr<const RunRecord> m_pq;

    std::string folder(const QTemporaryDir& dir) const { return dir.filePath(QStringLiteral("journal")).toStdString(); }

private slots:
    void initTestCase()
    {
        m_table.values = vqtest::readNpySlice(vqtest::dataPath("reference-512x100-f32.npy"));
        m_table.source.file = vqtest::dataPath("reference-512x100-f32.npy");
        m_table.source.format = "NumPy";
        m_table.source.tensor = "reference";
        m_table.source.dtype = "float32";
        m_table.source.checksum = tableChecksum(m_table.values);
        RunOptions options;
        options.recallQueries = 50;
        options.name = "rtn 4";
        m_rtn = std::make_shared<const RunRecord>(executeRun(
            m_table, { "rtn", { { "bits", 4 }, { "group", 0 }, { "mode", "sym" } } }, options, nullRunControl()));
        options.name = "pq";
        m_pq = std::make_shared<const RunRecord>(
            executeRun(m_table, { "pq", { { "d", 5 }, { "bits", 4 } } }, options, nullRunControl()));
        QVERIFY(m_rtn->table && m_rtn->fullMetrics && m_pq->table && m_pq->fullMetrics);
    }

    void writesEachRunOnceAndReadsBackExactly()
    {
        QTemporaryDir dir;
        const std::string where = folder(dir);
        const SessionTable table = SessionTable::of(m_table);
        SessionJournal journal(where);

        // A finished run and one in progress: one run file, and the index.
        std::vector<JournalRun> runs { { 1, m_rtn }, { 2, queued(*m_pq) } };
        QCOMPARE(journal.write(table, "/work/one.vqproj", runs), 1);
        QVERIFY(fs::exists(where + "/run-1.vqproj"));
        QVERIFY(!fs::exists(where + "/run-2.vqproj"));
        const auto firstWrite = fs::last_write_time(where + "/run-1.vqproj");

        JournalContents back = SessionJournal::read(where);
        QCOMPARE(back.sessionPath, std::string("/work/one.vqproj"));
        QCOMPARE(back.table.checksum, m_table.source.checksum);
        QCOMPARE(back.runs.size(), size_t(2));
        QCOMPARE(back.runs[0].toJson().dump(), m_rtn->toJson().dump());
        QVERIFY(back.runs[0].table && back.runs[0].fullMetrics);
        QCOMPARE(back.runs[0].table->bits().totalBits(), m_rtn->table->bits().totalBits());
        QVERIFY(sameFloats(
            back.runs[0].fullMetrics->reconstruction.tokenRelError, m_rtn->fullMetrics->reconstruction.tokenRelError));
        // The run in progress comes back interrupted, its spec kept, without arrays.
        QCOMPARE(back.runs[1].status, RunStatus::Interrupted);
        QCOMPARE(back.runs[1].spec.toJson().dump(), m_pq->spec.toJson().dump());
        QCOMPARE(back.runs[1].name, std::string("pq"));
        QVERIFY(!back.runs[1].table && !back.runs[1].fullMetrics);
        QVERIFY(!back.runs[1].error.empty());

        // The second run finishes: only its file is written; the first run's file is left alone.
        runs[1].record = m_pq;
        QCOMPARE(journal.write(table, "/work/one.vqproj", runs), 1);
        QVERIFY(fs::exists(where + "/run-2.vqproj"));
        QCOMPARE(fs::last_write_time(where + "/run-1.vqproj"), firstWrite);

        // A rename changes the index only.
        auto renamed = std::make_shared<RunRecord>(*m_pq);
        renamed->name = "renamed";
        runs[1].record = renamed;
        QCOMPARE(journal.write(table, "/work/two.vqproj", runs), 0);
        back = SessionJournal::read(where);
        QCOMPARE(back.runs[1].name, std::string("renamed"));
        QCOMPARE(back.runs[1].status, RunStatus::Done);
        QVERIFY(
            sameFloats(back.runs[1].fullMetrics->reconstruction.tokenMse, m_pq->fullMetrics->reconstruction.tokenMse));
        QCOMPARE(back.sessionPath, std::string("/work/two.vqproj"));

        // A deleted run's file goes away with it.
        runs.erase(runs.begin());
        QCOMPARE(journal.write(table, "", runs), 0);
        QVERIFY(!fs::exists(where + "/run-1.vqproj"));
        back = SessionJournal::read(where);
        QCOMPARE(back.runs.size(), size_t(1));
        QVERIFY(back.sessionPath.empty());

        journal.clear();
        QVERIFY(!fs::exists(where));
        // After a clear, the next write starts afresh.
        QCOMPARE(journal.write(table, "", runs), 1);
    }

    void cancelKeepsTheEarlierState()
    {
        QTemporaryDir dir;
        const std::string where = folder(dir);
        SessionJournal journal(where);
        const SessionTable table = SessionTable::of(m_table);
        QCOMPARE(journal.write(table, "", { { 1, m_rtn } }), 1);
        RunControl control;
        control.cancel();
        QVERIFY_THROWS_EXCEPTION(Cancelled, journal.write(table, "", { { 1, m_rtn }, { 2, m_pq } }, control));
        const JournalContents back = SessionJournal::read(where);
        QCOMPARE(back.runs.size(), size_t(1));
        // Not counted as written: the next write writes it.
        QCOMPARE(journal.write(table, "", { { 1, m_rtn }, { 2, m_pq } }), 1);
    }

    void damagedJournalsNameTheFile_data()
    {
        QTest::addColumn<QString>("index"); // empty: no index at all
        QTest::addColumn<ErrorKind>("kind");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("message");
        const QString head = QStringLiteral(R"({"format": "vqscope-autosave", "version": 1, "sessionPath": "", )"
                                            R"("table": {"file": "", "tensor": "", "format": "", "dtype": "", )"
                                            R"("checksum": "", "rows": 0, "dim": 0}, )");
        QTest::newRow("missing") << QString() << ErrorKind::NotFound << QStringLiteral("index.json")
                                 << QStringLiteral("no such file");
        QTest::newRow("empty") << QStringLiteral(" ") << ErrorKind::Malformed << QStringLiteral("index.json")
                               << QStringLiteral("not valid JSON");
        QTest::newRow("another format") << QStringLiteral(R"({"format": "x"})") << ErrorKind::Malformed
                                        << QStringLiteral("index.json") << QStringLiteral("not a vqscope autosave");
        QTest::newRow("version") << QStringLiteral(R"({"format": "vqscope-autosave", "version": 9})")
                                 << ErrorKind::Unsupported << QStringLiteral("index.json")
                                 << QStringLiteral("autosave version 9");
        QTest::newRow("no runs") << head + QStringLiteral(R"("x": 1})") << ErrorKind::Malformed
                                 << QStringLiteral("index.json") << QStringLiteral("missing key 'runs'");
        QTest::newRow("not a record") << head + QStringLiteral(R"("runs": [{"record": {}, "arrays": ""}]})")
                                      << ErrorKind::Malformed << QStringLiteral("index.json")
                                      << QStringLiteral("run 1");
        QTest::newRow("arrays elsewhere") << QStringLiteral("RECORD:../../etc/passwd") << ErrorKind::Malformed
                                          << QStringLiteral("index.json") << QStringLiteral("not a file name");
    }

    void damagedJournalsNameTheFile()
    {
        QFETCH(QString, index);
        QFETCH(ErrorKind, kind);
        QFETCH(QString, file);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const std::string where = folder(dir);
        fs::create_directories(where);
        if (index.startsWith(QStringLiteral("RECORD:"))) {
            // A valid index whose one run names the given arrays file.
            SessionJournal journal(where);
            journal.write(SessionTable::of(m_table), "", { { 1, queued(*m_rtn) } });
            std::ifstream in(SessionJournal::indexPath(where));
            nlohmann::json j = nlohmann::json::parse(in);
            j["runs"][0]["arrays"] = index.mid(7).toStdString();
            writeText(SessionJournal::indexPath(where), j.dump());
        } else if (!index.isEmpty()) {
            writeText(SessionJournal::indexPath(where), index.toStdString());
        }
        try {
            SessionJournal::read(where);
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), kind);
            QVERIFY2(QString::fromStdString(e.path()).endsWith(file), e.what());
            QVERIFY2(QString::fromUtf8(e.what()).contains(message), e.what());
        }
    }

    // A run file that is gone, cut short (a crash on a disk that lost the end of it) or holds another
    // run costs that run's arrays only: it comes back Interrupted, with a warning naming the file.
    void aLostRunFileIsSkippedWithAWarning_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<QString>("says");
        QTest::newRow("missing") << QStringLiteral("remove") << QStringLiteral("No such file");
        QTest::newRow("torn tail") << QStringLiteral("truncate") << QStringLiteral("HDF5");
        QTest::newRow("another run") << QStringLiteral("swap") << QStringLiteral("does not hold the run");
    }
    void aLostRunFileIsSkippedWithAWarning()
    {
        QFETCH(QString, damage);
        QFETCH(QString, says);
        QTemporaryDir dir;
        const std::string where = folder(dir);
        SessionJournal journal(where);
        QCOMPARE(journal.write(SessionTable::of(m_table), "", { { 1, m_rtn }, { 2, m_pq } }), 2);
        const std::string last = where + "/run-2.vqproj";
        if (damage == u"remove") {
            fs::remove(last);
        } else if (damage == u"truncate") {
            fs::resize_file(last, fs::file_size(last) / 2);
        } else {
            fs::copy_file(where + "/run-1.vqproj", last, fs::copy_options::overwrite_existing);
        }
        const JournalContents back = SessionJournal::read(where);
        QCOMPARE(back.runs.size(), size_t(2));
        QCOMPARE(back.runs[0].status, RunStatus::Done);
        QVERIFY(back.runs[0].table);
        QVERIFY(sameFloats(back.runs[0].table->decodeAll().values, m_rtn->table->decodeAll().values));
        QCOMPARE(back.runs[1].status, RunStatus::Interrupted);
        QCOMPARE(back.runs[1].name, m_pq->name);
        QVERIFY(!back.runs[1].table && !back.runs[1].fullMetrics);
        QCOMPARE(back.warnings.size(), size_t(1));
        const QString warning = QString::fromStdString(back.warnings[0]);
        QVERIFY2(warning.startsWith(QString::fromStdString(last) + QStringLiteral(": ")), qPrintable(warning));
        QVERIFY2(warning.contains(says), qPrintable(warning));
    }

    void aKilledWritersTemporariesAreRemoved()
    {
        QTemporaryDir dir;
        const std::string where = folder(dir);
        fs::create_directories(where);
        const std::string stale = where + "/.index.json.tmp-99999-0-abc";
        writeText(stale, "{\"half\": ");
        SessionJournal journal(where);
        journal.write(SessionTable::of(m_table), "", { { 1, m_rtn } });
        QVERIFY(!fs::exists(stale));
        QCOMPARE(SessionJournal::read(where).runs.size(), size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestSessionJournal)
#include "tst_sessionjournal.moc"
