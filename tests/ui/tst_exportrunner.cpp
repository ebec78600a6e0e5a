// ExportRunner: every export kind of real runs (PQ and RTN on GloVe rows, RTN on the safetensors fixtures)
// read back with core; cancel and failures leave no file behind and name the file.
#include "appcontext.h"
#include "common/halffloat.h"
#include "export/artifact.h"
#include "io/atomicfile.h"
#include "io/embeddingloader.h"
#include "io/hdf5lock.h"
#include "io/safetensorsreader.h"
#include "io/tensorreader.h"
#include "runners/exportrunner.h"
#include "runners/runqueue.h"

#include "quantchecks.h"
#include "safetensorsfixture.h"
#include "testutil.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/resource.h>
#include <sys/stat.h>

using namespace vq;

namespace {

constexpr int kTimeoutMs = 60000;
constexpr int64_t kRows = 2000;

std::shared_ptr<const EmbeddingTable> gloveTable(int64_t rows)
{
    auto table = std::make_shared<EmbeddingTable>();
    table->values = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"), rows);
    table->source.file = vqtest::samplePath("glove-20k.npy");
    table->source.format = "NumPy";
    table->source.tensor = "array";
    table->source.checksum = tableChecksum(table->values);
    for (int64_t r = 0; r < rows; ++r)
        table->tokens.push_back(r == 7 ? "a,\"quoted\" token" : "tok" + std::to_string(r));
    return table;
}

// Runs spec on table through a RunQueue and returns the finished record.
std::shared_ptr<const RunRecord> runOn(std::shared_ptr<const EmbeddingTable> table, const QuantSpec& spec)
{
    AppContext context;
    context.setTable(std::move(table), std::make_shared<TableStats>());
    RunQueue queue(&context);
    QSignalSpy finished(&queue, &RunQueue::runFinished);
    const RunKey key = queue.enqueue(spec);
    if (!finished.wait(kTimeoutMs))
        return nullptr;
    return context.run(key)->record;
}

QuantSpec pqSpec()
{
    return QuantSpec { "pq", { { "d", 4 }, { "bits", 8 } } };
}
QuantSpec rtnSpec(int bits)
{
    return QuantSpec { "rtn", { { "bits", bits }, { "group", 0 }, { "mode", "sym" } } };
}

bool sameFloats(const std::vector<float>& a, const std::vector<float>& b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

QStringList entries(const QString& folder)
{
    return QDir(folder).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
}

struct Outcome {
    bool ended = false;
    QString terminal; // "finished", "failed", "cancelled"
    QString message;
    QStringList written;
};

// Starts a job and waits for its terminal signal.
Outcome runJob(ExportRunner& runner, const ExportSource& source, const QList<ExportRequest>& requests)
{
    Outcome out;
    QSignalSpy busy(&runner, &ExportRunner::busyChanged);
    QObject guard;
    QObject::connect(&runner, &ExportRunner::written, &guard, [&](int, const QString& p) { out.written << p; });
    QObject::connect(&runner, &ExportRunner::finished, &guard, [&] { out.terminal = QStringLiteral("finished"); });
    QObject::connect(&runner, &ExportRunner::failed, &guard, [&](int, const QString&, const QString& m) {
        out.terminal = QStringLiteral("failed");
        out.message = m;
    });
    QObject::connect(&runner, &ExportRunner::cancelled, &guard,
        [&](int, const QString&) { out.terminal = QStringLiteral("cancelled"); });
    if (!runner.start(source, requests))
        return out;
    while (out.terminal.isEmpty())
        if (!busy.wait(kTimeoutMs))
            return out;
    out.ended = true;
    return out;
}

ExportRequest request(ExportKind kind, const QString& path)
{
    ExportRequest r;
    r.kind = kind;
    r.path = path;
    return r;
}

} // namespace

class TestExportRunner : public QObject {
    Q_OBJECT
private:
    std::shared_ptr<const EmbeddingTable> m_table;
    std::shared_ptr<const RunRecord> m_pq;
    std::shared_ptr<const RunRecord> m_rtn;

    std::shared_ptr<const RunRecord> recordFor(const QString& name) const { return name == u"pq" ? m_pq : m_rtn; }

private slots:
    void initTestCase()
    {
        m_table = gloveTable(kRows);
        m_pq = runOn(m_table, pqSpec());
        m_rtn = runOn(m_table, rtnSpec(4));
        QVERIFY(m_pq && m_pq->status == RunStatus::Done && m_pq->table);
        QVERIFY(m_rtn && m_rtn->status == RunStatus::Done && m_rtn->table);
    }

