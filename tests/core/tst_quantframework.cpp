#include "common/error.h"
#include "quant/bitbudget.h"
#include "quant/paramschema.h"
#include "quant/quantizedtable.h"
#include "quant/quantspec.h"
#include "quant/registry.h"
#include "quant/rowblocks.h"
#include "quantchecks.h"
#include "testutil.h"

#include <QTest>

#include <atomic>
#include <string>
#include <vector>

namespace {

vq::ParamSchema sampleSchema()
{
    vq::ParamSchema s;
    s.params.push_back({ "bits", vq::ParamDef::Type::Int, 2, 8, 4, {}, "bits per value", false });
    s.params.push_back({ "lr", vq::ParamDef::Type::Float, 1e-6, 1.0, 1e-3, {}, "learning rate", true });
    s.params.push_back({ "beam", vq::ParamDef::Type::Bool, 0, 0, false, {}, "beam search", false });
    s.params.push_back({ "mode", vq::ParamDef::Type::Choice, 0, 0, "sym", { "sym", "asym" }, "scheme", false });
    s.params.push_back({ "weights", vq::ParamDef::Type::Path, 0, 0, "", {}, "a weights file", false });
    return s;
}

// Runs fn, expects vq::Error(kind) whose message contains every needle.
template <class Fn> void expectError(Fn fn, vq::ErrorKind kind, std::initializer_list<const char*> needles)
{
    try {
        fn();
    } catch (const vq::Error& e) {
        QCOMPARE(e.kind(), kind);
        for (const char* n : needles)
            QVERIFY2(
                std::string(e.what()).find(n) != std::string::npos, (std::string(e.what()) + " lacks " + n).c_str());
        return;
    }
    QFAIL("expected a vq::Error");
}

} // namespace

class TestQuantFramework : public QObject {
    Q_OBJECT
private slots:
    void specJsonRoundTrip()
    {
        vq::QuantSpec spec;
        spec.method = "grvq";
        spec.params = { { "h", 8 }, { "R", 3 }, { "lr", 0.5 }, { "shared", true }, { "mode", "beam" } };
        const nlohmann::json j = spec.toJson();
        QCOMPARE(j.at("method").get<std::string>(), std::string("grvq"));
        const vq::QuantSpec back = vq::QuantSpec::fromJson(nlohmann::json::parse(j.dump()));
        QVERIFY(back == spec);
        QCOMPARE(back.getInt("h"), int64_t(8));
        QCOMPARE(back.getFloat("lr"), 0.5);
        QCOMPARE(back.getFloat("R"), 3.0); // ints read as floats
        QCOMPARE(back.getBool("shared"), true);
        QCOMPARE(back.getString("mode"), std::string("beam"));
        // params may be omitted
        const auto bare = vq::QuantSpec::fromJson(nlohmann::json::parse(R"({"method":"rtn"})"));
        QCOMPARE(bare.method, std::string("rtn"));
        QVERIFY(bare.params.is_object() && bare.params.empty());
    }

    void specRefusesMalformedJson_data()
    {
        QTest::addColumn<QString>("json");
        QTest::newRow("array") << QStringLiteral("[1,2]");
        QTest::newRow("no method") << QStringLiteral(R"({"params":{}})");
        QTest::newRow("empty method") << QStringLiteral(R"({"method":""})");
        QTest::newRow("method not string") << QStringLiteral(R"({"method":3})");
        QTest::newRow("params not object") << QStringLiteral(R"({"method":"rtn","params":[1]})");
        QTest::newRow("unknown key") << QStringLiteral(R"({"method":"rtn","parms":{}})");
    }
    void specRefusesMalformedJson()
    {
        QFETCH(QString, json);
        const auto j = nlohmann::json::parse(json.toStdString());
        expectError([&] { vq::QuantSpec::fromJson(j); }, vq::ErrorKind::InvalidArgument, {});
    }

