// The session file: save + load gives back every run exactly (records, per-token vectors, quantized
// tables, codebook usage), corrupt files give errors naming the file, a failed save keeps the old file.
// Real runs (rtn, pq) on the first 2000 rows of the GloVe table.
#include "common/error.h"
#include "export/artifact.h"
#include "io/hdf5lock.h"
#include "run/runexecutor.h"
#include "run/session.h"

#include "quantchecks.h"
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <hdf5.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <future>

Q_DECLARE_METATYPE(vq::ErrorKind)

namespace {

bool sameFloats(const std::vector<float>& a, const std::vector<float>& b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

bool sameUsage(const vq::CodeUsage& a, const vq::CodeUsage& b)
{
    return a.stage == b.stage && a.group == b.group && a.counts == b.counts && a.total == b.total
        && a.entropyBits == b.entropyBits && a.perplexity == b.perplexity && a.entropyRatio == b.entropyRatio
        && a.deadCodes == b.deadCodes;
}

std::string readAll(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray bytes = f.readAll();
    return std::string(bytes.constData(), size_t(bytes.size()));
}

} // namespace

class TestSession : public QObject {
    Q_OBJECT
private:
    vq::EmbeddingTable m_table;
    vq::Session m_session;
    QTemporaryDir m_dir;

    QString path(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_table.values = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"), 2000);
        m_table.source.file = vqtest::samplePath("glove-20k.npy");
        m_table.source.format = "NumPy";
        m_table.source.tensor = "glove-20k";
        m_table.source.dtype = "float32";
        m_table.source.checksum = vq::tableChecksum(m_table.values);
        m_session.table = vq::SessionTable::of(m_table);

        vq::RunOptions options;
        options.recallQueries = 200;
        options.logitFidelity = true;
        options.logitQueries = 64;
        vq::RunControl control;
        control.threads = 2;
        options.name = "rtn 4";
        m_session.runs.push_back(
            vq::executeRun(m_table, { "rtn", { { "bits", 4 }, { "group", 0 }, { "mode", "sym" } } }, options, control));
        options.name = "pq d5";
        m_session.runs.push_back(vq::executeRun(m_table, { "pq", { { "d", 5 }, { "bits", 6 } } }, options, control));
        // A run read from a sweep file: metrics JSON only, no arrays.
        vq::RunRecord lines = m_session.runs[0];
        lines.name = "from a sweep";
        lines.table.reset();
        lines.fullMetrics.reset();
        m_session.runs.push_back(lines);
        QVERIFY(!m_session.runs[1].fullMetrics->codebookUsage.empty());
    }

