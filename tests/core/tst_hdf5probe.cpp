#include "common/error.h"
#include "io/embeddingloader.h"
#include "run/hdf5probe.h"
#include "testutil.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace {

// A stand-in for vqscope-probe that behaves as a helper meeting a hostile file would: the checks run
// against the real process handling (signals, time limit, exit codes), not a mock of it.
std::string fakeProbe(const QTemporaryDir& dir, const char* name, const std::string& body)
{
    const std::string path = dir.filePath(QString::fromUtf8(name)).toStdString();
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    return path;
}

std::string copyOfFixture(const QTemporaryDir& dir)
{
    const std::string path = dir.filePath(QStringLiteral("table.h5")).toStdString();
    std::filesystem::copy_file(vqtest::dataPath("table.h5"), path);
    return path;
}

} // namespace

class TestHdf5Probe : public QObject {
    Q_OBJECT
    QByteArray m_probe;

private slots:
    void init()
    {
        m_probe = qgetenv("VQ_PROBE_PATH");
        vq::clearProbeCache();
    }
    void cleanup() { qputenv("VQ_PROBE_PATH", m_probe); }

    void helperIsFound() { QVERIFY(QFile::exists(QString::fromStdString(vq::probeExecutable()))); }

    // The real helper passes the bundled fixture, and in-process loading then gives the table.
    void cleanFilePasses()
    {
        QTemporaryDir dir;
        const std::string path = copyOfFixture(dir);
        vq::probeHdf5File(path);
        const vq::EmbeddingTable t = vq::loadEmbedding(path, {}, vq::nullRunControl());
        QCOMPARE(t.rows(), int64_t(512));
    }

    // The helper's refusal is the error the app would have given, file and kind included.
    void helperRefusalIsPassedThrough()
    {
        QTemporaryDir dir;
        const std::string path = copyOfFixture(dir);
        try {
            vq::probeHdf5File(path, "/no/such/dataset");
            QFAIL("probe passed a tensor that is not there");
        } catch (const vq::Error& e) {
            QCOMPARE(vq::nameOf(e.kind()), vq::nameOf(vq::ErrorKind::NotFound));
            QCOMPARE(e.path(), path);
            QVERIFY2(e.message().find("no tensor named '/no/such/dataset'") != std::string::npos, e.what());
        }
    }

    void crashHangAndOomBecomeErrors_data()
    {
        QTest::addColumn<QByteArray>("script");
        QTest::addColumn<QString>("message");
        QTest::newRow("segfault") << QByteArray("kill -SEGV $$")
                                  << QStringLiteral("the HDF5 library crashed parsing the file (Segmentation fault)");
        QTest::newRow("abort") << QByteArray("kill -ABRT $$") << QStringLiteral("crashed parsing the file (Aborted)");
        QTest::newRow("hang") << QByteArray("exec sleep 30") << QStringLiteral("took longer than 1 s and was stopped");
        QTest::newRow("out of memory") << QByteArray("exit 3") << QStringLiteral("needed more than 64 MiB of memory");
        QTest::newRow("unknown failure") << QByteArray("echo garbled >&2; exit 7")
                                         << QStringLiteral("the HDF5 check failed (exit status 7): garbled");
    }
    void crashHangAndOomBecomeErrors()
    {
        QFETCH(QByteArray, script);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const std::string path = copyOfFixture(dir);
        qputenv("VQ_PROBE_PATH", fakeProbe(dir, "probe.sh", script.toStdString()).c_str());
        vq::ProbeLimits limits;
        limits.seconds = 1;
        limits.addressSpaceBytes = uint64_t(64) << 20;
        const auto start = std::chrono::steady_clock::now();
        try {
            vq::probeHdf5File(path, {}, vq::nullRunControl(), limits);
            QFAIL("a failed helper passed the file");
        } catch (const vq::Error& e) {
            QCOMPARE(vq::nameOf(e.kind()), vq::nameOf(vq::ErrorKind::Malformed));
            QCOMPARE(e.path(), path);
            QVERIFY2(e.message().find(message.toStdString()) != std::string::npos, e.what());
        }
        QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(10)); // the hang was killed
    }

    // A verdict is kept for the same path, tensor, size and mtime; a changed file is probed again.
    void verdictIsCachedByPathSizeAndTime()
    {
        QTemporaryDir dir;
        const std::string path = copyOfFixture(dir);
        const std::string counter = dir.filePath(QStringLiteral("runs")).toStdString();
        qputenv("VQ_PROBE_PATH", fakeProbe(dir, "probe.sh", "echo x >> '" + counter + "'").c_str());
        const auto runs = [&] {
            QFile f(QString::fromStdString(counter));
            return f.open(QIODevice::ReadOnly) ? f.readAll().count('\n') : 0;
        };
        vq::probeHdf5File(path);
        vq::probeHdf5File(path);
        QCOMPARE(runs(), 1);
        vq::probeHdf5File(path, "/model/embed_tokens/weight"); // another tensor: the helper reads it
        QCOMPARE(runs(), 2);
        std::ofstream(path, std::ios::app) << "appended";
        vq::probeHdf5File(path);
        QCOMPARE(runs(), 3);
    }

    // Files that are not HDF5 never start the helper (their parsers are our own).
    void otherFormatsSkipTheHelper()
    {
        QTemporaryDir dir;
        qputenv("VQ_PROBE_PATH", fakeProbe(dir, "probe.sh", "kill -SEGV $$").c_str());
        vq::probeHdf5File(vqtest::dataPath("table-f16.npy"));
        vq::probeHdf5File(vqtest::dataPath("table-q4_0.gguf"));
        vq::probeHdf5File(dir.filePath(QStringLiteral("missing.h5")).toStdString());
    }

    void cancelKillsTheHelper()
    {
        QTemporaryDir dir;
        const std::string path = copyOfFixture(dir);
        qputenv("VQ_PROBE_PATH", fakeProbe(dir, "probe.sh", "exec sleep 30").c_str());
        vq::RunControl control;
        control.cancel();
        const auto start = std::chrono::steady_clock::now();
        QVERIFY_THROWS_EXCEPTION(vq::Cancelled, vq::probeHdf5File(path, {}, control));
        QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    }
};

QTEST_GUILESS_MAIN(TestHdf5Probe)
#include "tst_hdf5probe.moc"
