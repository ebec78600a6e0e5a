// A disk that fills up (ENOSPC) or a device that fails (EIO) while a file is replaced, made with
// AtomicFileFault: for every kind of file vqscope writes (artifact, its safetensors form, dequantized
// npy/safetensors/GGUF tables, patched safetensors and GGUF checkpoints, sessions, the autosave
// journal's run files and index) the write fails with WriteFailed naming the target and the system's
// words for the errno, the old file stays byte for byte, no temporary is left beside it, and once the
// disk has room again the same write succeeds. Real RTN tables of the 512 reference rows of tests/data.
#include "common/error.h"
#include "export/artifact.h"
#include "export/dequantizedexport.h"
#include "export/patchedcheckpoint.h"
#include "io/atomicfile.h"
#include "quant/registry.h"
#include "run/runexecutor.h"
#include "run/session.h"
#include "run/sessionjournal.h"

#include "ggufchecks.h"
#include "quantchecks.h"
#include "safetensorsfixture.h"
#include "testutil.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>

using namespace vq;

namespace {

using Op = AtomicFileFault::Op;

// The two contents written in turn: version 0 is on disk when version 1 fails.
struct Versions {
    EmbeddingTable table;
    std::shared_ptr<const RunRecord> run[2];
};

const Versions& versions()
{
    static const Versions v = [] {
        Versions out;
        out.table.values = vqtest::referenceTable(100);
        out.table.source.file = vqtest::dataPath("reference-512x100-f32.npy");
        out.table.source.format = "NumPy";
        out.table.source.tensor = "reference";
        out.table.source.dtype = "float32";
        out.table.source.checksum = tableChecksum(out.table.values);
        RunOptions options;
        options.recallQueries = 20;
        for (int i = 0; i < 2; ++i) {
            options.name = "rtn " + std::to_string(4 - i);
            out.run[i] = std::make_shared<const RunRecord>(executeRun(out.table,
                { "rtn", { { "bits", 4 - i }, { "group", 20 }, { "mode", "sym" } } }, options, nullRunControl()));
        }
        return out;
    }();
    return v;
}

// Writes version `which` of a kind of file to path (the target the error must name).
using Writer = std::function<void(const std::string& path, int which)>;

std::map<QString, Writer> writers()
{
    const auto table = [](int which) -> const QuantizedTable& { return *versions().run[which]->table; };
    const auto artifact = [table](int which) {
        ArtifactContents c;
        c.table = table(which);
        c.metrics = versions().run[which]->metrics;
        c.provenance = makeProvenance(versions().table.source, nullRunControl());
        return c;
    };
    const auto patchOptions = [](const std::string& tensor) {
        PatchOptions o;
        o.tensorName = tensor;
        o.tableSource = versions().table.source;
        return o;
    };
    std::map<QString, Writer> w;
    w[QStringLiteral("artifact")] = [=](const std::string& p, int v) { writeArtifact(p, artifact(v)); };
    w[QStringLiteral("artifact safetensors")]
        = [=](const std::string& p, int v) { writeArtifactSafetensors(p, artifact(v)); };
    w[QStringLiteral("dequantized npy")] = [=](const std::string& p, int v) { exportDequantizedNpy(p, table(v)); };
    w[QStringLiteral("dequantized safetensors")]
        = [=](const std::string& p, int v) { exportDequantizedSafetensors(p, table(v), versions().table.source); };
    w[QStringLiteral("dequantized gguf")]
        = [=](const std::string& p, int v) { exportDequantizedGguf(p, table(v), versions().table.source); };
    w[QStringLiteral("patched safetensors")] = [=](const std::string& p, int v) {
        writePatchedCheckpoint(
            vqtest::dataPath("table-bf16.safetensors"), p, table(v), patchOptions("model.embed_tokens.weight"));
    };
    w[QStringLiteral("patched gguf")] = [=](const std::string& p, int v) {
        writePatchedCheckpoint(vqtest::dataPath("table-f16.gguf"), p, table(v), patchOptions("token_embd.weight"));
    };
    w[QStringLiteral("session")] = [](const std::string& p, int v) {
        Session s;
        s.table = SessionTable::of(versions().table);
        s.runs.push_back(*versions().run[0]);
        if (v == 1)
            s.runs.push_back(*versions().run[1]);
        writeSession(p, s);
    };
    return w;
}

QStringList entries(const QString& folder)
{
    return QDir(folder).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
}

QByteArray bytesOf(const std::string& path)
{
    return vqtest::readAll(path);
}

// Runs fn, which must fail with WriteFailed naming path and saying strerror(error).
void expectWriteFailed(const std::function<void()>& fn, const std::string& path, int error)
{
    try {
        fn();
        QFAIL("the write succeeded");
    } catch (const Error& e) {
        QVERIFY2(e.kind() == ErrorKind::WriteFailed, e.what());
        QCOMPARE(QString::fromStdString(e.path()), QString::fromStdString(path));
        QVERIFY2(e.message().find(std::strerror(error)) != std::string::npos, e.what());
    }
}

std::vector<JournalRun> journalRuns(int which)
{
    std::vector<JournalRun> runs { { 1, versions().run[0] } };
    if (which == 1)
        runs.push_back({ 2, versions().run[1] });
    return runs;
}

} // namespace

