// `sweep --slurm --dry-run` scripts as text, checksum verification, resume and sweep-status without a
// scheduler. The submission itself runs on a real Slurm in tests/slurm/cluster-test.sh.
#include "clichecks.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

namespace {

const QString kRows = QStringLiteral("--rows=2000");
const QString kNoRecall = QStringLiteral("--recall-queries=0");

QString writeGrid(const QTemporaryDir& dir, const QByteArray& json)
{
    const QString path = dir.filePath(QStringLiteral("grid.json"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(json) != json.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestCliSlurm : public QObject {
    Q_OBJECT

private slots:
    void dryRunPrintsTheScripts()
    {
        QTemporaryDir dir;
        const QString grid = writeGrid(dir, R"({"method": "rtn", "grid": {"bits": [2, 3, 4], "group": [25, 50]}})");
        // The checksum the scripts must carry: the table's, as a local run records it.
        const auto local = vqtest::runCli(
            { QStringLiteral("quantize"), vqtest::cliSample(), QStringLiteral("--method=rtn"), kRows, kNoRecall });
        QCOMPARE(local.exitCode, 0);
        const QJsonObject provenance
            = QJsonDocument::fromJson(local.out).object()[QStringLiteral("provenance")].toObject();
        const QString checksum = provenance[QStringLiteral("checksum")].toString();
        QVERIFY(checksum.startsWith(QStringLiteral("xxh64:")));

        const QString out = dir.filePath(QStringLiteral("runs.jsonl"));
        const auto r = vqtest::runCli(
            { QStringLiteral("sweep"), vqtest::cliSample(), QStringLiteral("--grid"), grid, kRows, kNoRecall,
                QStringLiteral("--slurm"), QStringLiteral("--tasks=4"), QStringLiteral("--sbatch-arg=--time=10"),
                QStringLiteral("--sbatch-arg=-c 2"), QStringLiteral("--dry-run"), QStringLiteral("--out"), out });
        QCOMPARE(r.exitCode, 0);
        const QString base = dir.filePath(QStringLiteral("runs"));
        const QString cli = QFileInfo(QStringLiteral(VQ_CLI_PATH)).canonicalFilePath();
        const QString header = QStringLiteral("#!/bin/bash\n# Written by vqscope-cli %1 for %2.\n")
                                   .arg(provenance[QStringLiteral("appVersion")].toString(), out);
        const QString expected = QStringLiteral("# %1.array.sbatch\n").arg(base) + header
            + QStringLiteral(
                "#SBATCH --job-name=vqscope-sweep\n"
                "#SBATCH --array=0-3\n"
                "#SBATCH --output=%1.shard-%a.log\n"
                "#SBATCH --time=10\n"
                "#SBATCH -c 2\n"
                "# Shard $SLURM_ARRAY_TASK_ID of 4: runs already done in its file are skipped, the "
                "table's checksum is verified first.\n"
                "exec '%2' sweep '%3' \\\n"
                "    --grid '%1.grid.json' --shard \"$SLURM_ARRAY_TASK_ID/4\" --checksum '%4' \\\n"
                "    --threads \"${SLURM_CPUS_PER_TASK:-1}\" --out '%1.shard-'\"$SLURM_ARRAY_TASK_ID\"'.jsonl' "
                "--rows='2000' --recall-queries='0'\n\n")
                  .arg(base, cli, QFileInfo(vqtest::cliSample()).absoluteFilePath(), checksum)
            + QStringLiteral("# %1.merge.sbatch\n").arg(base) + header
            + QStringLiteral("#SBATCH --job-name=vqscope-merge\n"
                             "#SBATCH --output=%1.merge.log\n"
                             "#SBATCH --time=10\n"
                             "#SBATCH -c 2\n"
                             "# Merges the shards that finished and lists those that did not (exit 1 then).\n"
                             "exec '%2' sweep-status '%3' --merge\n\n"
                             "# sbatch --parsable %1.array.sbatch\n"
                             "# sbatch --parsable --dependency=afterany:<array job> %1.merge.sbatch\n")
                  .arg(base, cli, out);
        QCOMPARE(QString::fromUtf8(r.out), expected);
        // Nothing written, nothing submitted.
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList { QStringLiteral("grid.json") });
    }

    void slurmOptionsAreChecked_data()
    {
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QByteArray>("expect");
        QTest::newRow("tasks without --slurm")
            << QStringList { QStringLiteral("--tasks=2") } << QByteArray("--tasks needs --slurm");
        QTest::newRow("dry-run without --slurm")
            << QStringList { QStringLiteral("--dry-run") } << QByteArray("--dry-run needs --slurm");
        QTest::newRow("shard with --slurm")
            << QStringList { QStringLiteral("--slurm"), QStringLiteral("--shard=0/2") } << QByteArray("no --shard");
        QTest::newRow("no --out") << QStringList { QStringLiteral("--slurm"), QStringLiteral("--dry-run") }
                                  << QByteArray("--slurm needs --out");
        QTest::newRow("more tasks than runs") << QStringList { QStringLiteral("--slurm"), QStringLiteral("--tasks=7"),
            QStringLiteral("--out=x.jsonl") } << QByteArray("--tasks");
    }

    void slurmOptionsAreChecked()
    {
        QFETCH(QStringList, extra);
        QFETCH(QByteArray, expect);
        QTemporaryDir dir;
        const QString grid = writeGrid(dir, R"({"method": "rtn", "grid": {"bits": [2, 3, 4], "group": [25, 50]}})");
        const auto r = vqtest::runCli(
            QStringList { QStringLiteral("sweep"), vqtest::cliSample(), QStringLiteral("--grid"), grid, kRows }
            << extra);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(expect), r.err.constData());
    }

    void checksumMismatchIsRefused()
    {
        QTemporaryDir dir;
        const QString grid = writeGrid(dir, R"({"method": "rtn", "grid": {"bits": [2, 3]}})");
        const QString out = dir.filePath(QStringLiteral("runs.jsonl"));
        const auto r = vqtest::runCli({ QStringLiteral("sweep"), vqtest::cliSample(), QStringLiteral("--grid"), grid,
            kRows, kNoRecall, QStringLiteral("--checksum=xxh64:0000000000000000"), QStringLiteral("--out"), out });
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("glove-20k.npy: checksum xxh64:") && r.err.contains("expected xxh64:0000000000000000"),
            r.err.constData());
        QVERIFY(!QFile::exists(out)); // refused before any run
    }

    void resumeSkipsRunsAlreadyDone()
    {
        QTemporaryDir dir;
        QString grid = writeGrid(dir, R"({"method": "rtn", "grid": {"bits": [2, 3]}})");
        const QString out = dir.filePath(QStringLiteral("runs.jsonl"));
        const QStringList common { QStringLiteral("sweep"), vqtest::cliSample(), QStringLiteral("--grid"), grid, kRows,
            kNoRecall, QStringLiteral("--out"), out };
        QCOMPARE(vqtest::runCli(common).exitCode, 0);
        const QByteArray first = readAll(out);
        QCOMPARE(first.count('\n'), 2);
        // A line torn by a crash, then the grid grown by one value: only the new combination runs.
        QFile f(out);
        QVERIFY(f.open(QIODevice::Append));
        f.write(first.left(50));
        f.close();
        grid = writeGrid(dir, R"({"method": "rtn", "grid": {"bits": [2, 3, 4]}})");
        const auto again = vqtest::runCli(common);
        QCOMPARE(again.exitCode, 0);
        QVERIFY2(again.err.contains("2 of 3 runs already done"), again.err.constData());
        QVERIFY2(again.err.contains("torn line of 50 bytes skipped"), again.err.constData());
        const QByteArray lines = readAll(out);
        QVERIFY(lines.startsWith(first + first.left(50) + '\n'));
        QCOMPARE(lines.count('\n'), 4);
        QVERIFY(lines.split('\n')[3].contains("\"bits\":4"));
        // merge reads the file with its torn line, warning.
        const auto m = vqtest::runCli({ QStringLiteral("merge"), out });
        QCOMPARE(m.exitCode, 0);
        QCOMPARE(m.out.count('\n'), 3);
        QVERIFY(m.err.contains("warning:") && m.err.contains("line 3: torn line"));
    }

    void sweepStatusNeedsItsManifest()
    {
        QTemporaryDir dir;
        const auto r = vqtest::runCli({ QStringLiteral("sweep-status"), dir.filePath(QStringLiteral("runs.jsonl")) });
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("runs.sweep.json: no such file"), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestCliSlurm)
#include "tst_cli_slurm.moc"
