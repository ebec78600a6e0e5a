#include "common/error.h"
#include "run/sweep.h"

#include <QTemporaryDir>
#include <QTest>

#include <fstream>
#include <set>

namespace {

nlohmann::json parse(const QString& text)
{
    return nlohmann::json::parse(text.toStdString());
}

vq::RunRecord record(const vq::QuantSpec& spec, vq::RunStatus status, const std::string& checksum = "xxh64:1")
{
    vq::RunRecord r;
    r.spec = spec;
    r.status = status;
    r.provenance.checksum = checksum;
    r.provenance.rows = 10;
    r.provenance.dim = 4;
    r.provenance.tokenWeights = "uniform";
    r.id = vq::makeRunId(spec, r.provenance);
    r.bits.rows = 10;
    r.bits.dim = 4;
    return r;
}

} // namespace

class TestSweep : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private slots:
    void expansion_data()
    {
        QTest::addColumn<QString>("grid");
        QTest::addColumn<int>("count");
        QTest::addColumn<QString>("first");
        QTest::addColumn<QString>("second");
        QTest::addColumn<QString>("last");
        QTest::newRow("two axes") << QStringLiteral(
            R"({"method": "rtn", "params": {"mode": "asym"}, "grid": {"group": [32, 64], "bits": [2, 3, 4]}})")
                                  << 6 << QStringLiteral(R"({"bits": 2, "group": 32, "mode": "asym"})")
                                  << QStringLiteral(R"({"bits": 2, "group": 64, "mode": "asym"})")
                                  << QStringLiteral(R"({"bits": 4, "group": 64, "mode": "asym"})");
        QTest::newRow("one axis") << QStringLiteral(R"({"method": "pq", "grid": {"d": [2, 4, 5, 10]}})") << 4
                                  << QStringLiteral(R"({"d": 2})") << QStringLiteral(R"({"d": 4})")
                                  << QStringLiteral(R"({"d": 10})");
        QTest::newRow("no grid") << QStringLiteral(R"({"method": "q8_0"})") << 1 << QStringLiteral("{}") << QString()
                                 << QStringLiteral("{}");
        QTest::newRow("three axes") << QStringLiteral(
            R"({"method": "grvq", "grid": {"h": [4, 5], "R": [1, 2, 3], "kappa": [2, 4]}})")
                                    << 12 << QStringLiteral(R"({"R": 1, "h": 4, "kappa": 2})")
                                    << QStringLiteral(R"({"R": 1, "h": 4, "kappa": 4})")
                                    << QStringLiteral(R"({"R": 3, "h": 5, "kappa": 4})");
    }

    void expansion()
    {
        QFETCH(QString, grid);
        QFETCH(int, count);
        QFETCH(QString, first);
        QFETCH(QString, second);
        QFETCH(QString, last);
        const vq::SweepGrid g = vq::SweepGrid::fromJson(parse(grid));
        const std::vector<vq::QuantSpec> specs = g.expand();
        QCOMPARE(specs.size(), size_t(count));
        QCOMPARE(specs.front().params.dump(), parse(first).dump());
        if (!second.isEmpty())
            QCOMPARE(specs[1].params.dump(), parse(second).dump());
        QCOMPARE(specs.back().params.dump(), parse(last).dump());
        std::set<std::string> distinct;
        for (const vq::QuantSpec& s : specs) {
            QCOMPARE(s.method, g.method);
            distinct.insert(s.params.dump());
        }
        QCOMPARE(distinct.size(), specs.size());
        QVERIFY(vq::SweepGrid::fromJson(parse(grid)).expand() == specs); // stable
    }

    void badGrids_data()
    {
        QTest::addColumn<QString>("grid");
        QTest::addColumn<QString>("expect");
        QTest::newRow("no method") << QStringLiteral(R"({"grid": {"bits": [2]}})") << QStringLiteral("'method'");
        QTest::newRow("not a list") << QStringLiteral(R"({"method": "rtn", "grid": {"bits": 2}})")
                                    << QStringLiteral("'bits'");
        QTest::newRow("empty list") << QStringLiteral(R"({"method": "rtn", "grid": {"bits": []}})")
                                    << QStringLiteral("'bits'");
        QTest::newRow("fixed and swept") << QStringLiteral(
            R"({"method": "rtn", "params": {"bits": 3}, "grid": {"bits": [2]}})")
                                         << QStringLiteral("both");
        QTest::newRow("unknown key") << QStringLiteral(R"({"method": "rtn", "grids": {}})")
                                     << QStringLiteral("'grids'");
        QTest::newRow("array") << QStringLiteral("[1]") << QStringLiteral("object");
    }

    void badGrids()
    {
        QFETCH(QString, grid);
        QFETCH(QString, expect);
        try {
            vq::SweepGrid::fromJson(parse(grid));
            QFAIL("accepted");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::InvalidArgument);
            QVERIFY2(std::string(e.what()).find(expect.toStdString()) != std::string::npos, e.what());
        }
    }

    void shardParse_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("index");
        QTest::addColumn<int>("count");
        QTest::newRow("0/1") << QStringLiteral("0/1") << 0 << 1;
        QTest::newRow("3/4") << QStringLiteral("3/4") << 3 << 4;
        QTest::newRow("4/4") << QStringLiteral("4/4") << -1 << 0;
        QTest::newRow("-1/4") << QStringLiteral("-1/4") << -1 << 0;
        QTest::newRow("1/0") << QStringLiteral("1/0") << -1 << 0;
        QTest::newRow("no slash") << QStringLiteral("3") << -1 << 0;
        QTest::newRow("text") << QStringLiteral("a/b") << -1 << 0;
        QTest::newRow("trailing") << QStringLiteral("1/4x") << -1 << 0;
    }

    void shardParse()
    {
        QFETCH(QString, text);
        QFETCH(int, index);
        QFETCH(int, count);
        if (index < 0) {
            QVERIFY_THROWS_EXCEPTION(vq::Error, vq::Shard::parse(text.toStdString()));
            return;
        }
        const vq::Shard s = vq::Shard::parse(text.toStdString());
        QCOMPARE(s.index, index);
        QCOMPARE(s.count, count);
    }

    void shardsCoverEveryCombinationOnce()
    {
        const std::vector<vq::QuantSpec> all = vq::SweepGrid::fromJson(
            parse(QStringLiteral(R"({"method": "grvq", "grid": {"h": [4, 5], "R": [1, 2, 3], "kappa": [2, 4, 8]}})")))
                                                   .expand();
        QCOMPARE(all.size(), size_t(18));
        for (int n = 1; n <= 7; ++n) {
            std::multiset<std::string> seen;
            for (int i = 0; i < n; ++i) {
                const vq::Shard shard { i, n };
                const std::vector<vq::QuantSpec> part = shard.select(all);
                // Interleaved: sizes differ by one at most.
                QVERIFY(part.size() == all.size() / size_t(n) || part.size() == all.size() / size_t(n) + 1);
                for (const vq::QuantSpec& s : part)
                    seen.insert(s.toJson().dump());
            }
            QCOMPARE(seen.size(), all.size());
            for (const vq::QuantSpec& s : all)
                QCOMPARE(seen.count(s.toJson().dump()), size_t(1));
        }
        QVERIFY(vq::Shard({ 1, 4 }).select(all)[1] == all[5]);
    }

    void mergeDedupes()
    {
        const vq::QuantSpec a { "rtn", { { "bits", 2 } } };
        const vq::QuantSpec b { "rtn", { { "bits", 3 } } };
        const vq::QuantSpec c { "rtn", { { "bits", 4 } } };
        vq::RunRecord failedB = record(b, vq::RunStatus::Failed);
        failedB.error = "out of memory";
        const std::vector<vq::RunRecord> first = { record(a, vq::RunStatus::Done), failedB };
        vq::RunRecord doneB = record(b, vq::RunStatus::Done);
        doneB.name = "second try";
        vq::RunRecord againA = record(a, vq::RunStatus::Done);
        againA.name = "duplicate";
        const std::vector<vq::RunRecord> second
            = { againA, doneB, record(c, vq::RunStatus::Done), record(a, vq::RunStatus::Done, "xxh64:2") };
        const std::vector<vq::RunRecord> merged = vq::mergeRuns({ first, second });
        QCOMPARE(merged.size(), size_t(4));
        QVERIFY(merged[0].spec == a);
        QCOMPARE(merged[0].name, std::string()); // the first of equal keys wins
        QVERIFY(merged[1].spec == b);
        QCOMPARE(merged[1].status, vq::RunStatus::Done); // a finished run replaces a failed one
        QCOMPARE(merged[1].name, std::string("second try"));
        QVERIFY(merged[2].spec == c);
        QCOMPARE(merged[3].provenance.checksum, std::string("xxh64:2")); // another table is another run
    }

    void readRunLines()
    {
        const std::string path = m_dir.filePath(QStringLiteral("runs.jsonl")).toStdString();
        {
            std::ofstream out(path, std::ios::binary);
            out << record({ "rtn", { { "bits", 2 } } }, vq::RunStatus::Done).toJson().dump() << "\n\n";
            out << record({ "rtn", { { "bits", 3 } } }, vq::RunStatus::Failed).toJson().dump() << "\r\n";
        }
        const std::vector<vq::RunRecord> runs = vq::readRunLines(path);
        QCOMPARE(runs.size(), size_t(2));
        QCOMPARE(runs[1].spec.params["bits"].get<int>(), 3);
        QCOMPARE(runs[1].status, vq::RunStatus::Failed);

        {
            std::ofstream out(path, std::ios::binary | std::ios::app);
            out << "{\"id\": \"cut";
        }
        try {
            vq::readRunLines(path);
            QFAIL("accepted a cut line");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::Malformed);
            QCOMPARE(e.path(), path);
            QVERIFY2(e.message().rfind("line 4:", 0) == 0, e.what());
        }
        try {
            vq::readRunLines(path + ".missing");
            QFAIL("accepted a missing file");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::NotFound);
        }
    }
};

QTEST_GUILESS_MAIN(TestSweep)
#include "tst_sweep.moc"
