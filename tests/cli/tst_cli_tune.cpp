// vqscope-cli tune: the table it prints, the search it writes, the winner's spec that quantize takes,
// and its refusals.
#include "clichecks.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

class TestCliTune : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

    QString out(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }

private slots:
    void searchAndRunTheWinner()
    {
        const auto r = vqtest::runCli({ QStringLiteral("tune"), vqtest::cliSample(), QStringLiteral("--rows=2000"),
            QStringLiteral("--methods=pq,grvq"), QStringLiteral("--bits=2.05"), QStringLiteral("--first-rows=256"),
            QStringLiteral("--final-rows=768"), QStringLiteral("--per-method=3"), QStringLiteral("--keep=2"),
            QStringLiteral("--threads=2"), QStringLiteral("--out"), out("search.json"), QStringLiteral("--best-spec"),
            out("best.json") });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("within 2.05 bits/param; "), r.out.constData());
        QVERIFY2(r.out.contains(" candidates on 256, 768 rows"), r.out.constData());
        QVERIFY(r.out.contains("rank   bits/param"));
        QVERIFY(r.out.contains("1*"));
        QVERIFY(r.out.contains("(relMSE on 768 sampled rows"));

        QFile f(out("search.json"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto j = nlohmann::json::parse(f.readAll().toStdString());
        // At most 3 per method; with 256 first rows the codebooks searched have at most 16 codewords.
        QVERIFY(j.at("candidates").size() >= 2 && j.at("candidates").size() <= 6);
        for (const auto& c : j.at("candidates"))
            QVERIFY(c.at("spec").at("params").value("bits", c.at("spec").at("params").value("kappa", 0)) <= 4);
        QCOMPARE(j.at("best").size(), size_t(2));
        QVERIFY(j.at("sampleRows") == nlohmann::json({ 256, 768 }));
        QCOMPARE(j.at("rows").get<int64_t>(), int64_t(2000));
        const auto& winner = j.at("best").at(0);
        QVERIFY(winner.at("bitsPerParam").get<double>() <= 2.05);
        QVERIFY(winner.at("pareto").get<bool>());
        QCOMPARE(winner.at("trials").back().at("rows").get<int64_t>(), int64_t(768));

        // The winner's spec file runs as it is.
        QFile spec(out("best.json"));
        QVERIFY(spec.open(QIODevice::ReadOnly));
        QVERIFY(nlohmann::json::parse(spec.readAll().toStdString()) == winner.at("spec"));
        const auto q = vqtest::runCli({ QStringLiteral("quantize"), vqtest::cliSample(), QStringLiteral("--rows=2000"),
            QStringLiteral("--config"), out("best.json"), QStringLiteral("--recall-queries=0"),
            QStringLiteral("--threads=2") });
        QVERIFY2(q.exitCode == 0, q.err.constData());
    }

    void refusals_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        QTest::newRow("eta 1") << QStringList { QStringLiteral("--eta=1") } << 2 << QStringLiteral("'--eta'");
        QTest::newRow("no such method") << QStringList { QStringLiteral("--methods=pq,nope") } << 2
                                        << QStringLiteral("nope");
        QTest::newRow("final below first")
            << QStringList { QStringLiteral("--first-rows=512"), QStringLiteral("--final-rows=100") } << 2
            << QStringLiteral("smaller than the first");
        QTest::newRow("budget too small")
            << QStringList { QStringLiteral("--bits=0.01") } << 1 << QStringLiteral("costs at most 0.01 bits/param");
        QTest::newRow("not a number") << QStringList { QStringLiteral("--bits=two") } << 2
                                      << QStringLiteral("'--bits' needs a number");
    }
    void refusals()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        const auto r = vqtest::runCli(
            QStringList { QStringLiteral("tune"), vqtest::cliSample(), QStringLiteral("--rows=500") } + args);
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestCliTune)
#include "tst_cli_tune.moc"
