#include "clichecks.h"

#include "io/embeddingloader.h"
#include "io/npyreader.h"
#include "metrics/reconstructionmetrics.h"
#include "quant/registry.h"
#include "quantchecks.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <map>
#include <set>

namespace {

QJsonObject object(const QByteArray& json)
{
    QJsonParseError error;
    const QJsonObject o = QJsonDocument::fromJson(json, &error).object();
    if (error.error != QJsonParseError::NoError)
        qWarning("not JSON: %s", json.left(300).constData());
    return o;
}

// spec params (compact JSON) -> relMSE of every line of a sweep output.
std::map<QString, double> relMseBySpec(const QByteArray& lines)
{
    std::map<QString, double> out;
    for (const QByteArray& line : lines.split('\n')) {
        if (line.isEmpty())
            continue;
        const QJsonObject o = object(line);
        const QString key
            = QString::fromUtf8(QJsonDocument(o[QStringLiteral("spec")][QStringLiteral("params")].toObject())
                                    .toJson(QJsonDocument::Compact));
        out[key] = o[QStringLiteral("metrics")][QStringLiteral("reconstruction")][QStringLiteral("relMse")].toDouble();
    }
    return out;
}

const QString kRows = QStringLiteral("--rows=2000");
const QString kNoRecall = QStringLiteral("--recall-queries=0");

} // namespace

