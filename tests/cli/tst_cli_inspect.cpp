#include "clichecks.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

class TestCliInspect : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private slots:
    void jsonOnTheSample()
    {
        const auto r = vqtest::runCli({ QStringLiteral("inspect"), vqtest::cliSample(), QStringLiteral("--json") });
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.err.isEmpty()); // stderr is not a terminal here: no progress
        QJsonParseError error;
        const QJsonObject o = QJsonDocument::fromJson(r.out, &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(o[QStringLiteral("format")].toString(), QStringLiteral("NumPy"));
        const QJsonArray tensors = o[QStringLiteral("tensors")].toArray();
        QCOMPARE(tensors.size(), 1);
        QCOMPARE(tensors[0][QStringLiteral("name")].toString(), QStringLiteral("glove-20k"));
        QCOMPARE(tensors[0][QStringLiteral("storedDtype")].toString(), QStringLiteral("<f2"));
        QCOMPARE(tensors[0][QStringLiteral("shape")].toArray(), (QJsonArray { 20000, 100 }));
        const QJsonObject e = o[QStringLiteral("embedding")].toObject();
        QCOMPARE(e[QStringLiteral("tensor")].toString(), QStringLiteral("glove-20k"));
        QCOMPARE(e[QStringLiteral("rows")].toInt(), 20000);
        QCOMPARE(e[QStringLiteral("dim")].toInt(), 100);
        QVERIFY(e[QStringLiteral("checksum")].toString().startsWith(QStringLiteral("xxh64:")));
        QVERIFY(o[QStringLiteral("tiedHead")][QStringLiteral("tied")].isNull());
        const QJsonObject tokens = o[QStringLiteral("tokens")].toObject();
        QCOMPARE(tokens[QStringLiteral("count")].toInt(), 20000);
        QCOMPARE(tokens[QStringLiteral("source")].toString(), QStringLiteral("glove-20k.vocab.txt"));
        QCOMPARE(tokens[QStringLiteral("first")].toArray()[0].toString(), QStringLiteral("the"));
        QCOMPARE(tokens[QStringLiteral("first")].toArray().size(), 10);
        QCOMPARE(o[QStringLiteral("nonFinite")][QStringLiteral("nan")].toInt(), 0);
        const QJsonObject s = o[QStringLiteral("statistics")].toObject();
        const QJsonArray pct = s[QStringLiteral("rowNormPercentiles")].toArray();
        QCOMPARE(pct.size(), 9);
        // Measured on the sample: row norms run from 2.33 to 12.3, median 5.36.
        QVERIFY(qAbs(pct[4][QStringLiteral("value")].toDouble() - 5.361) < 0.001);
        QVERIFY(qAbs(pct[8][QStringLiteral("value")].toDouble() - 12.31) < 0.01);
        for (int i = 1; i < pct.size(); ++i)
            QVERIFY(pct[i][QStringLiteral("value")].toDouble() >= pct[i - 1][QStringLiteral("value")].toDouble());
        QVERIFY(s[QStringLiteral("dimStd")][QStringLiteral("median")].toDouble() > 0.4);
        QVERIFY(!s[QStringLiteral("outlierRule")].toString().isEmpty());
    }

    void jsonOnAShardedCheckpoint()
    {
        const auto r = vqtest::runCli({ QStringLiteral("inspect"),
            QString::fromStdString(vqtest::dataPath("hf-sharded")), QStringLiteral("--json") });
        QCOMPARE(r.exitCode, 0);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o[QStringLiteral("format")].toString(), QStringLiteral("safetensors (sharded)"));
        QCOMPARE(o[QStringLiteral("tensors")].toArray().size(), 2);
        const QJsonObject e = o[QStringLiteral("embedding")].toObject();
        QCOMPARE(e[QStringLiteral("tensor")].toString(), QStringLiteral("model.embed_tokens.weight"));
        // The same float32 values as the reference .npy, so the same checksum.
        QCOMPARE(e[QStringLiteral("checksum")].toString(), QStringLiteral("xxh64:6be8f067245cad09"));
        QCOMPARE(o[QStringLiteral("tiedHead")][QStringLiteral("tied")].toBool(), true);
        QCOMPARE(o[QStringLiteral("tokens")][QStringLiteral("source")].toString(), QStringLiteral("tokenizer.json"));
        QCOMPARE(o[QStringLiteral("tokens")][QStringLiteral("count")].toInt(), 512);
    }

    void textOnTheSample()
    {
        const auto r = vqtest::runCli({ QStringLiteral("inspect"), vqtest::cliSample() });
        QCOMPARE(r.exitCode, 0);
        const QString text = QString::fromUtf8(r.out);
        QVERIFY(text.contains(QStringLiteral("glove-20k: 20000 x 100, stored as <f2")));
        QVERIFY(text.contains(QStringLiteral("20000 from glove-20k.vocab.txt: \"the\"")));
        QVERIFY(text.contains(QStringLiteral("Non-finite  none")));
    }

    void optionsAreHonoured()
    {
        const QString vocab = m_dir.filePath(QStringLiteral("words.txt"));
        QFile f(vocab);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("alpha\nbeta\n");
        f.close();
        const auto r = vqtest::runCli({ QStringLiteral("inspect"), QStringLiteral("--tensor=glove-20k"),
            vqtest::cliSample(), QStringLiteral("--vocab"), vocab, QStringLiteral("--json") });
        QCOMPARE(r.exitCode, 0);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(
            o[QStringLiteral("embedding")][QStringLiteral("reason")].toString(), QStringLiteral("requested by name"));
        QCOMPARE(o[QStringLiteral("tokens")][QStringLiteral("source")].toString(),
            QStringLiteral("words.txt (2 of 20000 rows)"));
        QCOMPARE(o[QStringLiteral("tokens")][QStringLiteral("first")].toArray()[1].toString(), QStringLiteral("beta"));
    }

    void ggmlBlockTypes()
    {
        const auto r = vqtest::runCli({ QStringLiteral("inspect"),
            QString::fromStdString(vqtest::dataPath("ggml/table-q4_k.gguf")), QStringLiteral("--json") });
        QCOMPARE(r.exitCode, 0);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        const QJsonObject e = o[QStringLiteral("embedding")].toObject();
        QCOMPARE(e[QStringLiteral("tensor")].toString(), QStringLiteral("token_embd.weight"));
        QCOMPARE(e[QStringLiteral("dtype")].toString(), QStringLiteral("q4_K"));
        QCOMPARE(e[QStringLiteral("rows")].toInt(), 128);
        QCOMPARE(e[QStringLiteral("dim")].toInt(), 256);
        QCOMPARE(o[QStringLiteral("tensors")][0][QStringLiteral("dtype")].toString(), QStringLiteral("Q4_K"));
    }

    // A GGUF whose embedding is a type vqscope cannot decode (here iq2_xxs): the tensors are still
    // listed, and the error names the tensor, the type and the readable types.
    void unreadableTypeStillListed()
    {
        QFile source(QString::fromStdString(vqtest::dataPath("ggml/table-q4_k.gguf")));
        QVERIFY(source.open(QIODevice::ReadOnly));
        QByteArray bytes = source.readAll();
        // The tensor info: name, 2 dims (256, 128), then the ggml type id (12, q4_K) to replace by 16.
        const QByteArray info = QByteArray("token_embd.weight") + QByteArray("\x02\x00\x00\x00", 4);
        const qsizetype at = bytes.indexOf(info);
        QVERIFY(at > 0);
        const qsizetype type = at + info.size() + 16;
        QCOMPARE(bytes.mid(type, 4), QByteArray("\x0c\x00\x00\x00", 4));
        bytes.replace(type, 4, QByteArray("\x10\x00\x00\x00", 4));
        const QString path = m_dir.filePath(QStringLiteral("iq2.gguf"));
        QFile out(path);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(bytes);
        out.close();

        const auto text = vqtest::runCli({ QStringLiteral("inspect"), path });
        QCOMPARE(text.exitCode, 1);
        QVERIFY2(QString::fromUtf8(text.out).contains(QStringLiteral("token_embd.weight  iq2_xxs  128 x 256")),
            text.out.constData());
        const QString err = QString::fromUtf8(text.err);
        QVERIFY2(err.contains(path), text.err.constData());
        QVERIFY2(err.contains(QStringLiteral("'token_embd.weight' is iq2_xxs")), text.err.constData());
        QVERIFY2(err.contains(QStringLiteral("readable ggml types: f32, f16")), text.err.constData());

        const auto json = vqtest::runCli({ QStringLiteral("inspect"), path, QStringLiteral("--json") });
        QCOMPARE(json.exitCode, 1);
        const QJsonObject o = QJsonDocument::fromJson(json.out).object();
        QCOMPARE(o[QStringLiteral("tensors")][0][QStringLiteral("storedDtype")].toString(), QStringLiteral("iq2_xxs"));
        QVERIFY(o[QStringLiteral("error")].toString().contains(QStringLiteral("iq2_xxs")));
    }

    void failures_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("stderrStart");
        const QString bad = m_dir.filePath(QStringLiteral("bad.npy"));
        const QString text = m_dir.filePath(QStringLiteral("notes.txt"));
        const QString missing = m_dir.filePath(QStringLiteral("missing.npy"));
        QTest::newRow("missing file") << QStringList { QStringLiteral("inspect"), missing } << 1
                                      << QStringLiteral("vqscope-cli: ") + missing + QStringLiteral(": no such file");
        QTest::newRow("damaged npy") << QStringList { QStringLiteral("inspect"), bad, QStringLiteral("--json") } << 1
                                     << QStringLiteral("vqscope-cli: ") + bad + QStringLiteral(": ");
        QTest::newRow("unrecognised") << QStringList { QStringLiteral("inspect"), text } << 1
                                      << QStringLiteral("vqscope-cli: ") + text
                + QStringLiteral(": not a recognised checkpoint format");
        QTest::newRow("wrong tensor") << QStringList {
            QStringLiteral("inspect"), vqtest::cliSample(), QStringLiteral("--tensor"), QStringLiteral("wte")
        } << 1 << QStringLiteral("vqscope-cli: ") + vqtest::cliSample() + QStringLiteral(": no tensor named 'wte'");
        QTest::newRow("no file") << QStringList { QStringLiteral("inspect") } << 2
                                 << QStringLiteral("vqscope-cli inspect: missing FILE");
        QTest::newRow("two files") << QStringList { QStringLiteral("inspect"), vqtest::cliSample(),
            vqtest::cliSample() } << 2
                                   << QStringLiteral("vqscope-cli inspect: unexpected argument");
        QTest::newRow("unknown option") << QStringList { QStringLiteral("inspect"), vqtest::cliSample(),
            QStringLiteral("--fast") } << 2
                                        << QStringLiteral("vqscope-cli inspect: unknown option '--fast'");
        QTest::newRow("value missing") << QStringList { QStringLiteral("inspect"), vqtest::cliSample(),
            QStringLiteral("--tensor") }
                                       << 2 << QStringLiteral("vqscope-cli inspect: option '--tensor' needs a value");
        QTest::newRow("flag with value") << QStringList { QStringLiteral("inspect"), vqtest::cliSample(),
            QStringLiteral("--json=1") } << 2
                                         << QStringLiteral("vqscope-cli inspect: option '--json' takes no value");
        QTest::newRow("unknown command") << QStringList { QStringLiteral("squash") } << 2
                                         << QStringLiteral("vqscope-cli: unknown command 'squash'");
        QTest::newRow("no command") << QStringList {} << 2 << QStringLiteral("Usage: vqscope-cli COMMAND");
    }
    void failures()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, stderrStart);
        QFile bad(m_dir.filePath(QStringLiteral("bad.npy")));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("\x93NUMPY\x01\x00\x40\x00{'descr': '<f4'", 26);
        bad.close();
        QFile text(m_dir.filePath(QStringLiteral("notes.txt")));
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("just some notes\n");
        text.close();
        const auto r = vqtest::runCli(args);
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY(r.out.isEmpty());
        const QString err = QString::fromUtf8(r.err);
        if (!err.startsWith(stderrStart))
            QFAIL(qPrintable(err));
    }

    void helpAndVersion()
    {
        const auto help = vqtest::runCli({ QStringLiteral("inspect"), QStringLiteral("--help") });
        QCOMPARE(help.exitCode, 0);
        const QString text = QString::fromUtf8(help.out);
        QVERIFY(
            text.startsWith(QStringLiteral("Usage: vqscope-cli inspect FILE [--tensor NAME] [--vocab FILE] [--json]")));
        QVERIFY(text.contains(QStringLiteral("130  cancelled by SIGINT")));
        const auto global = vqtest::runCli({ QStringLiteral("--help") });
        QCOMPARE(global.exitCode, 0);
        QVERIFY(QString::fromUtf8(global.out).contains(QStringLiteral("  inspect ")));
        const auto version = vqtest::runCli({ QStringLiteral("--version") });
        QCOMPARE(version.exitCode, 0);
        QVERIFY(version.out.startsWith("vqscope-cli 0."));
    }
};

QTEST_GUILESS_MAIN(TestCliInspect)
#include "tst_cli_inspect.moc"