    void typedGettersRefuseWrongTypes()
    {
        vq::QuantSpec spec { "x", { { "a", 1.5 }, { "b", "s" }, { "c", 2.0 } } };
        QCOMPARE(spec.getInt("c"), int64_t(2)); // integral float
        expectError([&] { spec.getInt("a"); }, vq::ErrorKind::InvalidArgument, { "'a'", "1.5" });
        expectError([&] { spec.getFloat("b"); }, vq::ErrorKind::InvalidArgument, { "'b'" });
        expectError([&] { spec.getBool("a"); }, vq::ErrorKind::InvalidArgument, { "'a'" });
        expectError([&] { spec.getString("a"); }, vq::ErrorKind::InvalidArgument, { "'a'" });
        expectError([&] { spec.getInt("missing"); }, vq::ErrorKind::InvalidArgument, { "'missing'", "missing" });
    }

    void resolveFillsDefaults()
    {
        const auto schema = sampleSchema();
        const vq::QuantSpec spec { "m", { { "bits", 8.0 }, { "mode", "asym" }, { "weights", "/data/w.npy" } } };
        const vq::QuantSpec r = schema.resolve(spec);
        QCOMPARE(r.method, std::string("m"));
        QCOMPARE(r.params.size(), size_t(5));
        QCOMPARE(r.getString("weights"), std::string("/data/w.npy"));
        QCOMPARE(schema.resolve(vq::QuantSpec { "m", {} }).getString("weights"), std::string());
        QVERIFY(r.params.at("bits").is_number_integer()); // 8.0 canonicalised to an integer
        QCOMPARE(r.getInt("bits"), int64_t(8));
        QCOMPARE(r.getFloat("lr"), 1e-3);
        QCOMPARE(r.getBool("beam"), false);
        QCOMPARE(r.getString("mode"), std::string("asym"));
        // resolving twice changes nothing
        QVERIFY(schema.resolve(r) == r);
        QCOMPARE(schema.resolve(vq::QuantSpec { "m", {} }).getInt("bits"), int64_t(4));
    }

    void resolveRefusesBadParams_data()
    {
        QTest::addColumn<QString>("params");
        QTest::addColumn<QString>("needle1");
        QTest::addColumn<QString>("needle2");
        QTest::newRow("unknown") << QStringLiteral(R"({"bitz":4})") << QStringLiteral("'bitz'")
                                 << QStringLiteral("known: bits, lr, beam, mode, weights");
        QTest::newRow("too large") << QStringLiteral(R"({"bits":9})") << QStringLiteral("'bits' = 9")
                                   << QStringLiteral("[2, 8]");
        QTest::newRow("too small") << QStringLiteral(R"({"bits":1})") << QStringLiteral("'bits' = 1")
                                   << QStringLiteral("[2, 8]");
        QTest::newRow("fractional int") << QStringLiteral(R"({"bits":4.5})") << QStringLiteral("'bits' = 4.5")
                                        << QStringLiteral("integer");
        QTest::newRow("string for int") << QStringLiteral(R"({"bits":"4"})") << QStringLiteral("'bits' = \"4\"")
                                        << QStringLiteral("[2, 8]");
        QTest::newRow("float range") << QStringLiteral(R"({"lr":2.0})") << QStringLiteral("'lr' = 2.0")
                                     << QStringLiteral("[1e-06, 1]");
        QTest::newRow("bool") << QStringLiteral(R"({"beam":1})") << QStringLiteral("'beam' = 1")
                              << QStringLiteral("true or false");
        QTest::newRow("choice") << QStringLiteral(R"({"mode":"both"})") << QStringLiteral("'mode' = \"both\"")
                                << QStringLiteral(R"(one of "sym", "asym")");
        QTest::newRow("path") << QStringLiteral(R"({"weights":3})") << QStringLiteral("'weights' = 3")
                              << QStringLiteral("a file path");
    }
    void resolveRefusesBadParams()
    {
        QFETCH(QString, params);
        QFETCH(QString, needle1);
        QFETCH(QString, needle2);
        const vq::QuantSpec spec { "m", nlohmann::json::parse(params.toStdString()) };
        const std::string n1 = needle1.toStdString(), n2 = needle2.toStdString();
        expectError([&] { sampleSchema().resolve(spec); }, vq::ErrorKind::InvalidArgument,
            { "method 'm'", n1.c_str(), n2.c_str() });
    }

