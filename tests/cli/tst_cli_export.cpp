// vqscope-cli export to GGUF (standalone and patched) and convert between formats: what is written
// (read back with the library), the messages, the exit codes, and that a failing write leaves an
// existing target untouched with nothing left beside it.
#include "clichecks.h"

#include "common/halffloat.h"
#include "export/artifact.h"
#include "export/dequantizedexport.h"
#include "ggufchecks.h"
#include "io/embeddingloader.h"
#include "io/safetensorsreader.h"
#include "readerchecks.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

namespace {

QString data(const char* name)
{
    return QString::fromStdString(vqtest::dataPath(name));
}

std::string text(const QString& s)
{
    return s.toStdString();
}

// The table as loaded from path and its values as float32.
vq::EmbeddingTable load(const QString& path, const std::string& tensor = {})
{
    vq::LoadOptions options;
    options.tensor = tensor;
    return vq::loadEmbedding(text(path), options, vq::nullRunControl());
}

QStringList hiddenOrTemporary(const QString& folder)
{
    return QDir(folder).entryList(QStringList { QStringLiteral(".*") }, QDir::Files | QDir::Hidden);
}

} // namespace

class TestCliExport : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_artifact;

    QString out(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }

private slots:
    void initTestCase()
    {
        // RTN int4 of the 512 x 100 F16 GGUF fixture (its tokens, no output.weight).
        m_artifact = out("rtn.vq.h5");
        const auto q = vqtest::runCli({ QStringLiteral("quantize"), data("table-f16.gguf"),
            QStringLiteral("--method=rtn"), QStringLiteral("--param=bits=4"), QStringLiteral("--param=group=4"),
            QStringLiteral("--recall-queries=0"), QStringLiteral("--artifact"), m_artifact, QStringLiteral("--out"),
            out("rtn.json") });
        QVERIFY2(q.exitCode == 0, q.err.constData());
    }

    void standaloneGguf_data()
    {
        QTest::addColumn<QStringList>("typeArgs");
        QTest::addColumn<QString>("type");
        QTest::newRow("default f16") << QStringList() << "f16";
        QTest::newRow("bf16") << QStringList { QStringLiteral("--type=bf16") } << "bf16";
        QTest::newRow("f32, old option name") << QStringList { QStringLiteral("--dtype=f32") } << "f32";
    }
    void standaloneGguf()
    {
        QFETCH(QStringList, typeArgs);
        QFETCH(QString, type);
        const QString target = out("table.gguf");
        const auto r = vqtest::runCli(
            QStringList { QStringLiteral("export"), m_artifact, QStringLiteral("--out"), target } + typeArgs);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.err.contains("token strings from"), r.err.constData());

        const vq::ArtifactContents artifact = vq::readArtifact(text(m_artifact));
        const vq::GgufReader reader(text(target));
        const vq::TensorInfo* t = vqtest::findTensor(reader, "token_embd.weight");
        QVERIFY(t);
        QCOMPARE(QString::fromStdString(t->dtypeName), type);
        QCOMPARE(t->shape, (std::vector<int64_t> { 512, 100 }));
        const auto& writable = vq::ggml::requireWritableType(text(type), "");
        QVERIFY(vqtest::sameBytes(
            reader.tensorBytes("token_embd.weight"), vqtest::encodedAs(writable, artifact.table.decodeAll().values)));
        QCOMPARE(vqtest::findKey(reader, "general.architecture")->value, std::string("vqscope"));
        const nlohmann::json record = nlohmann::json::parse(vqtest::findKey(reader, vq::kEmbeddingKey)->value);
        QCOMPARE(record.value("method", ""), std::string("rtn"));
        QCOMPARE(record.value("sourceFile", ""), std::string("table-f16.gguf"));
        // The tokens of the artifact's source file.
        QCOMPARE(load(target).tokens, load(data("table-f16.gguf")).tokens);
    }

    void patchedGguf()
    {
        const QString target = out("patched.gguf");
        const auto r = vqtest::runCli(
            { QStringLiteral("export"), m_artifact, QStringLiteral("--checkpoint"), data("table-f16.gguf"),
                QStringLiteral("--out"), target, QStringLiteral("--type"), QStringLiteral("BF16") });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.err.contains("stored as bf16"), r.err.constData());
        // The fixture has no output.weight: the user is told that the output layer changes too.
        QVERIFY2(r.err.contains("has no output.weight"), r.err.constData());
        const vq::GgufReader source(vqtest::dataPath("table-f16.gguf"));
        const vq::GgufReader patched(text(target));
        QCOMPARE(patched.tensors().size(), source.tensors().size());
        QCOMPARE(patched.ggmlTypeId("token_embd.weight"), uint32_t(30));
        QVERIFY(vqtest::sameBytes(patched.tensorBytes("output_norm.weight"), source.tensorBytes("output_norm.weight")));
        QVERIFY(vqtest::findKey(patched, vq::kEmbeddingKey));
        QCOMPARE(patched.metadata().size(), source.metadata().size() + 1);
    }

    void convert_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("output");
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QString>("storedAs"); // as the output lists it
        QTest::addColumn<QString>("expected"); // what the values must equal
        // Q8_0 GGUF to safetensors: no q8_0 there, so f32, exactly ggml's dequantization.
        QTest::newRow("q8_0 gguf -> safetensors") << "table-q8_0.gguf"
                                                  << "x.safetensors" << QStringList() << "F32"
                                                  << "expected-q8_0.npy";
        // The same Q8_0 blocks come back when the table goes to GGUF again (re-quantizing Q8_0 is lossless).
        QTest::newRow("q8_0 gguf -> q8_0 gguf") << "table-q8_0.gguf"
                                                << "x.gguf" << QStringList() << "q8_0"
                                                << "expected-q8_0.npy";
        QTest::newRow("bf16 safetensors -> gguf") << "table-bf16.safetensors"
                                                  << "x.gguf" << QStringList() << "bf16"
                                                  << "expected-bf16-safetensors.npy";
        QTest::newRow("f32 gguf -> f16 npy") << "table-f32.gguf"
                                             << "x.npy" << QStringList { QStringLiteral("--type=f16") } << "<f2"
                                             << "";
        QTest::newRow("q4_0 gguf -> bf16 safetensors")
            << "table-q4_0.gguf"
            << "x.safetensors" << QStringList { QStringLiteral("--type=bf16") } << "BF16"
            << "expected-q4_0.npy";
    }
    void convert()
    {
        QFETCH(QString, input);
        QFETCH(QString, output);
        QFETCH(QStringList, extra);
        QFETCH(QString, storedAs);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString target = dir.filePath(output);
        const auto r = vqtest::runCli(QStringList { QStringLiteral("convert"), data(input.toLatin1().constData()),
                                          QStringLiteral("--out"), target }
            + extra);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const vq::EmbeddingTable source = load(data(input.toLatin1().constData()));
        const vq::EmbeddingTable back = load(target);
        QCOMPARE(QString::fromStdString(back.source.dtype), storedAs);
        QCOMPARE(back.rows(), source.rows());
        QCOMPARE(back.dim(), source.dim());
        if (!expected.isEmpty()) {
            const auto npy = vqtest::readNpyF32(vqtest::dataPath(text(expected)));
            QVERIFY2(npy.error.empty(), npy.error.c_str());
            if (storedAs == QStringLiteral("BF16")) {
                for (size_t i = 0; i < npy.values.size(); ++i)
                    QCOMPARE(back.values.values[i], vq::bf16ToFloat(vq::floatToBf16(npy.values[i])));
            } else {
                QVERIFY(vqtest::sameBits(back.values.values, npy.values));
            }
        } else {
            for (size_t i = 0; i < source.values.values.size(); ++i)
                QCOMPARE(back.values.values[i], vq::roundToHalf(source.values.values[i]));
        }
        if (output.endsWith(QStringLiteral(".gguf")) && input.endsWith(QStringLiteral(".gguf"))) {
            // The tokens travel along; the same type gives the very bytes of the source.
            QCOMPARE(back.tokens, source.tokens);
            QCOMPARE(back.tokens.size(), size_t(512));
            const vq::GgufReader a(vqtest::dataPath(text(input)));
            const vq::GgufReader b(text(target));
            QVERIFY(vqtest::sameBytes(a.tensorBytes("token_embd.weight"), b.tensorBytes("token_embd.weight")));
        }
        QVERIFY(hiddenOrTemporary(dir.path()).isEmpty());
    }

    // Exit 2 for what the command line gets wrong, 1 for what the data refuses; an existing target stays
    // as it was and no temporary file is left beside it.
    void failuresLeaveTheTargetUntouched_data()
    {
        QTest::addColumn<QStringList>("args"); // TARGET is replaced by the existing target's path
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        const QString t = QStringLiteral("TARGET");
        QTest::newRow("convert: q8_0 of 100 columns") << QStringList { QStringLiteral("convert"),
            data("table-f32.gguf"), QStringLiteral("--out"), t, QStringLiteral("--type=q8_0") }
                                                      << 1 << "q8_0 stores whole blocks of 32";
        QTest::newRow("convert: no such type") << QStringList { QStringLiteral("convert"), data("table-f32.gguf"),
            QStringLiteral("--out"), t, QStringLiteral("--type=q9_k") }
                                               << 2 << "GGUF holds f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0";
        QTest::newRow("convert: unreadable input") << QStringList { QStringLiteral("convert"), data("missing.gguf"),
            QStringLiteral("--out"), t } << 1 << "missing.gguf";
        QTest::newRow("export: q4_0 of 100 columns") << QStringList { QStringLiteral("export"),
            QStringLiteral("ARTIFACT"), QStringLiteral("--out"), t, QStringLiteral("--type=q4_0") }
                                                     << 1 << "q4_0 stores whole blocks of 32";
        QTest::newRow("export: patched, wrong tensor")
            << QStringList { QStringLiteral("export"), QStringLiteral("ARTIFACT"), QStringLiteral("--checkpoint"),
                   data("table-f16.gguf"), QStringLiteral("--tensor=output_norm.weight"), QStringLiteral("--out"), t }
            << 1 << "is not 512 x 100";
        QTest::newRow("export: --type on a safetensors checkpoint")
            << QStringList { QStringLiteral("export"), QStringLiteral("ARTIFACT"), QStringLiteral("--checkpoint"),
                   data("table-bf16.safetensors"), QStringLiteral("--type=f16"), QStringLiteral("--out"), t }
            << 2 << "keeps the source dtype";
    }
    void failuresLeaveTheTargetUntouched()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString target = dir.filePath(QStringLiteral("existing.gguf"));
        vqtest::writeBytes(text(target), "old bytes");
        args.replaceInStrings(QStringLiteral("TARGET"), target);
        args.replaceInStrings(QStringLiteral("ARTIFACT"), m_artifact);
        const auto r = vqtest::runCli(args);
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
        QCOMPARE(vqtest::readAll(text(target)), std::string("old bytes"));
        QCOMPARE(
            QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList { QStringLiteral("existing.gguf") });
    }

    void help()
    {
        const auto convert = vqtest::runCli({ QStringLiteral("convert"), QStringLiteral("--help") });
        QCOMPARE(convert.exitCode, 0);
        QVERIFY(convert.out.contains("--type T"));
        QVERIFY(convert.out.contains("f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0"));
        const auto exp = vqtest::runCli({ QStringLiteral("export"), QStringLiteral("--help") });
        QCOMPARE(exp.exitCode, 0);
        QVERIFY(exp.out.contains("--out X.gguf"));
        const auto all = vqtest::runCli({ QStringLiteral("--help") });
        QVERIFY(all.out.contains("convert"));
    }
};

QTEST_GUILESS_MAIN(TestCliExport)
#include "tst_cli_export.moc"
