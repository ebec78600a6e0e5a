// Replays every input kept in tests/data/regressions/<parser>/ through the parser the fuzz targets drive
// (tests/fuzz/fuzzparsers.h), exactly as it was found: inputs a fuzzer found (crash-*, timeout-*,
// oom-*) must now parse or be refused without crashing; crafted ones (refuse-*) must be refused.
#include "fuzzparsers.h"
#include "testutil.h"

#include <algorithm>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTest>

class TestFuzzRegressions : public QObject {
    Q_OBJECT
private slots:
    void replay_data()
    {
        QTest::addColumn<QString>("parser");
        QTest::addColumn<QString>("file");
        const QDir root(QString::fromStdString(vqtest::dataPath("regressions")));
        for (const QString& parser : root.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            const QDir dir(root.filePath(parser));
            for (const QString& name : dir.entryList(QDir::Files))
                QTest::newRow(qPrintable(parser + QLatin1Char('/') + name)) << parser << dir.filePath(name);
        }
    }
    void replay()
    {
        QFETCH(QString, parser);
        QFETCH(QString, file);
        const auto& names = vqfuzz::parserNames();
        QVERIFY2(std::find(names.begin(), names.end(), parser.toStdString()) != names.end(),
            qPrintable(QStringLiteral("no fuzz target named ") + parser));
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        const bool parsed = vqfuzz::parseBytes(
            parser.toStdString(), reinterpret_cast<const uint8_t*>(bytes.constData()), size_t(bytes.size()));
        if (QFileInfo(file).fileName().startsWith(QStringLiteral("refuse-")))
            QVERIFY2(!parsed, qPrintable(file + QStringLiteral(" was accepted")));
    }
    // A moved or renamed folder would make the replay above vacuous.
    void keptInputsAreFound()
    {
        const QDir root(QString::fromStdString(vqtest::dataPath("regressions")));
        qsizetype files = 0;
        for (const QString& parser : root.entryList(QDir::Dirs | QDir::NoDotAndDotDot))
            files += QDir(root.filePath(parser)).entryList(QDir::Files).size();
        QVERIFY(files >= 7);
    }
};

QTEST_GUILESS_MAIN(TestFuzzRegressions)
#include "tst_fuzzregressions.moc"
