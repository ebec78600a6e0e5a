// LoadRunner: the signals of one job, cancel, replacement by a newer job, and teardown mid-job.
#include "runners/loadrunner.h"

#include "testutil.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace vq;

namespace {

constexpr int kTimeoutMs = 15000;

QString samplePath()
{
    return QString::fromStdString(vqtest::sourcePath("resources/sample/glove-20k.npy"));
}

// A 200000 x 512 float32 .npy of zeros (sparse on disk): large enough that cancel lands mid-load.
QString writeBigNpy(const QTemporaryDir& dir)
{
    QByteArray dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (200000, 512), }";
    dict += QByteArray((64 - (10 + dict.size() + 1) % 64) % 64, ' ') + '\n';
    QByteArray header("\x93NUMPY\x01\x00", 8);
    header += char(dict.size() & 0xff);
    header += char((dict.size() >> 8) & 0xff);
    const QString path = dir.filePath(QStringLiteral("big.npy"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(header + dict) < 0
        || !file.resize(header.size() + dict.size() + qint64(200000) * 512 * 4))
        return {};
    return path;
}

} // namespace

class TestLoadRunner : public QObject {
    Q_OBJECT
private slots:
    void loadsSample()
    {
        LoadRunner runner;
        QSignalSpy busy(&runner, &LoadRunner::busyChanged);
        QSignalSpy started(&runner, &LoadRunner::started);
        QSignalSpy progress(&runner, &LoadRunner::progress);
        QSignalSpy loaded(&runner, &LoadRunner::loaded);
        QSignalSpy failed(&runner, &LoadRunner::failed);
        runner.open(samplePath());
        QVERIFY(runner.isBusy());
        QCOMPARE(runner.currentPath(), samplePath());
        QVERIFY(loaded.wait(kTimeoutMs));
        QVERIFY(!runner.isBusy());
        QCOMPARE(failed.count(), 0);
        QCOMPARE(started.count(), 1);
        QCOMPARE(busy.count(), 2);
        QCOMPARE(busy.at(0).at(0).toBool(), true);
        QCOMPARE(busy.at(1).at(0).toBool(), false);

        const auto table = loaded.first().at(0).value<std::shared_ptr<const EmbeddingTable>>();
        const auto stats = loaded.first().at(1).value<std::shared_ptr<const TableStats>>();
        QVERIFY(table && stats);
        QCOMPARE(table->rows(), 20000);
        QCOMPARE(table->dim(), 100);
        QCOMPARE(stats->rows, 20000);
        QCOMPARE(table->tokens.size(), size_t(20000));
        QCOMPARE(table->tokens.front(), std::string("the"));

        QStringList stages;
        for (const auto& args : progress) {
            const double fraction = args.at(1).toDouble();
            QVERIFY(fraction >= 0.0 && fraction <= 1.0);
            if (!stages.contains(args.at(0).toString()))
                stages << args.at(0).toString();
        }
        QVERIFY2(stages.contains(QStringLiteral("open")), qPrintable(stages.join(u',')));
        QVERIFY2(stages.contains(QStringLiteral("statistics")), qPrintable(stages.join(u',')));
    }

    void reportsErrorNamingFile()
    {
        QTemporaryDir dir;
        const QString missing = dir.filePath(QStringLiteral("does-not-exist.npy"));
        LoadRunner runner;
        QSignalSpy failed(&runner, &LoadRunner::failed);
        QSignalSpy loaded(&runner, &LoadRunner::loaded);
        runner.open(missing);
        QVERIFY(failed.wait(kTimeoutMs));
        QCOMPARE(failed.first().at(0).toString(), missing);
        QVERIFY(failed.first().at(1).toString().contains(QStringLiteral("does-not-exist.npy")));
        QCOMPARE(loaded.count(), 0);
        QVERIFY(!runner.isBusy());
    }

    void cancelReportsCancelled()
    {
        QTemporaryDir dir;
        const QString big = writeBigNpy(dir);
        QVERIFY(!big.isEmpty());
        LoadRunner runner;
        QSignalSpy cancelled(&runner, &LoadRunner::cancelled);
        QSignalSpy loaded(&runner, &LoadRunner::loaded);
        QSignalSpy busy(&runner, &LoadRunner::busyChanged);
        runner.open(big);
        runner.cancel();
        QVERIFY(runner.isCancelling());
        QVERIFY(cancelled.wait(kTimeoutMs));
        QCOMPARE(cancelled.first().at(0).toString(), big);
        QCOMPARE(loaded.count(), 0);
        QCOMPARE(busy.last().at(0).toBool(), false);
        QVERIFY(!runner.isBusy());
        QVERIFY(!runner.isCancelling());
    }

    void newerJobDropsOlder()
    {
        QTemporaryDir dir;
        const QString big = writeBigNpy(dir);
        LoadRunner runner;
        QSignalSpy loaded(&runner, &LoadRunner::loaded);
        QSignalSpy cancelled(&runner, &LoadRunner::cancelled);
        QSignalSpy busy(&runner, &LoadRunner::busyChanged);
        QSignalSpy started(&runner, &LoadRunner::started);
        runner.open(big);
        runner.open(samplePath());
        QCOMPARE(started.count(), 2);
        QCOMPARE(busy.count(), 1); // still busy: no false/true flicker between the two jobs
        QVERIFY(loaded.wait(kTimeoutMs));
        QCOMPARE(loaded.first().at(0).value<std::shared_ptr<const EmbeddingTable>>()->rows(), 20000);
        QTest::qWait(100);
        QCOMPARE(loaded.count(), 1);
        QCOMPARE(cancelled.count(), 0);
        QCOMPARE(busy.count(), 2);
    }

    void destroyedWhileRunning()
    {
        QTemporaryDir dir;
        const QString big = writeBigNpy(dir);
        auto runner = std::make_unique<LoadRunner>();
        QSignalSpy progress(runner.get(), &LoadRunner::progress);
        runner->open(big);
        QVERIFY(progress.wait(kTimeoutMs));
        runner.reset(); // cancels and waits; queued results for it are discarded
        QTest::qWait(50);
    }
};

QTEST_MAIN(TestLoadRunner)
#include "tst_loadrunner.moc"
