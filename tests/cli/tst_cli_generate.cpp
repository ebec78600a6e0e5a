// vqscope-cli generate: writes a table the other commands read, the same seed gives the same file,
// and bad arguments are usage errors.
#include "clichecks.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

namespace {

QByteArray digest(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

} // namespace

class TestCliGenerate : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private slots:
    void writesATableInspectReads()
    {
        const QString out = m_dir.filePath(QStringLiteral("synth.safetensors"));
        const auto r = vqtest::runCli({ QStringLiteral("generate"), QStringLiteral("--rows"), QStringLiteral("500"),
            QStringLiteral("--dim"), QStringLiteral("64"), QStringLiteral("--seed"), QStringLiteral("3"),
            QStringLiteral("--dtype"), QStringLiteral("bf16"), QStringLiteral("--out"), out });
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.err.contains("wrote"), r.err.constData());
        // 500 x 64 bf16 plus the header.
        QVERIFY(QFile(out).size() > 500 * 64 * 2);
        QVERIFY(QFile(out).size() < 500 * 64 * 2 + 1024);

        const auto inspect = vqtest::runCli({ QStringLiteral("inspect"), out, QStringLiteral("--json") });
        QCOMPARE(inspect.exitCode, 0);
        const QJsonObject e = QJsonDocument::fromJson(inspect.out).object()[QStringLiteral("embedding")].toObject();
        QCOMPARE(e[QStringLiteral("tensor")].toString(), QStringLiteral("model.embed_tokens.weight"));
        QCOMPARE(e[QStringLiteral("rows")].toInt(), 500);
        QCOMPARE(e[QStringLiteral("dim")].toInt(), 64);

        // Same arguments, same bytes; another seed, other values.
        const QString again = m_dir.filePath(QStringLiteral("again.safetensors"));
        const QString other = m_dir.filePath(QStringLiteral("other.safetensors"));
        for (const auto& [path, seed] :
            { std::pair { again, QStringLiteral("3") }, std::pair { other, QStringLiteral("4") } })
            QCOMPARE(
                vqtest::runCli({ QStringLiteral("generate"), QStringLiteral("--rows"), QStringLiteral("500"),
                                   QStringLiteral("--dim"), QStringLiteral("64"), QStringLiteral("--seed"), seed,
                                   QStringLiteral("--dtype"), QStringLiteral("bf16"), QStringLiteral("--out"), path })
                    .exitCode,
                0);
        QCOMPARE(digest(again), digest(out));
        QVERIFY(digest(other) != digest(out));
    }

    void errors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("needle");
        const QString out = QStringLiteral("x.npy");
        QTest::newRow("no out") << QStringList { QStringLiteral("--rows"), QStringLiteral("4"), QStringLiteral("--dim"),
            QStringLiteral("4") }
                                << 2 << QStringLiteral("missing --out");
        QTest::newRow("no dim") << QStringList { QStringLiteral("--rows"), QStringLiteral("4"), QStringLiteral("--out"),
            out } << 2 << QStringLiteral("--dim");
        QTest::newRow("zero rows") << QStringList { QStringLiteral("--rows"), QStringLiteral("0"),
            QStringLiteral("--dim"), QStringLiteral("4"), QStringLiteral("--out"), out }
                                   << 2 << QStringLiteral("'--rows'");
        QTest::newRow("bad dtype") << QStringList { QStringLiteral("--rows"), QStringLiteral("4"),
            QStringLiteral("--dim"), QStringLiteral("4"), QStringLiteral("--dtype"), QStringLiteral("f8"),
            QStringLiteral("--out"), out }
                                   << 2 << QStringLiteral("'--dtype': .npy holds f32, f16, not 'f8'");
        QTest::newRow("too large") << QStringList { QStringLiteral("--rows"), QStringLiteral("1000000"),
            QStringLiteral("--dim"), QStringLiteral("100000"), QStringLiteral("--out"), out }
                                   << 1 << QStringLiteral("at most 1073741824");
        QTest::newRow("npy bf16") << QStringList { QStringLiteral("--rows"), QStringLiteral("4"),
            QStringLiteral("--dim"), QStringLiteral("4"), QStringLiteral("--dtype"), QStringLiteral("bf16"),
            QStringLiteral("--out"), out }
                                  << 2 << QStringLiteral(".npy holds f32, f16, not 'bf16'");
        QTest::newRow("gguf") << QStringList { QStringLiteral("--rows"), QStringLiteral("4"), QStringLiteral("--dim"),
            QStringLiteral("4"), QStringLiteral("--out"), m_dir.filePath(QStringLiteral("x.gguf")) }
                              << 2 << QStringLiteral("written as .npy or .safetensors");
    }
    void errors()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, needle);
        QStringList full { QStringLiteral("generate") };
        for (const QString& a : args)
            full << (a == QStringLiteral("x.npy") ? m_dir.filePath(a) : a);
        const auto r = vqtest::runCli(full);
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY2(QString::fromUtf8(r.err).contains(needle), r.err.constData());
        QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("x.npy"))));
    }
};

QTEST_GUILESS_MAIN(TestCliGenerate)
#include "tst_cli_generate.moc"