    void schemaToJson()
    {
        const nlohmann::json j = sampleSchema().toJson();
        QCOMPARE(j.size(), size_t(5));
        QCOMPARE(j[0].at("name").get<std::string>(), std::string("bits"));
        QCOMPARE(j[0].at("type").get<std::string>(), std::string("int"));
        QCOMPARE(j[0].at("min").get<int>(), 2);
        QCOMPARE(j[0].at("max").get<int>(), 8);
        QCOMPARE(j[0].at("default").get<int>(), 4);
        QCOMPARE(j[0].at("help").get<std::string>(), std::string("bits per value"));
        QCOMPARE(j[1].at("logScale").get<bool>(), true);
        QVERIFY(j[3].at("choices") == nlohmann::json({ "sym", "asym" }));
        QVERIFY(!j[2].contains("min"));
        QCOMPARE(j[4].at("type").get<std::string>(), std::string("path"));
        QCOMPARE(j[4].at("default").get<std::string>(), std::string());
    }

    void bitBudgetSums()
    {
        vq::BitBudget b;
        b.rows = 10;
        b.dim = 4;
        b.add("codes", "codes", 80);
        b.add("scales", "scale", 5);
        QCOMPARE(b.totalBits(), uint64_t(85));
        QCOMPARE(b.totalBytes(), uint64_t(11));
        QCOMPARE(b.bitsPerParam(), 85.0 / 40.0);
        const auto j = b.toJson();
        QCOMPARE(j.at("totalBits").get<uint64_t>(), uint64_t(85));
        QCOMPARE(j.at("items").size(), size_t(2));
        QCOMPARE(j.at("items")[1].at("role").get<std::string>(), std::string("scale"));
    }

    void storedArraysCountWhatTheyHold()
    {
        vq::QuantizedTable t;
        t.spec.method = "none";
        t.rows = 3;
        t.dim = 4;
        vq::StoredArray codes { "codes", "codes", "codes (3 bits)", vq::StorageType::UInt, 3, { 3, 4 }, {}, {} };
        codes.ints.assign(12, 7);
        t.addArray(codes);
        vq::StoredArray scales { "scales", "scale", "", vq::StorageType::F16, 16, { 3 }, { 0.5f, 1.0f, 0.25f }, {} };
        t.addArray(scales);
        QCOMPARE(t.array("codes").storedBits(), uint64_t(36));
        QCOMPARE(t.bits().totalBits(), uint64_t(36 + 48));
        QCOMPARE(t.bits().items[1].label, std::string("scales")); // label falls back to the name
        QVERIFY(t.findArray("nope") == nullptr);
        expectError([&] { t.array("nope"); }, vq::ErrorKind::InvalidArgument, { "'nope'" });
        expectError([&] { t.addArray(codes); }, vq::ErrorKind::InvalidArgument, { "'codes'" });

        t.array("codes").check();
        t.array("scales").check();
        vq::StoredArray bad = codes;
        bad.ints[5] = 8;
        expectError([&] { bad.check(); }, vq::ErrorKind::Malformed, { "'codes'", "value 8 at 5" });
        bad = scales;
        bad.floats[1] = 0.1f; // not an fp16 value
        expectError([&] { bad.check(); }, vq::ErrorKind::Malformed, { "'scales'", "at 1" });
        bad = scales;
        bad.shape = { 4 };
        expectError([&] { bad.check(); }, vq::ErrorKind::Malformed, { "3 float values for 4" });
    }