    void roundTripIsExact()
    {
        const QString file = path("round.vqproj");
        vq::writeSession(file.toStdString(), m_session);
        const vq::Session back = vq::readSession(file.toStdString());

        QCOMPARE(back.table.toJson().dump(), m_session.table.toJson().dump());
        QCOMPARE(back.table.checksum, m_table.source.checksum);
        QCOMPARE(back.runs.size(), m_session.runs.size());
        for (size_t i = 0; i < back.runs.size(); ++i) {
            const vq::RunRecord& a = m_session.runs[i];
            const vq::RunRecord& b = back.runs[i];
            QCOMPARE(b.toJson().dump(), a.toJson().dump());
            QCOMPARE(b.table != nullptr, a.table != nullptr);
            QCOMPARE(b.fullMetrics != nullptr, a.fullMetrics != nullptr);
            if (a.table) {
                QCOMPARE(vqtest::arrayDifference(*a.table, *b.table), std::string());
                const vq::Matrix da = a.table->decodeAll();
                const vq::Matrix db = b.table->decodeAll();
                QVERIFY(sameFloats(da.values, db.values));
                QCOMPARE(b.table->info.dump(), a.table->info.dump());
            }
            if (a.fullMetrics) {
                const vq::RunMetrics& x = *a.fullMetrics;
                const vq::RunMetrics& y = *b.fullMetrics;
                QCOMPARE(y.reconstruction.tokenMse.size(), size_t(2000));
                QVERIFY(sameFloats(x.reconstruction.tokenMse, y.reconstruction.tokenMse));
                QVERIFY(sameFloats(x.reconstruction.tokenRelError, y.reconstruction.tokenRelError));
                QVERIFY(sameFloats(x.reconstruction.tokenCosine, y.reconstruction.tokenCosine));
                QCOMPARE(y.codebookUsage.size(), x.codebookUsage.size());
                for (size_t u = 0; u < x.codebookUsage.size(); ++u) {
                    const vq::CodebookUsage& p = x.codebookUsage[u];
                    const vq::CodebookUsage& q = y.codebookUsage[u];
                    QCOMPARE(q.layout.groups, p.layout.groups);
                    QCOMPARE(q.layout.bits, p.layout.bits);
                    QCOMPARE(q.layout.rowStride, p.layout.rowStride);
                    QCOMPARE(q.perGroup.size(), p.perGroup.size());
                    for (size_t g = 0; g < p.perGroup.size(); ++g)
                        QVERIFY(sameUsage(p.perGroup[g], q.perGroup[g]));
                    for (size_t g = 0; g < p.pooled.size(); ++g)
                        QVERIFY(sameUsage(p.pooled[g], q.pooled[g]));
                }
                QVERIFY(y.neighbourRecall && y.logitFidelity);
                QCOMPARE(y.neighbourRecall->perQuery, x.neighbourRecall->perQuery);
                QCOMPARE(y.neighbourRecall->reconNeighbours, x.neighbourRecall->reconNeighbours);
                QCOMPARE(y.logitFidelity->perQueryKl, x.logitFidelity->perQueryKl);
                // Everything else: the full JSON of both is the same text.
                QCOMPARE(vq::fullMetricsJson(y).dump(), vq::fullMetricsJson(x).dump());
            }
        }
        // pq d=5 at 6 bits: 64 codes per group, 20 groups; every code is used on 2000 rows.
        QCOMPARE(back.runs[1].fullMetrics->codebookUsage.front().perGroup.size(), size_t(20));
    }

    // Saving and opening take the HDF5 lock one run at a time: between runs (when progress is reported)
    // another thread, a table load, gets it at once.
    void theHdf5LockIsFreeBetweenRuns()
    {
        const auto lockIsFree = [] {
            return std::async(std::launch::async, [] {
                if (!vq::hdf5Mutex().try_lock())
                    return false;
                vq::hdf5Mutex().unlock();
                return true;
            }).get();
        };
        int reports = 0;
        int free = 0;
        vq::RunControl control;
        control.setProgressCallback([&](std::string_view, double f) {
            if (f <= 0)
                return;
            ++reports;
            free += lockIsFree() ? 1 : 0;
        });
        const QString file = path("lock.vqproj");
        vq::writeSession(file.toStdString(), m_session, control);
        QCOMPARE(reports, int(m_session.runs.size()) + 1); // each run, then the commit
        QCOMPARE(free, reports);
        reports = free = 0;
        vq::readSession(file.toStdString(), control);
        QCOMPARE(reports, int(m_session.runs.size()));
        QCOMPARE(free, reports);
    }

    void emptySessionRoundTrips()
    {
        const QString file = path("empty.vqproj");
        vq::writeSession(file.toStdString(), vq::Session {});
        const vq::Session back = vq::readSession(file.toStdString());
        QVERIFY(back.runs.empty());
        QVERIFY(back.table.file.empty());
    }

    void badFilesNameTheFileAndTheProblem_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        const QString file = path("good.vqproj");
        vq::writeSession(file.toStdString(), m_session);
        const std::string good = readAll(file);
        QVERIFY(good.size() > 4096);
        QTest::newRow("truncated") << QByteArray(good.data(), qsizetype(good.size() / 2))
                                   << QStringLiteral("truncated");
        QTest::newRow("not hdf5") << QByteArray("{\"runs\": []}\n") << QStringLiteral("not an HDF5 file");
        QTest::newRow("empty") << QByteArray() << QStringLiteral("empty");
    }

