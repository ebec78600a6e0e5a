#include "clichecks.h"

#include "explore/codewordmap.h"
#include "explore/tokenpath.h"
#include "export/artifact.h"
#include "metrics/reconstructionmetrics.h"
#include "quantchecks.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

namespace {

QJsonObject object(const QByteArray& json)
{
    return QJsonDocument::fromJson(json).object();
}

// Fits spec on the first 1200 rows of the sample through the CLI and returns the artifact's path.
QString quantize(const QTemporaryDir& dir, const QString& name, const QStringList& params)
{
    const QString artifact = dir.filePath(name + QStringLiteral(".vq.h5"));
    QStringList args { QStringLiteral("quantize"), vqtest::cliSample(), QStringLiteral("--rows=1200"),
        QStringLiteral("--recall-queries=0"), QStringLiteral("--artifact"), artifact, QStringLiteral("--out"),
        dir.filePath(name + QStringLiteral(".json")) };
    args += params;
    const auto r = vqtest::runCli(args);
    if (r.exitCode != 0)
        qWarning("%s", r.err.constData());
    return r.exitCode == 0 ? artifact : QString();
}

} // namespace

class TestCliCodebook : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private slots:
    // The CLI's numbers are the core's, computed here from the same artifact and table.
    void sameNumbersAsTheCore_data()
    {
        QTest::addColumn<QStringList>("params");
        QTest::addColumn<int>("stage");
        QTest::addColumn<int>("group");
        QTest::newRow("grvq stage 2 group 3") << QStringList { QStringLiteral("--method=grvq"),
            QStringLiteral("--param=h=4"), QStringLiteral("--param=R=2"), QStringLiteral("--param=kappa=4") }
                                              << 1 << 3;
        QTest::newRow("aqlm codebook 1, all groups")
            << QStringList { QStringLiteral("--method=aqlm"), QStringLiteral("--param=M=2"),
                   QStringLiteral("--param=B=5"), QStringLiteral("--param=g=4"), QStringLiteral("--param=maxRounds=1") }
            << 0 << -1;
    }
    void sameNumbersAsTheCore()
    {
        QFETCH(QStringList, params);
        QFETCH(int, stage);
        QFETCH(int, group);
        const QString artifact
            = quantize(m_dir, QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'-'), params);
        QVERIFY(!artifact.isEmpty());
        const auto r
            = vqtest::runCli({ QStringLiteral("codebook"), artifact, QStringLiteral("--table"), vqtest::cliSample(),
                QStringLiteral("--stage"), QString::number(stage), QStringLiteral("--group"), QString::number(group),
                QStringLiteral("--samples=50"), QStringLiteral("--token=the"), QStringLiteral("--json") });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject out = object(r.out);
        const QJsonObject map = out[QStringLiteral("map")].toObject();

        const vq::ArtifactContents a = vq::readArtifact(artifact.toStdString());
        const vq::Matrix table = vqtest::readNpySlice(vqtest::cliSample().toStdString(), 1200);
        const vq::ReconstructionMetrics errors
            = vq::computeReconstructionMetrics(table, a.table.decodeAll(), {}, vq::nullRunControl());
        vq::CodewordMapOptions o;
        o.sampleUses = 50;
        o.seed = 0x5eed;
        o.rowError = errors.tokenRelError;
        const vq::CodewordMap expected
            = vq::computeCodewordMap(a.table, &table, 0, stage, group, o, vq::nullRunControl());

        QCOMPARE(map[QStringLiteral("stage")].toInt(), stage);
        QCOMPARE(map[QStringLiteral("group")].toInt(), group);
        QCOMPARE(map[QStringLiteral("deadCodes")].toInteger(), expected.stats.deadCodes);
        const QJsonArray codes = map[QStringLiteral("codes")].toArray();
        QCOMPARE(codes.size(), qsizetype(expected.stats.codewords));
        for (qsizetype c = 0; c < codes.size(); ++c) {
            const QJsonObject code = codes[c].toObject();
            const auto i = size_t(c);
            QCOMPARE(code[QStringLiteral("usage")].toInteger(), expected.stats.usage[i]);
            QCOMPARE(code[QStringLiteral("x")].toDouble(), double(expected.xy[i * 2]));
            QCOMPARE(code[QStringLiteral("y")].toDouble(), double(expected.xy[i * 2 + 1]));
            if (expected.stats.usage[i] > 0)
                QCOMPARE(code[QStringLiteral("meanError")].toDouble(), expected.stats.meanError[i]);
            const QJsonArray top = code[QStringLiteral("topTokens")].toArray();
            for (qsizetype t = 0; t < top.size(); ++t)
                QCOMPARE(top[t][QStringLiteral("row")].toInteger(), expected.stats.topRows[i * 5 + size_t(t)]);
        }
        QCOMPARE(map[QStringLiteral("samples")].toArray().size(), qsizetype(50));
        // "the" is row 0 of the sample: its path and neighbours.
        const QJsonObject path = out[QStringLiteral("path")].toObject();
        QCOMPARE(path[QStringLiteral("row")].toInt(), 0);
        QCOMPARE(path[QStringLiteral("token")].toString(), QStringLiteral("the"));
        const vq::TokenPath p = vq::computeTokenPath(a.table, table, 0);
        const QJsonArray steps = path[QStringLiteral("steps")].toArray();
        QCOMPARE(steps.size(), qsizetype(p.steps.size()));
        for (qsizetype s = 0; s < steps.size(); ++s)
            QCOMPARE(steps[s][QStringLiteral("residualNorm")].toDouble(), p.steps[size_t(s)].residualNorm);
        const vq::TokenNeighbours n = vq::computeTokenNeighbours(a.table, table, 0, 10, vq::nullRunControl());
        QCOMPARE(out[QStringLiteral("neighbours")][QStringLiteral("lost")].toArray().size(), qsizetype(n.lost.size()));
        QCOMPARE(out[QStringLiteral("neighbours")][QStringLiteral("original")][0][QStringLiteral("row")].toInteger(),
            n.original[0]);

        // The text form lists the same codebook.
        const auto text
            = vqtest::runCli({ QStringLiteral("codebook"), artifact, QStringLiteral("--table"), vqtest::cliSample(),
                QStringLiteral("--stage"), QString::number(stage), QStringLiteral("--group"), QString::number(group) });
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(text.out.contains("codebook of 'codes', stage " + QByteArray::number(stage + 1) + " (--stage "
                     + QByteArray::number(stage) + ")"),
            text.out.left(200).constData());
        QVERIFY(text.out.contains("top tokens"));
    }

    void refusals()
    {
        const QString grvq = quantize(m_dir, QStringLiteral("small"),
            { QStringLiteral("--method=grvq"), QStringLiteral("--param=h=4"), QStringLiteral("--param=R=2"),
                QStringLiteral("--param=kappa=3") });
        QVERIFY(!grvq.isEmpty());
        const QString rtn = quantize(m_dir, QStringLiteral("rtn"),
            { QStringLiteral("--method=rtn"), QStringLiteral("--param=bits=4"), QStringLiteral("--param=group=0") });
        QVERIFY(!rtn.isEmpty());
        const auto noTable = vqtest::runCli({ QStringLiteral("codebook"), grvq });
        QCOMPARE(noTable.exitCode, 2);
        QVERIFY(noTable.err.contains("--table"));
        const auto badStage = vqtest::runCli({ QStringLiteral("codebook"), grvq, QStringLiteral("--table"),
            vqtest::cliSample(), QStringLiteral("--stage=2") });
        QCOMPARE(badStage.exitCode, 2);
        QVERIFY(badStage.err.contains("--stage"));
        // Per-position codebooks cannot be pooled over groups.
        const auto pooled = vqtest::runCli({ QStringLiteral("codebook"), grvq, QStringLiteral("--table"),
            vqtest::cliSample(), QStringLiteral("--group=-1") });
        QCOMPARE(pooled.exitCode, 1);
        QVERIFY(pooled.err.contains("different codebooks"));
        const auto scalar
            = vqtest::runCli({ QStringLiteral("codebook"), rtn, QStringLiteral("--table"), vqtest::cliSample() });
        QCOMPARE(scalar.exitCode, 1);
        QVERIFY(scalar.err.contains("no codebooks"));
        const auto noToken = vqtest::runCli({ QStringLiteral("codebook"), grvq, QStringLiteral("--table"),
            vqtest::cliSample(), QStringLiteral("--token=zzzznotaword") });
        QCOMPARE(noToken.exitCode, 1);
        QVERIFY(noToken.err.contains("no token matches"));
        const auto missing = vqtest::runCli({ QStringLiteral("codebook"), m_dir.filePath(QStringLiteral("none.vq.h5")),
            QStringLiteral("--table"), vqtest::cliSample() });
        QCOMPARE(missing.exitCode, 1);
        QVERIFY(missing.err.contains("none.vq.h5"));
    }
};

QTEST_GUILESS_MAIN(TestCliCodebook)
#include "tst_cli_codebook.moc"