class TestWriteFaults : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QVERIFY(versions().run[1]->table); }

    void failedReplaceKeepsTheOldFile_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("op");
        QTest::addColumn<int>("nth");
        QTest::addColumn<int>("error");
        for (const auto& [kind, writer] : writers()) {
            // HDF5 writes artifacts and sessions itself; their faults come at the sync and the rename.
            const bool hdf5 = kind == QStringLiteral("artifact") || kind == QStringLiteral("session");
            const QByteArray name = kind.toUtf8();
            if (!hdf5) {
                QTest::newRow(name + " full at the first write") << kind << int(Op::Write) << 1 << ENOSPC;
                QTest::newRow(name + " write I/O error") << kind << int(Op::Write) << 1 << EIO;
            }
            QTest::newRow(name + " full at the sync") << kind << int(Op::Sync) << 1 << ENOSPC;
            QTest::newRow(name + " sync I/O error") << kind << int(Op::Sync) << 1 << EIO;
            QTest::newRow(name + " rename I/O error") << kind << int(Op::Rename) << 1 << EIO;
        }
    }
    void failedReplaceKeepsTheOldFile()
    {
        QFETCH(QString, kind);
        QFETCH(int, op);
        QFETCH(int, nth);
        QFETCH(int, error);
        const Writer write = writers().at(kind);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("out.file")).toStdString();
        write(path, 0);
        const QByteArray old = bytesOf(path);
        QVERIFY(old.size() > 0);
        {
            const AtomicFileFault fault(Op(op), nth, error);
            expectWriteFailed([&] { write(path, 1); }, path, error);
            QVERIFY(fault.failures() >= 1);
        }
        QCOMPARE(bytesOf(path), old);
        QCOMPARE(entries(dir.path()), QStringList { QStringLiteral("out.file") });

        // room again: the same write goes through and gives other bytes
        write(path, 1);
        QVERIFY(bytesOf(path) != old);
        QCOMPARE(entries(dir.path()), QStringList { QStringLiteral("out.file") });
    }

    void fullDiskForANewFileLeavesNothing()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("new.npy")).toStdString();
        {
            const AtomicFileFault fault(Op::Write, 1, ENOSPC);
            expectWriteFailed([&] { exportDequantizedNpy(path, *versions().run[0]->table); }, path, ENOSPC);
            QCOMPARE(fault.failures(), 1);
        }
        QVERIFY(entries(dir.path()).isEmpty());
    }

    void aFullDiskStaysFull()
    {
        // The fault counts from its creation and every operation from the nth on fails, here the third
        // write(2) and every one after it.
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("big.bin")).toStdString();
        const AtomicFileFault fault(Op::Write, 3, ENOSPC);
        {
            AtomicFile f(path);
            const std::vector<uint8_t> chunk(size_t(1) << 20, 7);
            f.write(chunk); // fills the buffer
            f.write(chunk); // flushes it (write 1), then writes past it (write 2)
            f.write(chunk); // fills the buffer again
            QCOMPARE(fault.failures(), 0);
            QVERIFY_THROWS_EXCEPTION(Error, f.write(chunk)); // flushes it: write 3
            QCOMPARE(fault.failures(), 1);
        }
        expectWriteFailed([&] { exportDequantizedNpy(path, *versions().run[0]->table); }, path, ENOSPC);
        QCOMPARE(fault.failures(), 2);
        QVERIFY(entries(dir.path()).isEmpty());
    }

    void journalFaultsKeepTheLastConsistentState_data()
    {
        // A journal write of two runs, one new: the new run's file (HDF5: sync 1, rename 1), then the
        // index (write 1, sync 2, rename 2).
        QTest::addColumn<int>("op");
        QTest::addColumn<int>("nth");
        QTest::addColumn<int>("error");
        QTest::addColumn<QString>("failing");
        QTest::newRow("run file: full at the sync") << int(Op::Sync) << 1 << ENOSPC << QStringLiteral("run-2.vqproj");
        QTest::newRow("run file: rename I/O error") << int(Op::Rename) << 1 << EIO << QStringLiteral("run-2.vqproj");
        QTest::newRow("index: full at the write") << int(Op::Write) << 1 << ENOSPC << QStringLiteral("index.json");
        QTest::newRow("index: full at the sync") << int(Op::Sync) << 2 << ENOSPC << QStringLiteral("index.json");
        QTest::newRow("index: rename I/O error") << int(Op::Rename) << 2 << EIO << QStringLiteral("index.json");
    }
    void journalFaultsKeepTheLastConsistentState()
    {
        QFETCH(int, op);
        QFETCH(int, nth);
        QFETCH(int, error);
        QFETCH(QString, failing);
        QTemporaryDir dir;
        const std::string folder = dir.filePath(QStringLiteral("autosave")).toStdString();
        const SessionTable table = SessionTable::of(versions().table);
        SessionJournal journal(folder);
        QCOMPARE(journal.write(table, "/work/a.vqproj", journalRuns(0)), 1);
        const std::string index = SessionJournal::indexPath(folder);
        const std::string run1 = folder + "/run-1.vqproj";
        const QByteArray oldIndex = bytesOf(index);
        const QByteArray oldRun = bytesOf(run1);
        {
            const AtomicFileFault fault(Op(op), nth, error);
            expectWriteFailed([&] { journal.write(table, "/work/a.vqproj", journalRuns(1)); },
                folder + "/" + failing.toStdString(), error);
        }
        QCOMPARE(bytesOf(index), oldIndex);
        QCOMPARE(bytesOf(run1), oldRun);
        for (const QString& name : entries(QString::fromStdString(folder)))
            QVERIFY2(!name.startsWith(QLatin1Char('.')), qPrintable(name)); // no temporary left
        // what is on disk is the state before the failed write
        const JournalContents before = SessionJournal::read(folder);
        QCOMPARE(before.runs.size(), size_t(1));
        QCOMPARE(before.runs[0].name, versions().run[0]->name);

        // room again: the next autosave catches up
        journal.write(table, "/work/a.vqproj", journalRuns(1));
        const JournalContents after = SessionJournal::read(folder);
        QCOMPARE(after.runs.size(), size_t(2));
        QVERIFY(after.runs[1].table);
        QCOMPARE(vqtest::arrayDifference(*after.runs[1].table, *versions().run[1]->table), std::string());
    }
};

QTEST_GUILESS_MAIN(TestWriteFaults)
#include "tst_writefaults.moc"