    void writesEveryKindAndReadsBack_data()
    {
        QTest::addColumn<QString>("method");
        QTest::newRow("pq d=4 bits=8") << QStringLiteral("pq");
        QTest::newRow("rtn int4") << QStringLiteral("rtn");
    }

    void writesEveryKindAndReadsBack()
    {
        QFETCH(QString, method);
        const auto record = recordFor(method);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString artifact = dir.filePath(QStringLiteral("run.vq.h5"));
        const QString twin = dir.filePath(QStringLiteral("run.vq.safetensors"));
        const QString npy = dir.filePath(QStringLiteral("run.npy"));
        const QString st = dir.filePath(QStringLiteral("run.safetensors"));
        const QString json = dir.filePath(QStringLiteral("metrics.json"));
        const QString csv = dir.filePath(QStringLiteral("tokens.csv"));
        QList<ExportRequest> requests
            = { request(ExportKind::Artifact, artifact), request(ExportKind::ArtifactSafetensors, twin),
                  request(ExportKind::Dequantized, npy), request(ExportKind::Dequantized, st),
                  request(ExportKind::MetricsJson, json), request(ExportKind::TokenCsv, csv) };
        requests[4].perToken = true;

        ExportRunner runner;
        QSignalSpy progress(&runner, &ExportRunner::progress);
        const Outcome outcome = runJob(runner, { record, m_table, {} }, requests);
        QVERIFY(outcome.ended);
        QCOMPARE(outcome.terminal, QStringLiteral("finished"));
        QCOMPARE(outcome.written, (QStringList { artifact, twin, npy, st, json, csv }));
        QVERIFY(!progress.isEmpty());
        QVERIFY(!runner.isBusy());

        const Matrix decoded = record->table->decodeAll();
        // Artifact: decodes to the run's values bit for bit, with its metrics and provenance.
        const ArtifactContents back = readArtifact(artifact.toStdString());
        QVERIFY(sameFloats(back.table.decodeAll().values, decoded.values));
        QCOMPARE(back.metrics["reconstruction"]["relMse"].get<double>(),
            record->metrics["reconstruction"]["relMse"].get<double>());
        QCOMPARE(back.provenance["runId"].get<std::string>(), record->id);
        QCOMPARE(back.provenance["sourceChecksum"].get<std::string>(), m_table->source.checksum);

        // Twin: one tensor per stored array.
        const SafetensorsReader twinReader(twin.toStdString());
        QCOMPARE(twinReader.metadata().empty(), false);
        for (const StoredArray& a : record->table->arrays) {
            const auto it = std::find_if(twinReader.tensors().begin(), twinReader.tensors().end(),
                [&](const TensorInfo& t) { return t.name == a.name; });
            QVERIFY2(it != twinReader.tensors().end(), a.name.c_str());
        }

        // Dequantized tables equal the decode exactly (F32).
        QVERIFY(sameFloats(vqtest::readNpySlice(npy.toStdString()).values, decoded.values));
        const auto stReader = openTensorFile(st.toStdString());
        QCOMPARE(stReader->tensors().size(), size_t(1));
        QCOMPARE(stReader->tensors().front().name, std::string("array"));
        QVERIFY(sameFloats(stReader->readMatrix("array", nullRunControl()).values, decoded.values));

        // Metrics JSON: the record plus the full metrics with per-token vectors.
        QFile jf(json);
        QVERIFY(jf.open(QIODevice::ReadOnly));
        const auto parsed = nlohmann::json::parse(jf.readAll().toStdString());
        QCOMPARE(parsed["id"].get<std::string>(), record->id);
        QCOMPARE(parsed["metrics"]["reconstruction"]["relMse"].get<double>(),
            record->metrics["reconstruction"]["relMse"].get<double>());
        QCOMPARE(int64_t(parsed["metrics"]["reconstruction"]["perToken"]["relError"].size()), kRows);

        // CSV: a header and one line per token; the worst token's values read back as the same floats.
        QFile cf(csv);
        QVERIFY(cf.open(QIODevice::ReadOnly | QIODevice::Text));
        const QStringList lines = QString::fromUtf8(cf.readAll()).split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(int64_t(lines.size()), kRows + 1);
        QCOMPARE(lines.first(), QStringLiteral("row,token,rel_error,mse,cosine"));
        const ReconstructionMetrics& m = record->fullMetrics->reconstruction;
        const auto worst
            = int64_t(std::max_element(m.tokenRelError.begin(), m.tokenRelError.end()) - m.tokenRelError.begin());
        const QStringList cells = lines[int(worst) + 1].split(u',');
        QCOMPARE(cells.size(), 5);
        QCOMPARE(cells[0].toLongLong(), worst);
        QCOMPARE(cells[1], QString::fromStdString(m_table->tokens[size_t(worst)]));
        QCOMPARE(cells[2].toFloat(), m.tokenRelError[size_t(worst)]);
        QCOMPARE(cells[3].toFloat(), m.tokenMse[size_t(worst)]);
        QCOMPARE(cells[4].toFloat(), m.tokenCosine[size_t(worst)]);
        // A token with a comma and quotes is quoted as RFC 4180 says.
        QVERIFY(lines[8].startsWith(QStringLiteral("7,\"a,\"\"quoted\"\" token\",")));
        // Nothing else in the folder: no temporary file left over.
        QCOMPARE(entries(dir.path()).size(), 6);
    }