    void registryRefusesUnknownNames()
    {
        expectError(
            [] { vq::quantizer("no-such-method"); }, vq::ErrorKind::InvalidArgument, { "'no-such-method'", "known:" });
        for (const vq::Quantizer* q : vq::allQuantizers())
            QCOMPARE(&vq::quantizer(q->name()), q);
    }
    // Every registered method on a real table it accepts (vqtest::realTableFor), with its default
    // parameters.
    void everyMethodEstimatesItsBitsExactly()
    {
        QVERIFY(!vq::allQuantizers().empty());
        for (const vq::Quantizer* q : vq::allQuantizers()) {
            const vq::Matrix& e = vqtest::realTableFor(*q);
            vqtest::checkEstimateMatchesFit(*q, e, vq::QuantSpec { q->name(), {} });
            if (QTest::currentTestFailed())
                return;
            // the schema's JSON lists every parameter the resolved spec holds
            const vq::QuantSpec resolved = q->validate(vq::QuantSpec { q->name(), {} }, e.rows, e.cols);
            QCOMPARE(resolved.params.size(), q->schema().params.size());
            QVERIFY(!q->label().empty() && !q->description().empty());
            for (const auto& preset : q->presets())
                QCOMPARE(preset.spec.method, q->name());
        }
    }

    // What the application asks each method instead of naming methods: its key parameters (schema
    // parameters), its baselines (a method offers some exactly when it is a baseline), their labels and
    // which runs stand for them.
    void methodsDescribeThemselves()
    {
        for (const vq::Quantizer* q : vq::allQuantizers()) {
            for (const std::string& key : q->keyParameters())
                QVERIFY2(q->schema().find(key), (q->name() + ": " + key).c_str());
            const std::vector<vq::QuantSpec> baselines = q->baselineSpecs();
            QCOMPARE(q->isBaseline(), !baselines.empty());
            for (const vq::QuantSpec& b : baselines) {
                QCOMPARE(b.method, q->name());
                QVERIFY(q->isSameBaseline(b, b));
                q->schema().resolve(b);
            }
        }
        const vq::Quantizer& rtn = vq::quantizer("rtn");
        std::vector<std::string> labels;
        for (const vq::QuantSpec& b : rtn.baselineSpecs())
            labels.push_back(rtn.baselineLabel(b));
        QCOMPARE(labels, (std::vector<std::string> { "rtn 2", "rtn 3", "rtn 4", "rtn 8" }));
        const vq::QuantSpec rtn4 { "rtn", { { "bits", 4 }, { "group", 32 }, { "mode", "asym" } } };
        QVERIFY(rtn.isSameBaseline(rtn4, rtn.baselineSpecs()[2])); // any group or mode: still rtn 4
        QVERIFY(!rtn.isSameBaseline(rtn4, rtn.baselineSpecs()[1]));
        QCOMPARE(vq::quantizer("pq").keyParameters(), (std::vector<std::string> { "d", "bits" }));
        QCOMPARE(
            vq::quantizer("q4_0").baselineLabel(vq::quantizer("q4_0").baselineSpecs().front()), std::string("q4_0"));
    }

    void decodeRowsMatchesDecodeAll()
    {
        for (const vq::Quantizer* q : vq::allQuantizers()) {
            const vq::Matrix& e = vqtest::realTableFor(*q);
            const std::vector<int64_t> ids { e.rows - 1, 0, 17, 17, e.rows / 2, 2 }; // any order, repeats allowed
            const vq::QuantizedTable t = vqtest::fitWith(*q, e, vq::QuantSpec { q->name(), {} }, 3, 0);
            const vq::Matrix all = t.decodeAll();
            QCOMPARE(all.rows, e.rows);
            QCOMPARE(all.cols, e.cols);
            std::vector<float> some(ids.size() * static_cast<size_t>(e.cols));
            t.decodeRows(ids, some.data());
            for (size_t i = 0; i < ids.size(); ++i)
                for (int64_t j = 0; j < e.cols; ++j)
                    QCOMPARE(some[i * static_cast<size_t>(e.cols) + static_cast<size_t>(j)], all.at(ids[i], j));
            const std::vector<int64_t> outside { e.rows };
            const std::string message = "row " + std::to_string(e.rows);
            expectError(
                [&] { t.decodeRows(outside, some.data()); }, vq::ErrorKind::InvalidArgument, { message.c_str() });
        }
    }

