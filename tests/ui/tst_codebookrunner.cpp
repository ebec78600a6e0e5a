// CodebookRunner: results arrive for the latest request of each kind only, repeated requests come from
// the cache (the same shared result), a table that is not the run's is not used, failures are reported,
// and destroying the runner with a job in flight stops it.
#include "runners/codebookrunner.h"

#include "explorerruns.h"

#include <QSignalSpy>
#include <QTest>

using namespace vq;

class TestCodebookRunner : public QObject {
    Q_OBJECT

private slots:
    void latestRequestWins()
    {
        CodebookRunner runner;
        QSignalSpy maps(&runner, &CodebookRunner::mapReady);
        QSignalSpy busy(&runner, &CodebookRunner::busyChanged);
        const auto run = vqtest::explorerRecord("grvq");
        const quint64 first = runner.requestMap(run, vqtest::explorerEmbedding(), 0, 0, 0);
        const quint64 second = runner.requestMap(run, vqtest::explorerEmbedding(), 0, 1, 2);
        QVERIFY(second > first);
        QVERIFY(runner.isBusy());
        QVERIFY(vqtest::waitFor(maps));
        QTest::qWait(200); // the superseded job would have arrived by now
        QCOMPARE(maps.count(), 1);
        QCOMPARE(maps.at(0).at(0).value<quint64>(), second);
        const auto map = maps.at(0).at(1).value<std::shared_ptr<const CodewordMapResult>>();
        QCOMPARE(map->stage, 1);
        QCOMPARE(map->group, 2);
        QCOMPARE(map->map.sampleRows.size(), size_t(vqtest::kExplorerRows)); // every use: fewer than the sample size
        QVERIFY(!runner.isBusy());
        QCOMPARE(busy.count(), 2);

        // Asked again: the cached result, the same object.
        const quint64 third = runner.requestMap(run, vqtest::explorerEmbedding(), 0, 1, 2);
        QVERIFY(vqtest::waitFor(maps, 2));
        QCOMPARE(maps.at(1).at(0).value<quint64>(), third);
        QCOMPARE(maps.at(1).at(1).value<std::shared_ptr<const CodewordMapResult>>(), map);
        // Another record (even with the same content) is another run: computed anew.
        runner.requestMap(std::make_shared<RunRecord>(*run), vqtest::explorerEmbedding(), 0, 1, 2);
        QVERIFY(vqtest::waitFor(maps, 3));
        QVERIFY(maps.at(2).at(1).value<std::shared_ptr<const CodewordMapResult>>() != map);
        // All groups of a shared codebook: 9600 uses, a sample of 2000 drawn.
        runner.requestMap(vqtest::explorerRecord("aqlm"), vqtest::explorerEmbedding(), 0, 1, -1);
        QVERIFY(vqtest::waitFor(maps, 4));
        QCOMPARE(maps.at(3).at(1).value<std::shared_ptr<const CodewordMapResult>>()->map.sampleRows.size(),
            size_t(CodebookRunner::kSampleUses));
    }

    void otherTableIsNotUsed()
    {
        auto other = std::make_shared<EmbeddingTable>(*vqtest::explorerEmbedding());
        other->values.values[0] += 1;
        other->source.checksum = tableChecksum(other->values);
        const auto run = vqtest::explorerRecord("pq");
        QVERIFY(!CodebookRunner::matchingTable(*run, other));
        QCOMPARE(CodebookRunner::matchingTable(*run, vqtest::explorerEmbedding()), vqtest::explorerEmbedding());
        CodebookRunner runner;
        QSignalSpy maps(&runner, &CodebookRunner::mapReady);
        QSignalSpy failed(&runner, &CodebookRunner::failed);
        runner.requestMap(run, other, 0, 0, 1);
        QVERIFY(vqtest::waitFor(maps));
        QVERIFY(maps.at(0).at(1).value<std::shared_ptr<const CodewordMapResult>>()->map.sampleRows.empty());
        // A path needs the run's own table.
        const quint64 path = runner.requestPath(run, other, qint64(5));
        QVERIFY(vqtest::waitFor(failed));
        QCOMPARE(failed.at(0).at(0).value<quint64>(), path);
        QVERIFY(failed.at(0).at(1).toString().contains(QStringLiteral("not loaded")));
    }

    void pathThenNeighbours()
    {
        CodebookRunner runner;
        QSignalSpy paths(&runner, &CodebookRunner::pathReady);
        QSignalSpy neighbours(&runner, &CodebookRunner::neighboursReady);
        const auto run = vqtest::explorerRecord("carvq");
        const quint64 job = runner.requestPath(run, vqtest::explorerEmbedding(), QStringLiteral("the"));
        QVERIFY(vqtest::waitFor(neighbours));
        QCOMPARE(paths.count(), 1);
        QCOMPARE(paths.at(0).at(0).value<quint64>(), job);
        const auto p = paths.at(0).at(1).value<std::shared_ptr<const TokenPathResult>>();
        QCOMPARE(p->path.row, int64_t(0));
        QCOMPARE(p->path.steps.front().label, std::string("adaptor"));
        const auto n = neighbours.at(0).at(1).value<std::shared_ptr<const TokenNeighboursResult>>();
        QCOMPARE(n->neighbours.k, CodebookRunner::kNeighbours);
        // Cached: both signals again, the same objects.
        runner.requestPath(run, vqtest::explorerEmbedding(), QStringLiteral("the"));
        QVERIFY(vqtest::waitFor(neighbours, 2));
        QCOMPARE(paths.at(1).at(1).value<std::shared_ptr<const TokenPathResult>>(), p);
    }

    void failures()
    {
        CodebookRunner runner;
        QSignalSpy failed(&runner, &CodebookRunner::failed);
        auto imported = std::make_shared<RunRecord>(*vqtest::explorerRecord("pq"));
        imported->table.reset();
        runner.requestMap(imported, nullptr, 0, 0, 0);
        QVERIFY(vqtest::waitFor(failed));
        QVERIFY(failed.at(0).at(1).toString().contains(QStringLiteral("not in memory")));
        runner.requestMembers(vqtest::explorerRecord("pq"), 0, 0, 0, 99);
        QVERIFY(vqtest::waitFor(failed, 2));
        QVERIFY(failed.at(1).at(1).toString().contains(QStringLiteral("outside a codebook")));
        // Alignment of codebooks of different widths (pq d4 against a 32-wide row of nothing: rtn).
        runner.requestAlignment(vqtest::explorerRecord("grvq"), imported, 0, 0, 0);
        QVERIFY(vqtest::waitFor(failed, 3));
    }

    void destroyedWhileWorking()
    {
        auto runner = std::make_unique<CodebookRunner>();
        runner->requestPath(vqtest::explorerRecord("aqlm"), vqtest::explorerEmbedding(), qint64(9));
        runner->requestAlignment(vqtest::explorerRecord("pq"), vqtest::explorerRecord("pq-shared"), 0, 0, 0);
        runner.reset(); // cancels and waits; nothing is delivered to a dead object
        QTest::qWait(100);
    }
};

QTEST_GUILESS_MAIN(TestCodebookRunner)
#include "tst_codebookrunner.moc"
