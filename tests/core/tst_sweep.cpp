#include "common/error.h"
#include "quant/registry.h"
#include "run/runlineappender.h"
#include "run/sweep.h"

#include <QTemporaryDir>
#include <QTest>

#include <fstream>
#include <set>
#include <sstream>

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

std::string axisKey(int k)
{
    std::string key = "k";
    key.append(std::to_string(k)); // not "k" + to_string: GCC 12 warns falsely (-Wrestrict) on that
    return key;
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
        QCOMPARE(g.count(), uint64_t(count));
        for (uint64_t i = 0; i < g.count(); ++i)
            QVERIFY(g.at(i) == specs[i]);
        QVERIFY_THROWS_EXCEPTION(vq::Error, g.at(g.count()));
    }

    void absurdGridsAreRefusedBeforeExpansion_data()
    {
        QTest::addColumn<int>("keys");
        QTest::addColumn<int>("values");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("12 x 10") << 12 << 10 << false;
        QTest::newRow("64 x 2 (overflows 64 bits)") << 64 << 2 << false;
        QTest::newRow("6 x 10 = the limit") << 6 << 10 << true;
        QTest::newRow("1000000 x 1 + 1 x 2") << 1 << 1000001 << false;
    }

    void absurdGridsAreRefusedBeforeExpansion()
    {
        QFETCH(int, keys);
        QFETCH(int, values);
        QFETCH(bool, accepted);
        nlohmann::json grid = { { "method", "rtn" }, { "grid", nlohmann::json::object() } };
        for (int k = 0; k < keys; ++k) {
            nlohmann::json list = nlohmann::json::array();
            for (int v = 0; v < values; ++v)
                list.push_back(v);
            grid["grid"][axisKey(k)] = std::move(list);
        }
        if (accepted) {
            const vq::SweepGrid g = vq::SweepGrid::fromJson(grid);
            QCOMPARE(g.count(), vq::SweepGrid::kMaxCombinations);
            // The last combination, computed from its index alone: every key at its last value.
            const vq::QuantSpec last = g.at(g.count() - 1);
            for (int k = 0; k < keys; ++k)
                QCOMPARE(last.params[axisKey(k)].get<int>(), values - 1);
            QCOMPARE(g.at(1).params[axisKey(keys - 1)].get<int>(), 1);
            return;
        }
        try {
            vq::SweepGrid::fromJson(grid);
            QFAIL("accepted");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::InvalidArgument);
            QVERIFY2(std::string(e.what()).find("more than 1000000 combinations") != std::string::npos, e.what());
        }
    }

    void validateAgainstTheSchema_data()
    {
        QTest::addColumn<QString>("grid");
        QTest::addColumn<QString>("expect"); // empty: valid
        QTest::newRow("valid") << QStringLiteral(R"({"method": "rtn", "grid": {"bits": [2, 8], "group": [32]}})")
                               << QString();
        QTest::newRow("unknown key") << QStringLiteral(R"({"method": "rtn", "grid": {"bitz": [2, 3]}})")
                                     << QStringLiteral("'bitz'");
        QTest::newRow("out of range") << QStringLiteral(R"({"method": "rtn", "grid": {"bits": [2, 3, 99]}})")
                                      << QStringLiteral("'bits' value 99");
        QTest::newRow("wrong type") << QStringLiteral(R"({"method": "rtn", "grid": {"bits": [2, "x"]}})")
                                    << QStringLiteral("'bits' value \"x\"");
        QTest::newRow("bad fixed") << QStringLiteral(R"({"method": "rtn", "params": {"bits": 1}, "grid": {}})")
                                   << QStringLiteral("'params'");
        // 10^12 combinations would be refused by fromJson; 12 keys of 2 values pass the count and
        // are validated one value at a time.
        QTest::newRow("unknown among many")
            << QStringLiteral(R"({"method": "rtn", "grid": {"bits": [2, 3], "a": [1, 2], "b": [1, 2], "c": [1, 2]}})")
            << QStringLiteral("'a'");
    }

    void validateAgainstTheSchema()
    {
        QFETCH(QString, grid);
        QFETCH(QString, expect);
        const vq::SweepGrid g = vq::SweepGrid::fromJson(parse(grid));
        const vq::ParamSchema& schema = vq::quantizer(g.method).schema();
        if (expect.isEmpty()) {
            g.validate(schema);
            return;
        }
        try {
            g.validate(schema);
            QFAIL("accepted");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::InvalidArgument);
            QVERIFY2(std::string(e.what()).find(expect.toStdString()) != std::string::npos, e.what());
        }
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
        // Streamed selection: size() and position() give the same elements as select().
        for (int n = 1; n <= 20; ++n)
            for (int i = 0; i < n; ++i) {
                const vq::Shard shard { i, n };
                const std::vector<vq::QuantSpec> part = shard.select(all);
                QCOMPARE(shard.size(all.size()), uint64_t(part.size()));
                for (uint64_t k = 0; k < shard.size(all.size()); ++k)
                    QVERIFY(all[shard.position(k)] == part[k]);
            }
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

        // A torn last line (a writer killed mid-line) is skipped with a warning, not fatal.
        {
            std::ofstream out(path, std::ios::binary | std::ios::app);
            out << "{\"id\": \"cut";
        }
        std::vector<std::string> warnings;
        QCOMPARE(vq::readRunLines(path, &warnings).size(), size_t(2));
        QCOMPARE(warnings.size(), size_t(1));
        QVERIFY2(warnings[0] == path + ": line 4: torn line of 11 bytes skipped (its JSON stops before it is complete)",
            warnings[0].c_str());

        // A complete line that is not a run record stays an error naming the line.
        {
            std::ofstream out(path, std::ios::binary | std::ios::trunc);
            out << record({ "rtn", { { "bits", 2 } } }, vq::RunStatus::Done).toJson().dump() << "\n";
            out << "{\"id\": 3} trailing\n";
        }
        try {
            vq::readRunLines(path);
            QFAIL("accepted a malformed line");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::Malformed);
            QCOMPARE(e.path(), path);
            QVERIFY2(e.message().rfind("line 2:", 0) == 0, e.what());
        }
        try {
            vq::readRunLines(path + ".missing");
            QFAIL("accepted a missing file");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::NotFound);
        }
    }

    void appenderKeepsWholeLinesAfterATornOne()
    {
        const std::string path = m_dir.filePath(QStringLiteral("appended.jsonl")).toStdString();
        const std::string a = record({ "rtn", { { "bits", 2 } } }, vq::RunStatus::Done).toJson().dump();
        const std::string b = record({ "rtn", { { "bits", 3 } } }, vq::RunStatus::Done).toJson().dump();
        {
            vq::RunLineAppender out(path);
            out.append(a);
        }
        // A crash mid-line, then a resumed sweep appending to the same file.
        {
            std::ofstream out(path, std::ios::binary | std::ios::app);
            out << b.substr(0, 40);
        }
        {
            vq::RunLineAppender out(path);
            out.append(b);
        }
        std::ifstream in(path, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        QCOMPARE(text.str(), a + "\n" + b.substr(0, 40) + "\n" + b + "\n");
        std::vector<std::string> warnings;
        const std::vector<vq::RunRecord> runs = vq::readRunLines(path, &warnings);
        QCOMPARE(runs.size(), size_t(2));
        QCOMPARE(runs[1].spec.params["bits"].get<int>(), 3);
        QCOMPARE(warnings.size(), size_t(1));
        QVERIFY2(warnings[0].find("line 2: torn line of 40 bytes") != std::string::npos, warnings[0].c_str());

        QVERIFY_THROWS_EXCEPTION(
            vq::Error, vq::RunLineAppender(m_dir.filePath(QStringLiteral("no/such/dir.jsonl")).toStdString()));
    }

    void newLinesAreReadOnlyWhenComplete()
    {
        const std::string path = m_dir.filePath(QStringLiteral("growing.jsonl")).toStdString();
        const std::string a = record({ "rtn", { { "bits", 2 } } }, vq::RunStatus::Done).toJson().dump();
        const std::string b = record({ "rtn", { { "bits", 3 } } }, vq::RunStatus::Done).toJson().dump();
        std::ofstream out(path, std::ios::binary);
        out << a << "\n" << b.substr(0, 30) << std::flush;
        vq::RunLines first = vq::readNewRunLines(path, 0);
        QCOMPARE(first.runs.size(), size_t(1));
        QCOMPARE(first.end, uint64_t(a.size() + 1)); // the unfinished line is left for later
        QVERIFY(first.warnings.empty());
        out << b.substr(30) << "\n" << std::flush;
        vq::RunLines second = vq::readNewRunLines(path, first.end);
        QCOMPARE(second.runs.size(), size_t(1));
        QCOMPARE(second.runs[0].spec.params["bits"].get<int>(), 3);
        QCOMPARE(second.end, uint64_t(a.size() + b.size() + 2));
        QCOMPARE(vq::readNewRunLines(path, second.end).runs.size(), size_t(0));
        // A torn line ended by a resumed writer is skipped with a warning naming its byte offset.
        out << a.substr(0, 10) << "\n" << a << "\n" << std::flush;
        vq::RunLines third = vq::readNewRunLines(path, second.end);
        QCOMPARE(third.runs.size(), size_t(1));
        QCOMPARE(third.warnings.size(), size_t(1));
        QVERIFY2(third.warnings[0].find("line at byte " + std::to_string(second.end) + ": torn") != std::string::npos,
            third.warnings[0].c_str());
        out.close();
        // A file replaced by a shorter one is reported, not read from the middle.
        std::ofstream(path, std::ios::binary | std::ios::trunc) << a << "\n";
        try {
            vq::readNewRunLines(path, third.end);
            QFAIL("read past the end");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::Truncated);
        }
    }
};

QTEST_GUILESS_MAIN(TestSweep)
#include "tst_sweep.moc"