class TestCliQuantize : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private slots:
    void methodsListsEveryMethod()
    {
        const auto r = vqtest::runCli({ QStringLiteral("methods"), QStringLiteral("--json") });
        QCOMPARE(r.exitCode, 0);
        const QJsonArray methods = object(r.out)[QStringLiteral("methods")].toArray();
        QCOMPARE(methods.size(), qsizetype(vq::allQuantizers().size()));
        for (qsizetype i = 0; i < methods.size(); ++i) {
            const vq::Quantizer& q = *vq::allQuantizers()[size_t(i)];
            const QJsonObject m = methods[i].toObject();
            QCOMPARE(m[QStringLiteral("name")].toString().toStdString(), q.name());
            const QJsonArray params = m[QStringLiteral("params")].toArray();
            QCOMPARE(params.size(), qsizetype(q.schema().params.size()));
            for (qsizetype k = 0; k < params.size(); ++k)
                QCOMPARE(params[k][QStringLiteral("name")].toString().toStdString(), q.schema().params[size_t(k)].name);
            QCOMPARE(m[QStringLiteral("presets")].toArray().size(), qsizetype(q.presets().size()));
            QVERIFY(!m[QStringLiteral("description")].toString().isEmpty());
        }
        const auto text = vqtest::runCli({ QStringLiteral("methods") });
        QCOMPARE(text.exitCode, 0);
        QVERIFY(text.out.contains("kappa"));
    }

    void rtnMatchesTheCore()
    {
        const QString out = m_dir.filePath(QStringLiteral("rtn.json"));
        const auto r = vqtest::runCli({ QStringLiteral("quantize"), vqtest::cliSample(), QStringLiteral("--method"),
            QStringLiteral("rtn"), QStringLiteral("--param"), QStringLiteral("bits=4"),
            QStringLiteral("--param=group=25"), kRows, kNoRecall, QStringLiteral("--out"), out });
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.isEmpty());
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject o = object(f.readAll());
        QCOMPARE(o[QStringLiteral("status")].toString(), QStringLiteral("done"));
        QCOMPARE(o[QStringLiteral("spec")][QStringLiteral("params")][QStringLiteral("mode")].toString(),
            QStringLiteral("sym"));
        QCOMPARE(o[QStringLiteral("provenance")][QStringLiteral("rows")].toInt(), 2000);

        vq::EmbeddingTable t = vq::loadEmbedding(vqtest::cliSample().toStdString(), {}, vq::nullRunControl());
        t.values.rows = 2000;
        t.values.values.resize(2000 * 100);
        const vq::QuantSpec spec { "rtn", { { "bits", 4 }, { "group", 25 } } };
        const vq::QuantizedTable q = vq::quantizer("rtn").fit({ t.values, {} }, spec, vq::nullRunControl());
        const double relMse
            = vq::computeReconstructionMetrics(t.values, q.decodeAll(), {}, vq::nullRunControl()).relMse;
        // Measured on the sample: 0.0111.
        QVERIFY(relMse > 0.005 && relMse < 0.02);
        QCOMPARE(o[QStringLiteral("metrics")][QStringLiteral("reconstruction")][QStringLiteral("relMse")].toDouble(),
            relMse);
        QCOMPARE(o[QStringLiteral("provenance")][QStringLiteral("checksum")].toString().toStdString(),
            vq::tableChecksum(t.values));
        QCOMPARE(o[QStringLiteral("bits")][QStringLiteral("totalBits")].toDouble(), double(q.bits().totalBits()));

        // eval reproduces the run from the result JSON.
        const auto e = vqtest::runCli(
            { QStringLiteral("eval"), vqtest::cliSample(), QStringLiteral("--result"), out, kNoRecall });
        QCOMPARE(e.exitCode, 0);
        const QJsonObject report = object(e.out);
        QVERIFY(report[QStringLiteral("sameTable")].toBool());
        QVERIFY(report[QStringLiteral("metricsMatch")].toBool());
        QVERIFY(e.err.contains("holds no codes"));
    }

    void dryRunGivesTheEstimate_data()
    {
        QTest::addColumn<QStringList>("params");
        QTest::addColumn<QString>("method");
        QTest::newRow("pq d4 8-bit") << QStringList { QStringLiteral("d=4"), QStringLiteral("bits=8") }
                                     << QStringLiteral("pq");
        QTest::newRow("grvq shared") << QStringList { QStringLiteral("h=10"), QStringLiteral("R=3"),
            QStringLiteral("kappa=6"), QStringLiteral("shared=true"), QStringLiteral("codebook=f32") }
                                     << QStringLiteral("grvq");
        QTest::newRow("rtn asym") << QStringList { QStringLiteral("bits=3"), QStringLiteral("group=20"),
            QStringLiteral("mode=asym") }
                                  << QStringLiteral("rtn");
        QTest::newRow("q4_0") << QStringList {} << QStringLiteral("q4_0");
    }

    void dryRunGivesTheEstimate()
    {
        QFETCH(QStringList, params);
        QFETCH(QString, method);
        QStringList args { QStringLiteral("quantize"), vqtest::cliSample(), QStringLiteral("--dry-run"),
            QStringLiteral("--method"), method };
        vq::QuantSpec spec { method.toStdString(), nlohmann::json::object() };
        for (const QString& p : params) {
            args << QStringLiteral("--param") << p;
            const QStringList kv = p.split(QLatin1Char('='));
            spec.params[kv[0].toStdString()] = kv[1] == QStringLiteral("asym") || kv[1] == QStringLiteral("f32")
                ? nlohmann::json(kv[1].toStdString())
                : nlohmann::json::parse(kv[1].toStdString());
        }
        if (method == QStringLiteral("q4_0")) { // block formats need a multiple of 32 columns: not 100
            QCOMPARE(vqtest::runCli(args).exitCode, 2);
            return;
        }
        const auto r = vqtest::runCli(args);
        QCOMPARE(r.exitCode, 0);
        const QJsonObject o = object(r.out);
        const vq::BitBudget b = vq::quantizer(spec.method).estimate(spec, 20000, 100);
        QCOMPARE(o[QStringLiteral("bits")][QStringLiteral("totalBits")].toDouble(), double(b.totalBits()));
        QCOMPARE(o[QStringLiteral("bitsPerParam")].toDouble(), b.bitsPerParam());
        QCOMPARE(o[QStringLiteral("bits")][QStringLiteral("items")].toArray().size(), qsizetype(b.items.size()));
        QVERIFY(o[QStringLiteral("dryRun")].toBool());
        QVERIFY(!o.contains(QStringLiteral("metrics")));
        QVERIFY(r.err.contains("bits/param"));
    }

    void badParamsExit2_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("named");
        const auto q = [](std::initializer_list<const char*> extra) {
            QStringList a { QStringLiteral("quantize"), vqtest::cliSample() };
            for (const char* e : extra)
                a << QString::fromUtf8(e);
            return a;
        };
        QTest::newRow("out of range") << q({ "--method=rtn", "--param=bits=99" }) << QStringLiteral("'bits'");
        QTest::newRow("not a number") << q({ "--method=rtn", "--param=bits=four" }) << QStringLiteral("'bits'");
        QTest::newRow("unknown") << q({ "--method=pq", "--param=dd=4" }) << QStringLiteral("'dd'");
        QTest::newRow("shape") << q({ "--method=pq", "--param=d=3" }) << QStringLiteral("'d'");
        QTest::newRow("bad choice") << q({ "--method=pq", "--param=codebook=f8" }) << QStringLiteral("'codebook'");
        QTest::newRow("unknown method") << q({ "--method=zzz" }) << QStringLiteral("zzz");
        QTest::newRow("no method") << q({}) << QStringLiteral("--method");
        QTest::newRow("no value") << q({ "--method=rtn", "--param=bits" }) << QStringLiteral("key=value");
        QTest::newRow("bad rows") << q({ "--method=rtn", "--rows=0" }) << QStringLiteral("--rows");
        QTest::newRow("super-blocks") << q({ "--method=q4_K" }) << QStringLiteral("super-block size 256");
    }

    void badParamsExit2()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, named);
        const QString out = m_dir.filePath(QStringLiteral("bad.json"));
        const auto r = vqtest::runCli(args << QStringLiteral("--out") << out);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(QString::fromUtf8(r.err).contains(named), r.err.constData());
        QVERIFY(!QFile::exists(out));
    }

    // An empty table is a bad input file (exit 1, the file named), not a bad command line.
    void emptyTableExits1()
    {
        const QString path = m_dir.filePath(QStringLiteral("empty-0x64.npy"));
        QByteArray header = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 64), }";
        while ((10 + header.size() + 1) % 64 != 0)
            header += ' ';
        header += '\n';
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray("\x93NUMPY\x01\x00", 8));
        f.putChar(char(header.size() & 0xff));
        f.putChar(char(header.size() >> 8));
        f.write(header);
        f.close();
        const QString out = m_dir.filePath(QStringLiteral("empty.json"));
        const auto r = vqtest::runCli(
            { QStringLiteral("quantize"), path, QStringLiteral("--method=rtn"), QStringLiteral("--out"), out });
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(QString::fromUtf8(r.err).contains(path + QStringLiteral(": tensor '")), r.err.constData());
        QVERIFY2(QString::fromUtf8(r.err).contains(QStringLiteral("is an empty table (0 x 64)")), r.err.constData());
        QVERIFY(!QFile::exists(out));
    }

    // A K-quant with llama.cpp's importance vector, on ggml's 256-column reference table: the run stores
    // exactly ggml's blocks, so its relMSE is that of ggml's own dequantization.
    void kQuantWithImportance()
    {
        const QString table = QString::fromStdString(vqtest::dataPath("ggml/reference-128x256-f32.npy"));
        const QString importance = QString::fromStdString(vqtest::dataPath("ggml/imatrix-256.npy"));
        const QString out = m_dir.filePath(QStringLiteral("q4k.json"));
        const auto r = vqtest::runCli({ QStringLiteral("quantize"), table, QStringLiteral("--method"),
            QStringLiteral("q4_K"), QStringLiteral("--param"), QStringLiteral("importance=") + importance, kNoRecall,
            QStringLiteral("--out"), out });
        QCOMPARE(r.exitCode, 0);
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject o = object(f.readAll());
        QCOMPARE(o[QStringLiteral("bitsPerParam")].toDouble(), 4.5);
        QCOMPARE(
            o[QStringLiteral("spec")][QStringLiteral("params")][QStringLiteral("importance")].toString(), importance);
        const vq::Matrix ref = vqtest::readNpySlice(table.toStdString());
        const vq::Matrix ggml = vqtest::readNpySlice(vqtest::dataPath("ggml/expected-q4_k-imatrix.npy"));
        QCOMPARE(o[QStringLiteral("metrics")][QStringLiteral("reconstruction")][QStringLiteral("relMse")].toDouble(),
            vq::computeReconstructionMetrics(ref, ggml, {}, vq::nullRunControl()).relMse);

        const auto missing = vqtest::runCli({ QStringLiteral("quantize"), table, QStringLiteral("--method=q4_K"),
            QStringLiteral("--param=importance=/nonexistent/w.npy"), QStringLiteral("--dry-run") });
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(
            missing.err.contains("/nonexistent/w.npy") && missing.err.contains("importance"), missing.err.constData());
    }

    void shardsTogetherEqualTheWholeSweep()
    {
        const QString grid = m_dir.filePath(QStringLiteral("grid.json"));
        QFile g(grid);
        QVERIFY(g.open(QIODevice::WriteOnly));
        g.write(R"({"method": "rtn", "params": {"mode": "asym"}, "grid": {"bits": [2, 3, 4], "group": [25, 50]}})");
        g.close();
        const QStringList common { QStringLiteral("sweep"), vqtest::cliSample(), QStringLiteral("--grid"), grid, kRows,
            kNoRecall };
        const auto whole = vqtest::runCli(common);
        QCOMPARE(whole.exitCode, 0);
        const QString shards = m_dir.filePath(QStringLiteral("shards.jsonl"));
        const vqtest::CliResult s0
            = vqtest::runCli(QStringList(common) << QStringLiteral("--shard=0/2") << QStringLiteral("--out") << shards);
        const vqtest::CliResult s1
            = vqtest::runCli(QStringList(common) << QStringLiteral("--shard=1/2") << QStringLiteral("--out") << shards);
        QCOMPARE(s0.exitCode, 0);
        QCOMPARE(s1.exitCode, 0);
        QFile f(shards);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray lines = f.readAll();
        QCOMPARE(lines.count('\n'), 6);
        const std::map<QString, double> a = relMseBySpec(whole.out);
        QCOMPARE(a.size(), size_t(6));
        QCOMPARE(relMseBySpec(lines), a);
        // More bits, less error, at either group size.
        QVERIFY(a.at(QStringLiteral(R"({"bits":2,"group":25,"mode":"asym"})"))
            > a.at(QStringLiteral(R"({"bits":4,"group":25,"mode":"asym"})")));

        // Merging the shard file with the whole sweep drops the duplicates.
        const QString wholeFile = m_dir.filePath(QStringLiteral("whole.jsonl"));
        QFile w(wholeFile);
        QVERIFY(w.open(QIODevice::WriteOnly));
        w.write(whole.out);
        w.close();
        const auto m = vqtest::runCli({ QStringLiteral("merge"), shards, wholeFile });
        QCOMPARE(m.exitCode, 0);
        QCOMPARE(m.out.count('\n'), 6);
        QCOMPARE(relMseBySpec(m.out), a);
    }

    void sweepRecordsRefusedCombinations()
    {
        const QString grid = m_dir.filePath(QStringLiteral("grid-d.json"));
        QFile g(grid);
        QVERIFY(g.open(QIODevice::WriteOnly));
        g.write(R"({"method": "pq", "params": {"bits": 4, "iterations": 3}, "grid": {"d": [3, 5]}})");
        g.close();
        const auto r = vqtest::runCli(
            { QStringLiteral("sweep"), vqtest::cliSample(), QStringLiteral("--grid"), grid, kRows, kNoRecall });
        QCOMPARE(r.exitCode, 1);
        const QList<QByteArray> lines = r.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        QCOMPARE(object(lines[0])[QStringLiteral("status")].toString(), QStringLiteral("failed"));
        QVERIFY(object(lines[0])[QStringLiteral("error")].toString().contains(QStringLiteral("'d'")));
        QCOMPARE(object(lines[1])[QStringLiteral("status")].toString(), QStringLiteral("done"));

        QVERIFY(g.open(QIODevice::WriteOnly | QIODevice::Truncate));
        g.write(R"({"method": "pq", "grid": {"dd": [3, 5]}})");
        g.close();
        const auto typo
            = vqtest::runCli({ QStringLiteral("sweep"), vqtest::cliSample(), QStringLiteral("--grid"), grid });
        QCOMPARE(typo.exitCode, 2);
        QVERIFY(typo.err.contains("'dd'"));
    }

    void artifactEvalAndExport()
    {
        // The 512-row BF16 safetensors fixture: quantize with an artifact, measure it, export it.
        const QString source = QString::fromStdString(vqtest::dataPath("table-bf16.safetensors"));
        const QString artifact = m_dir.filePath(QStringLiteral("fixture.vq.h5"));
        const QString result = m_dir.filePath(QStringLiteral("fixture.json"));
        const auto q = vqtest::runCli({ QStringLiteral("quantize"), source, QStringLiteral("--method=pq"),
            QStringLiteral("--param=bits=5"), QStringLiteral("--param=iterations=5"), kNoRecall,
            QStringLiteral("--artifact"), artifact, QStringLiteral("--out"), result });
        QCOMPARE(q.exitCode, 0);
        QFile f(result);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject record = object(f.readAll());
        const double relMse
            = record[QStringLiteral("metrics")][QStringLiteral("reconstruction")][QStringLiteral("relMse")].toDouble();
        // Measured on the fixture: pq d4 5-bit, relMSE 0.103.
        QVERIFY2(relMse > 0.08 && relMse < 0.13, QByteArray::number(relMse).constData());

        const auto e
            = vqtest::runCli({ QStringLiteral("eval"), source, QStringLiteral("--artifact"), artifact, kNoRecall });
        QCOMPARE(e.exitCode, 0);
        const QJsonObject report = object(e.out);
        QVERIFY(report[QStringLiteral("sameTable")].toBool());
        QVERIFY(report[QStringLiteral("metricsMatch")].toBool());
        QCOMPARE(
            report[QStringLiteral("metrics")][QStringLiteral("reconstruction")][QStringLiteral("relMse")].toDouble(),
            relMse);
        QCOMPARE(report[QStringLiteral("metrics")][QStringLiteral("codebookUsage")].toArray().size(), 1);

        const QString npy = m_dir.filePath(QStringLiteral("decoded.npy"));
        QCOMPARE(vqtest::runCli({ QStringLiteral("export"), artifact, QStringLiteral("--out"), npy }).exitCode, 0);
        const vq::EmbeddingTable e0 = vq::loadEmbedding(source.toStdString(), {}, vq::nullRunControl());
        const vq::NpyReader reader(npy.toStdString());
        const vq::Matrix decoded = reader.readMatrix(reader.tensors().front().name, vq::nullRunControl());
        QCOMPARE(decoded.rows, int64_t(512));
        QCOMPARE(vq::computeReconstructionMetrics(e0.values, decoded, {}, vq::nullRunControl()).relMse, relMse);

        const QString patched = m_dir.filePath(QStringLiteral("patched.safetensors"));
        const auto p = vqtest::runCli({ QStringLiteral("export"), artifact, QStringLiteral("--checkpoint"), source,
            QStringLiteral("--out"), patched });
        QCOMPARE(p.exitCode, 0);
        const vq::EmbeddingTable back = vq::loadEmbedding(patched.toStdString(), {}, vq::nullRunControl());
        QCOMPARE(back.source.tensor, std::string("model.embed_tokens.weight"));
        QCOMPARE(back.source.dtype, e0.source.dtype);
        // Stored back at the source's BF16: within BF16 rounding of the decoded table.
        for (size_t i = 0; i < decoded.values.size(); ++i)
            QVERIFY(std::fabs(back.values.values[i] - decoded.values[i]) <= std::fabs(decoded.values[i]) / 256.0f);

        const auto bad = vqtest::runCli(
            { QStringLiteral("export"), artifact, QStringLiteral("--out"), m_dir.filePath(QStringLiteral("x.txt")) });
        QCOMPARE(bad.exitCode, 2);
    }

    void sigintStopsASweepAfterWholeLines()
    {
        QTemporaryDir dir;
        const QString grid = dir.filePath(QStringLiteral("grid.json"));
        QFile g(grid);
        QVERIFY(g.open(QIODevice::WriteOnly));
        // A quick run, then one of minutes: interrupted while the second trains.
        g.write(
            R"({"method": "pq", "params": {"d": 2, "iterations": 1000, "tolerance": 0}, "grid": {"bits": [2, 10]}})");
        g.close();
        const QString out = dir.filePath(QStringLiteral("runs.jsonl"));
        QProcess p;
        p.start(QStringLiteral(VQ_CLI_PATH),
            { QStringLiteral("sweep"), vqtest::cliSample(), QStringLiteral("--grid"), grid, kRows, kNoRecall,
                QStringLiteral("--out"), out });
        QVERIFY(p.waitForStarted());
        const auto firstLineWritten = [&] {
            QFile f(out);
            return f.open(QIODevice::ReadOnly) && f.readAll().endsWith('\n');
        };
        QTRY_VERIFY_WITH_TIMEOUT(firstLineWritten(), 30000);
        QCOMPARE(p.state(), QProcess::Running);
        ::kill(static_cast<pid_t>(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 130);
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray lines = f.readAll();
        QCOMPARE(lines.count('\n'), 1);
        QVERIFY(lines.endsWith('\n'));
        const QJsonObject first = object(lines);
        QCOMPARE(first[QStringLiteral("status")].toString(), QStringLiteral("done"));
        QCOMPARE(first[QStringLiteral("spec")][QStringLiteral("params")][QStringLiteral("bits")].toInt(), 2);
    }

    void sigintCancelsWithoutOutput()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("long.json"));
        QProcess p;
        // About a minute of k-means: interrupted long before it ends.
        p.start(QStringLiteral(VQ_CLI_PATH),
            { QStringLiteral("quantize"), vqtest::cliSample(), QStringLiteral("--method=pq"),
                QStringLiteral("--param=d=2"), QStringLiteral("--param=bits=12"),
                QStringLiteral("--param=iterations=1000"), QStringLiteral("--param=tolerance=0"),
                QStringLiteral("--param=sampleCap=0"), QStringLiteral("--out"), out });
        QVERIFY(p.waitForStarted());
        QTest::qWait(2000);
        QCOMPARE(p.state(), QProcess::Running);
        ::kill(static_cast<pid_t>(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 130);
        QVERIFY(p.readAllStandardError().contains("cancelled"));
        QVERIFY(!QFile::exists(out));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 0); // no temporary left
    }
};

QTEST_GUILESS_MAIN(TestCliQuantize)
#include "tst_cli_quantize.moc"