    void writesTheReport()
    {
        QTemporaryDir dir;
        const QString html = dir.filePath(QStringLiteral("report.html"));
        QImage chart(200, 100, QImage::Format_RGB32);
        chart.fill(QColor(10, 120, 200));
        ExportRunner runner;
        const Outcome outcome = runJob(
            runner, { m_pq, m_table, { { QStringLiteral("blue"), chart } } }, { request(ExportKind::Report, html) });
        QCOMPARE(outcome.terminal, QStringLiteral("finished"));
        QFile f(html);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(f.readAll());
        QVERIFY(text.contains(QString::fromStdString(m_pq->spec.toJson().dump(2)).toHtmlEscaped()));
        const QRegularExpression re(QStringLiteral("data:image/png;base64,([A-Za-z0-9+/=]+)"));
        const auto match = re.match(text);
        QVERIFY(match.hasMatch());
        const QImage decoded = QImage::fromData(QByteArray::fromBase64(match.captured(1).toLatin1()), "PNG");
        QCOMPARE(decoded.size(), QSize(200, 100));
        QCOMPARE(decoded.pixelColor(50, 50), QColor(10, 120, 200));
    }

    void patchesSafetensorsCheckpoints_data()
    {
        QTest::addColumn<QString>("source");
        QTest::addColumn<QString>("output");
        QTest::addColumn<QString>("tensor");
        QTest::newRow("bf16 file") << QStringLiteral("table-bf16.safetensors") << QStringLiteral("patched.safetensors")
                                   << QStringLiteral("model.embed_tokens.weight");
        QTest::newRow("sharded folder") << QStringLiteral("hf-sharded") << QStringLiteral("patched")
                                        << QStringLiteral("model.embed_tokens.weight");
    }

    void patchesSafetensorsCheckpoints()
    {
        QFETCH(QString, source);
        QFETCH(QString, output);
        QFETCH(QString, tensor);
        const std::string sourcePath = vqtest::dataPath(source.toStdString());
        auto table = std::make_shared<EmbeddingTable>(loadEmbedding(sourcePath, {}, nullRunControl()));
        QCOMPARE(table->source.tensor, tensor.toStdString());
        const auto record = runOn(table, rtnSpec(8));
        QVERIFY(record && record->status == RunStatus::Done);

        QTemporaryDir dir;
        const QString out = dir.filePath(output);
        ExportRequest r = request(ExportKind::PatchedCheckpoint, out);
        ExportRunner runner;
        const Outcome outcome = runJob(runner, { record, table, {} }, { r });
        QCOMPARE(outcome.terminal, QStringLiteral("finished"));

        // The embedding is the decode at the source dtype; the rest is the source's.
        const auto patched = openTensorFile(out.toStdString());
        const Matrix got = patched->readMatrix(tensor.toStdString(), nullRunControl());
        const Matrix decoded = record->table->decodeAll();
        const auto info = std::find_if(patched->tensors().begin(), patched->tensors().end(),
            [&](const TensorInfo& t) { return t.name == tensor.toStdString(); });
        QVERIFY(info != patched->tensors().end());
        std::vector<float> expected = decoded.values;
        if (info->dtype == DType::BF16)
            std::transform(expected.begin(), expected.end(), expected.begin(),
                [](float v) { return bf16ToFloat(floatToBf16(v)); });
        QVERIFY(sameFloats(got.values, expected));
        const auto original = openTensorFile(sourcePath);
        QCOMPARE(patched->tensors().size(), original->tensors().size());
        if (source == u"hf-sharded") {
            QVERIFY(QFileInfo::exists(QDir(out).filePath(QStringLiteral("config.json"))));
            QVERIFY(QFileInfo::exists(QDir(out).filePath(QStringLiteral("tokenizer.json"))));
        }
    }