    void validateRefusesForeignSpecsAndEmptyTables()
    {
        for (const vq::Quantizer* q : vq::allQuantizers()) {
            expectError(
                [&] {
                    q->validate(vq::QuantSpec { "not-" + q->name(), {} }, 10, 96);
                },
                vq::ErrorKind::InvalidArgument, { "given to method" });
            expectError(
                [&] {
                    q->estimate(vq::QuantSpec { q->name(), {} }, 0, 96);
                },
                vq::ErrorKind::InvalidArgument, { "empty" });
            expectError(
                [&] {
                    q->estimate(vq::QuantSpec { q->name(), { { "no_such_param", 1 } } }, 10, 96);
                },
                vq::ErrorKind::InvalidArgument, { "'no_such_param'" });
        }
    }
    // Every vector quantizer names its code arrays and their layout (what codebook-usage metrics read),
    // and the layout matches what is stored: one code per (row, group, stage), all within 2^bits.
    void codeLayoutsDescribeStoredCodes_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("params");
        QTest::addColumn<int>("arrays");
        for (const vq::Quantizer* q : vq::allQuantizers())
            QTest::newRow(q->name().c_str()) << QString::fromStdString(q->name()) << QStringLiteral("{}")
                                             << (q->isBaseline()              ? 0
                                                        : q->name() == "crvq" ? 2
                                                                              : 1);
        QTest::newRow("crvq rows") << QStringLiteral("crvq")
                                   << QStringLiteral(R"({"axis": "row", "lambda": 0.6, "shared": false})") << 2;
        QTest::newRow("crvq base only") << QStringLiteral("crvq") << QStringLiteral(R"({"E": 0})") << 1;
    }
    void codeLayoutsDescribeStoredCodes()
    {
        QFETCH(QString, method);
        QFETCH(QString, params);
        QFETCH(int, arrays);
        const vq::Quantizer& q = vq::quantizer(method.toStdString());
        const vq::Matrix& e = vqtest::realTableFor(q);
        const vq::QuantizedTable t = vqtest::fitWith(
            q, e, vq::QuantSpec { method.toStdString(), nlohmann::json::parse(params.toStdString()) }, 3, 0);
        const std::vector<vq::CodeArrayLayout> layouts = q.codeLayouts(t);
        QCOMPARE(int(layouts.size()), arrays);
        int64_t codes = 0;
        for (const vq::CodeArrayLayout& l : layouts) {
            const vq::StoredArray& a = t.array(l.array);
            QCOMPARE(a.role, std::string("codes"));
            QVERIFY(l.layout.rows >= 1 && l.layout.rows <= t.rows);
            QCOMPARE(int64_t(a.ints.size()), l.layout.rows * l.layout.groups * l.layout.stages);
            QCOMPARE(a.bitWidth, l.layout.bits);
            const vq::CodebookUsage usage
                = vq::computeCodebookUsage(std::span<const int32_t>(a.ints), l.layout, vq::nullRunControl());
            QCOMPARE(int(usage.pooled.size()), l.layout.stages);
            for (const vq::CodeUsage& pooled : usage.pooled)
                QCOMPARE(pooled.total, l.layout.rows * l.layout.groups);
            codes += int64_t(a.ints.size());
        }
        // Every stored code array is described.
        int64_t stored = 0;
        for (const vq::StoredArray& a : t.arrays)
            if (a.role == "codes" && !q.isBaseline())
                stored += int64_t(a.ints.size());
        QCOMPARE(codes, stored);
    }

    void everyMethodRefusesBadWeights()
    {
        for (const vq::Quantizer* q : vq::allQuantizers()) {
            const vq::Matrix& e = vqtest::realTableFor(*q);
            const std::vector<float> tooFew(static_cast<size_t>(e.rows - 1), 1.0f);
            std::vector<float> negative(static_cast<size_t>(e.rows), 1.0f);
            negative[9] = -1.0f;
            const std::string count = std::to_string(e.rows - 1);
            const vq::QuantSpec spec { q->name(), {} };
            expectError([&] { vqtest::fitWith(*q, e, spec, 1, 1, tooFew); }, vq::ErrorKind::InvalidArgument,
                { count.c_str(), "weight" });
            expectError([&] { vqtest::fitWith(*q, e, spec, 1, 1, negative); }, vq::ErrorKind::InvalidArgument,
                { "-1", "weight", "9" });
            // All zero has one meaning for every method: refused before any work, with the same words.
            const std::vector<float> zero(static_cast<size_t>(e.rows), 0.0f);
            const std::string named = q->name() + ": every token weight is 0";
            expectError(
                [&] { vqtest::fitWith(*q, e, spec, 1, 1, zero); }, vq::ErrorKind::InvalidArgument, { named.c_str() });
        }
    }

    void rowBlocksCoverEveryRowOnce_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("block");
        QTest::addColumn<int>("threads");
        QTest::newRow("exact") << 1024 << 256 << 2;
        QTest::newRow("ragged") << 1000 << 256 << 2;
        QTest::newRow("one block") << 7 << 256 << 2;
        QTest::newRow("single rows") << 33 << 1 << 1;
    }
    void rowBlocksCoverEveryRowOnce()
    {
        QFETCH(int, rows);
        QFETCH(int, block);
        QFETCH(int, threads);
        std::vector<std::atomic<int>> seen(static_cast<size_t>(rows));
        vq::RunControl control;
        control.threads = threads;
        std::atomic<double> last { 0 };
        control.setProgressCallback([&](std::string_view, double f) { last = std::max(last.load(), f); });
        vq::parallelRowBlocks(rows, block, control, "test", [&](int64_t begin, int64_t end) {
            if (begin % block != 0 || (end - begin != block && end != rows))
                seen[0] += 1000; // a block that is not one of the fixed boundaries
            for (int64_t r = begin; r < end; ++r)
                ++seen[static_cast<size_t>(r)];
        });
        for (const auto& s : seen)
            QCOMPARE(s.load(), 1);
        QCOMPARE(last.load(), 1.0);
    }

    // One thread, so blocks run in order and the count of blocks started is exact.
    void rowBlocksPropagateErrorsAndCancel()
    {
        vq::RunControl control;
        control.threads = 1;
        std::atomic<int> calls { 0 };
        expectError(
            [&] {
                vq::parallelRowBlocks(10000, 10, control, "test", [&](int64_t begin, int64_t) {
                    ++calls;
                    if (begin == 50)
                        throw vq::Error(vq::ErrorKind::Malformed, "f", "block 5 failed");
                });
            },
            vq::ErrorKind::Malformed, { "block 5 failed" });
        QCOMPARE(calls.load(), 6); // blocks after the failing one were skipped

        calls = 0;
        QVERIFY_THROWS_EXCEPTION(
            vq::Cancelled, vq::parallelRowBlocks(10000, 10, control, "test", [&](int64_t begin, int64_t) {
                ++calls;
                if (begin == 100)
                    control.cancel();
            }));
        QCOMPARE(calls.load(), 11);
    }
};

QTEST_GUILESS_MAIN(TestQuantFramework)
#include "tst_quantframework.moc"