    void badFilesNameTheFileAndTheProblem()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        const QString file = path("bad.vqproj");
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(bytes);
        f.close();
        try {
            vq::readSession(file.toStdString());
            QFAIL("no error");
        } catch (const vq::Error& e) {
            const QString what = QString::fromStdString(e.what());
            QVERIFY2(what.contains(file), qPrintable(what));
            QVERIFY2(what.contains(expected, Qt::CaseInsensitive), qPrintable(what));
        }
    }

    void anArtifactIsNotASession()
    {
        // Any other vqscope HDF5 file: refused by its format attribute.
        const QString file = path("artifact.vq.h5");
        vq::ArtifactContents c;
        c.table = *m_session.runs[0].table;
        vq::writeArtifact(file.toStdString(), c);
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::readSession(file.toStdString()));
        try {
            vq::readSession(file.toStdString());
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::Unsupported);
            QVERIFY(QString::fromStdString(e.message()).contains(QStringLiteral("not a vqscope session")));
        }
    }

    void missingRunArraysAreReported()
    {
        // A session whose run 2 lost its quantized table group: edited with HDF5 directly.
        const QString file = path("edited.vqproj");
        vq::writeSession(file.toStdString(), m_session);
        {
            const hid_t f = H5Fopen(file.toLocal8Bit().constData(), H5F_ACC_RDWR, H5P_DEFAULT);
            QVERIFY(f >= 0);
            QVERIFY(H5Ldelete(f, "/runs/1/artifact", H5P_DEFAULT) >= 0);
            H5Fclose(f);
        }
        try {
            vq::readSession(file.toStdString());
            QFAIL("no error");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::Malformed);
            const QString what = QString::fromStdString(e.what());
            QVERIFY2(what.contains(file) && what.contains(QStringLiteral("run 2 'pq d5'"))
                    && what.contains(QStringLiteral("quantized table")),
                qPrintable(what));
        }
    }

    void failedSaveKeepsTheOldFile()
    {
        const QString folder = path("locked");
        QVERIFY(QDir().mkpath(folder));
        const std::string file = (folder + QStringLiteral("/s.vqproj")).toStdString();
        vq::Session small;
        small.table = m_session.table;
        small.runs.push_back(m_session.runs[2]);
        vq::writeSession(file, small);
        const std::string before = readAll(QString::fromStdString(file));

        // Read-only folder (root ignores permissions, so only check when they apply).
        QVERIFY(::chmod(folder.toLocal8Bit().constData(), 0500) == 0);
        const bool enforced = ::access(folder.toLocal8Bit().constData(), W_OK) != 0;
        bool threw = false;
        try {
            vq::writeSession(file, m_session);
        } catch (const vq::Error& e) {
            threw = true;
            QCOMPARE(e.kind(), vq::ErrorKind::WriteFailed);
        }
        QVERIFY(::chmod(folder.toLocal8Bit().constData(), 0700) == 0);
        QCOMPARE(threw, enforced);
        // Refused: the old file as it was; allowed (root): replaced whole.
        QCOMPARE(readAll(QString::fromStdString(file)) == before, threw);
        QCOMPARE(vq::readSession(file).runs.size(), threw ? size_t(1) : size_t(3));

        // Missing folder.
        const std::string missing = path("no/such/folder/s.vqproj").toStdString();
        try {
            vq::writeSession(missing, m_session);
            QFAIL("no error");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::WriteFailed);
            QCOMPARE(e.path(), missing);
        }

        // Cancelled mid-way: nothing replaced, no temporary left behind.
        vq::writeSession(file, small);
        vq::RunControl control;
        control.setProgressCallback([&control](std::string_view, double fraction) {
            if (fraction > 0.3)
                control.cancel();
        });
        QVERIFY_THROWS_EXCEPTION(vq::Cancelled, vq::writeSession(file, m_session, control));
        QCOMPARE(readAll(QString::fromStdString(file)), before);
        QCOMPARE(vq::readSession(file).runs.size(), size_t(1));
        QCOMPARE(QDir(folder).entryList(QDir::Files | QDir::Hidden).size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestSession)
#include "tst_session.moc"