    void cancelDuringAnExportLeavesNoFile()
    {
        QTemporaryDir dir;
        const QString artifact = dir.filePath(QStringLiteral("big.vq.h5"));
        ExportRunner runner;
        QSignalSpy progress(&runner, &ExportRunner::progress);
        QSignalSpy cancelled(&runner, &ExportRunner::cancelled);
        {
            // Holding the HDF5 lock parks the writer inside writeArtifact, its temporary file open, so the
            // cancel lands mid-export whatever the machine's speed.
            const Hdf5Lock lock;
            QVERIFY(runner.start({ m_pq, m_table, {} }, { request(ExportKind::Artifact, artifact) }));
            QVERIFY(progress.wait(kTimeoutMs));
            runner.cancel();
            QVERIFY(runner.isCancelling());
        }
        QVERIFY(cancelled.wait(kTimeoutMs));
        QCOMPARE(cancelled.at(0).at(1).toString(), artifact);
        QVERIFY(!runner.isBusy());
        QCOMPARE(entries(dir.path()), QStringList());
    }

    void cancelStopsTheRestOfTheJob()
    {
        QTemporaryDir dir;
        ExportRunner runner;
        QSignalSpy cancelled(&runner, &ExportRunner::cancelled);
        QVERIFY(runner.start({ m_rtn, m_table, {} },
            { request(ExportKind::Dequantized, dir.filePath(QStringLiteral("a.npy"))),
                request(ExportKind::TokenCsv, dir.filePath(QStringLiteral("b.csv"))) }));
        // A second job is refused while one runs.
        QVERIFY(!runner.start(
            { m_rtn, m_table, {} }, { request(ExportKind::TokenCsv, dir.filePath(QStringLiteral("c.csv"))) }));
        runner.cancel();
        QVERIFY(cancelled.wait(kTimeoutMs));
        QCOMPARE(cancelled.at(0).at(0).toInt(), 0);
        QCOMPARE(entries(dir.path()), QStringList());
    }

    void refusesRunsWithoutArrays()
    {
        auto record = std::make_shared<RunRecord>(*m_rtn);
        record->table = nullptr;
        ExportRunner runner;
        QVERIFY(!runner.start({ record, m_table, {} }, { request(ExportKind::Artifact, QStringLiteral("x.vq.h5")) }));
        auto failed = std::make_shared<RunRecord>(*m_rtn);
        failed->status = RunStatus::Failed;
        QVERIFY(!runner.start({ failed, m_table, {} }, { request(ExportKind::Artifact, QStringLiteral("x.vq.h5")) }));
        QVERIFY(!runner.start({ m_rtn, m_table, {} }, {}));
        QVERIFY(!runner.isBusy());
    }

    void failuresNameTheFileAndLeaveNothing_data()
    {
        QTest::addColumn<int>("kind");
        QTest::newRow("artifact") << int(ExportKind::Artifact);
        QTest::newRow("twin") << int(ExportKind::ArtifactSafetensors);
        QTest::newRow("npy") << int(ExportKind::Dequantized);
        QTest::newRow("json") << int(ExportKind::MetricsJson);
        QTest::newRow("csv") << int(ExportKind::TokenCsv);
        QTest::newRow("report") << int(ExportKind::Report);
    }

    void failuresNameTheFileAndLeaveNothing()
    {
        QFETCH(int, kind);
        QTemporaryDir dir;
        const QString missing = dir.filePath(QStringLiteral("no-such-folder/out.npy"));
        ExportRunner runner;
        const Outcome outcome = runJob(runner, { m_rtn, m_table, {} }, { request(ExportKind(kind), missing) });
        QCOMPARE(outcome.terminal, QStringLiteral("failed"));
        QVERIFY2(outcome.message.contains(missing), qPrintable(outcome.message));
        QCOMPARE(entries(dir.path()), QStringList());
    }

    void refusesADeviceAsTarget()
    {
        // Renaming a temporary file over /dev/full would replace the device: refused before writing.
        struct stat before { };
        QCOMPARE(::stat("/dev/full", &before), 0);
        ExportRunner runner;
        const QString path = QStringLiteral("/dev/full");
        const Outcome outcome = runJob(runner, { m_rtn, m_table, {} }, { request(ExportKind::MetricsJson, path) });
        QCOMPARE(outcome.terminal, QStringLiteral("failed"));
        QVERIFY2(outcome.message.startsWith(path + u": "), qPrintable(outcome.message));
        QVERIFY(outcome.message.contains(QStringLiteral("not a regular file")));
        struct stat after { };
        QCOMPARE(::stat("/dev/full", &after), 0);
        QVERIFY(S_ISCHR(after.st_mode));
        QCOMPARE(after.st_ino, before.st_ino);
    }

    void aFullDiskLeavesNoPartialFile_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("name");
        // 2000 x 100 floats: 800 KB of .npy, about 100 KB of CSV, against a 64 KiB file size limit. (Not the
        // HDF5 artifact: a failed H5Fclose leaves the library holding the file, which crashes at exit.)
        QTest::newRow("npy") << int(ExportKind::Dequantized) << QStringLiteral("big.npy");
        QTest::newRow("csv") << int(ExportKind::TokenCsv) << QStringLiteral("tokens.csv");
    }

    void aFullDiskLeavesNoPartialFile()
    {
        QFETCH(int, kind);
        QFETCH(QString, name);
        QTemporaryDir dir;
        const QString path = dir.filePath(name);
        // A file size limit makes write() fail with EFBIG as a full disk fails with ENOSPC: same path
        // through the writers, without a small filesystem to fill.
        rlimit old {};
        QCOMPARE(::getrlimit(RLIMIT_FSIZE, &old), 0);
        const auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit small = old;
        small.rlim_cur = 64 * 1024;
        QCOMPARE(::setrlimit(RLIMIT_FSIZE, &small), 0);
        ExportRunner runner;
        const Outcome outcome = runJob(runner, { m_pq, m_table, {} }, { request(ExportKind(kind), path) });
        ::setrlimit(RLIMIT_FSIZE, &old);
        std::signal(SIGXFSZ, oldHandler);
        QCOMPARE(outcome.terminal, QStringLiteral("failed"));
        QVERIFY2(outcome.message.contains(path), qPrintable(outcome.message));
        QCOMPARE(entries(dir.path()), QStringList());
    }

    void aFullDiskKeepsTheOldFile_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("op");
        // HDF5 writes the artifact itself: its full disk comes at the sync.
        QTest::newRow("artifact") << int(ExportKind::Artifact) << QStringLiteral("run.vq.h5")
                                  << int(AtomicFileFault::Op::Sync);
        QTest::newRow("artifact safetensors")
            << int(ExportKind::ArtifactSafetensors) << QStringLiteral("run.vq.safetensors")
            << int(AtomicFileFault::Op::Write);
        QTest::newRow("npy") << int(ExportKind::Dequantized) << QStringLiteral("table.npy")
                             << int(AtomicFileFault::Op::Write);
        QTest::newRow("safetensors") << int(ExportKind::Dequantized) << QStringLiteral("table.safetensors")
                                     << int(AtomicFileFault::Op::Write);
        QTest::newRow("gguf") << int(ExportKind::Dequantized) << QStringLiteral("table.gguf")
                              << int(AtomicFileFault::Op::Write);
        QTest::newRow("metrics") << int(ExportKind::MetricsJson) << QStringLiteral("run.json")
                                 << int(AtomicFileFault::Op::Sync);
        QTest::newRow("csv") << int(ExportKind::TokenCsv) << QStringLiteral("tokens.csv")
                             << int(AtomicFileFault::Op::Rename);
    }

    // A full disk while replacing an earlier export: the job fails naming the file and saying why, and
    // the earlier file stays byte for byte.
    void aFullDiskKeepsTheOldFile()
    {
        QFETCH(int, kind);
        QFETCH(QString, name);
        QFETCH(int, op);
        QTemporaryDir dir;
        const QString path = dir.filePath(name);
        ExportRunner runner;
        QCOMPARE(runJob(runner, { m_rtn, m_table, {} }, { request(ExportKind(kind), path) }).terminal,
            QStringLiteral("finished"));
        const QByteArray old = vqtest::readAll(path.toStdString());
        QVERIFY(!old.isEmpty());
        Outcome outcome;
        {
            const AtomicFileFault fault(AtomicFileFault::Op(op), 1, ENOSPC);
            outcome = runJob(runner, { m_pq, m_table, {} }, { request(ExportKind(kind), path) });
            QCOMPARE(fault.failures(), 1);
        }
        QCOMPARE(outcome.terminal, QStringLiteral("failed"));
        QVERIFY2(outcome.message.startsWith(path + QStringLiteral(": ")), qPrintable(outcome.message));
        QVERIFY2(outcome.message.contains(QString::fromUtf8(std::strerror(ENOSPC))), qPrintable(outcome.message));
        QCOMPARE(vqtest::readAll(path.toStdString()), old);
        QCOMPARE(entries(dir.path()), QStringList { name });
    }
};

QTEST_MAIN(TestExportRunner)
#include "tst_exportrunner.moc"
