#include "testutil.h"

#include "common/error.h"
#include "io/embeddingloader.h"
#include "metrics/reconstructionmetrics.h"
#include "quant/registry.h"
#include "run/runexecutor.h"
#include "run/runrecord.h"

#include <QTest>

#include <cmath>

namespace {

// The first `rows` rows of the real GloVe table, as loaded (source and checksum of the slice).
vq::EmbeddingTable gloveSlice(int64_t rows)
{
    vq::EmbeddingTable t = vq::loadEmbedding(vqtest::samplePath("glove-20k.npy"), {}, vq::nullRunControl());
    t.values.rows = rows;
    t.values.values.resize(static_cast<size_t>(rows * t.values.cols));
    t.tokens.resize(static_cast<size_t>(rows));
    t.source.checksum = vq::tableChecksum(t.values);
    return t;
}

vq::RunOptions quickOptions()
{
    vq::RunOptions o;
    o.recallQueries = 200;
    return o;
}

} // namespace

class TestRunRecord : public QObject {
    Q_OBJECT
    vq::EmbeddingTable m_table;

private slots:
    void initTestCase() { m_table = gloveSlice(2000); }

    void rtnRunHasConsistentMetrics()
    {
        vq::RunControl control;
        control.threads = 2;
        const vq::QuantSpec spec { "rtn", { { "bits", 4 } } };
        const vq::RunRecord r = vq::executeRun(m_table, spec, quickOptions(), control);
        QCOMPARE(r.status, vq::RunStatus::Done);
        QVERIFY(r.table);
        QVERIFY(r.fullMetrics);
        // Resolved: every parameter of the schema is present.
        QCOMPARE(r.spec.params.size(), vq::quantizer("rtn").schema().params.size());
        QCOMPARE(r.bits.totalBits(), vq::quantizer("rtn").estimate(spec, 2000, 100).totalBits());
        QCOMPARE(r.bits.totalBits(), r.table->bits().totalBits());

        const vq::Matrix decoded = r.table->decodeAll();
        const vq::ReconstructionMetrics direct
            = vq::computeReconstructionMetrics(m_table.values, decoded, {}, vq::nullRunControl());
        QCOMPARE(r.metrics["reconstruction"]["relMse"].get<double>(), direct.relMse);
        QCOMPARE(r.fullMetrics->reconstruction.relMse, direct.relMse);
        qInfo("rtn 4-bit relMSE %.4f", direct.relMse);
        // Measured on the GloVe slice: rtn 4-bit whole-row groups give relMSE 0.0245.
        QVERIFY2(direct.relMse > 0.02 && direct.relMse < 0.03, std::to_string(direct.relMse).c_str());
        QVERIFY(r.metrics.contains("neighbourRecall"));
        QCOMPARE(r.metrics["neighbourRecall"]["queries"].get<int64_t>(), 200);
        // The sample's tied head is unknown: logit fidelity is off and the record says why.
        QVERIFY(!r.metrics.contains("logitFidelity"));
        QVERIFY(!r.warnings.empty());
        QVERIFY(r.warnings.back().find("logit fidelity skipped") != std::string::npos);
        // rtn has no codebooks.
        QVERIFY(!r.metrics.contains("codebookUsage"));
        QCOMPARE(r.provenance.checksum, m_table.source.checksum);
        QCOMPARE(r.provenance.rows, int64_t(2000));
        QCOMPARE(r.provenance.tokenWeights, std::string("uniform"));
        QCOMPARE(r.provenance.threads, 2);
        QVERIFY(r.timings.fitSeconds >= 0 && r.timings.metricsSeconds > 0);
        QVERIFY(r.id.rfind("rtn-", 0) == 0);
        QCOMPARE(r.id.size(), size_t(4 + 16));
    }

    void pqRunCountsItsCodes()
    {
        vq::RunControl control;
        control.threads = 2;
        vq::RunOptions options = quickOptions();
        options.logitFidelity = true;
        options.zipf = 1.0;
        const vq::QuantSpec spec { "pq", { { "d", 4 }, { "bits", 6 }, { "iterations", 10 } } };
        const vq::RunRecord r = vq::executeRun(m_table, spec, options, control);
        const vq::Matrix decoded = r.table->decodeAll();
        const std::vector<float> weights = vq::resolveTokenWeights(options, 2000).weights;
        const vq::ReconstructionMetrics direct
            = vq::computeReconstructionMetrics(m_table.values, decoded, weights, vq::nullRunControl());
        QCOMPARE(r.metrics["reconstruction"]["relMse"].get<double>(), direct.relMse);
        QCOMPARE(r.metrics["reconstruction"]["weightedRelMse"].get<double>(), direct.weightedRelMse);
        QVERIFY(direct.weighted);
        qInfo("pq d4 6-bit relMSE %.4f", direct.relMse);
        // Measured on the GloVe slice: pq d4 6-bit gives relMSE 0.116 (Zipf-weighted fit, 2 threads).
        QVERIFY2(direct.relMse > 0.09 && direct.relMse < 0.14, std::to_string(direct.relMse).c_str());
        QCOMPARE(r.provenance.tokenWeights, std::string("zipf s=1"));

        QVERIFY(r.metrics.contains("logitFidelity"));
        const double kl = r.metrics["logitFidelity"]["meanKlNats"].get<double>();
        qInfo("logit KL %.4f", kl);
        QVERIFY(kl > 0 && kl < 0.5); // measured 0.150

        QVERIFY(r.fullMetrics);
        QCOMPARE(r.fullMetrics->codebookUsage.size(), size_t(1));
        const vq::CodebookUsage& u = r.fullMetrics->codebookUsage.front();
        QCOMPARE(u.layout.groups, 25);
        QCOMPARE(u.layout.stages, 1);
        QCOMPARE(u.layout.bits, 6);
        QCOMPARE(u.perGroup.size(), size_t(25));
        QCOMPARE(u.pooled.front().total, int64_t(2000 * 25));
        // The counts of group 3 are the codes stored for column block 3.
        const vq::StoredArray& codes = r.table->array("codes");
        std::vector<int64_t> counts(64, 0);
        for (int64_t row = 0; row < 2000; ++row)
            ++counts[static_cast<size_t>(codes.ints[static_cast<size_t>(row * 25 + 3)])];
        QCOMPARE(u.at(0, 3).counts, counts);
        QVERIFY(u.at(0, 3).entropyBits > 4.0 && u.at(0, 3).entropyBits <= 6.0);
        QCOMPARE(r.metrics["codebookUsage"].size(), size_t(1));
    }

    void grvqLayoutCoversStages()
    {
        vq::RunControl control;
        control.threads = 2;
        vq::RunOptions options = quickOptions();
        options.neighbourRecall = false;
        const vq::QuantSpec spec { "grvq", { { "h", 10 }, { "R", 2 }, { "kappa", 4 }, { "iterations", 5 } } };
        const vq::RunRecord r = vq::executeRun(m_table, spec, options, control);
        QVERIFY(!r.metrics.contains("neighbourRecall"));
        const vq::CodebookUsage& u = r.fullMetrics->codebookUsage.front();
        QCOMPARE(u.layout.groups, 10);
        QCOMPARE(u.layout.stages, 2);
        const vq::StoredArray& codes = r.table->array("codes");
        std::vector<int64_t> counts(16, 0);
        for (int64_t row = 0; row < 2000; ++row) // group 7, stage 1 of [rows][groups][stages]
            ++counts[static_cast<size_t>(codes.ints[static_cast<size_t>((row * 10 + 7) * 2 + 1)])];
        QCOMPARE(u.at(1, 7).counts, counts);
    }

    void hiddenStatesSwitchLogitFidelityOn()
    {
        vq::RunOptions options = quickOptions();
        options.neighbourRecall = false;
        options.hiddenStatesFile = vqtest::dataPath("reference-512x100-f32.npy"); // 512 x 100: dim matches
        const vq::RunRecord r = vq::executeRun(m_table, { "rtn", { { "bits", 3 } } }, options, vq::nullRunControl());
        QVERIFY(r.metrics.contains("logitFidelity"));
        QCOMPARE(r.metrics["logitFidelity"]["queries"].get<int64_t>(), int64_t(512));
        QCOMPARE(r.metrics["logitFidelity"]["queryKind"].get<std::string>(), std::string("hidden states"));
        QVERIFY(r.warnings.empty());

        options.logitFidelity = false; // an explicit no wins, and needs no warning
        const vq::RunRecord off = vq::executeRun(m_table, { "rtn", { { "bits", 3 } } }, options, vq::nullRunControl());
        QVERIFY(!off.metrics.contains("logitFidelity"));
        QVERIFY(off.warnings.empty());
    }

    void jsonRoundTrip()
    {
        vq::RunControl control;
        control.threads = 2;
        control.seed = 7;
        vq::RunOptions options = quickOptions();
        options.name = "trial \"one\"";
        const vq::RunRecord r = vq::executeRun(m_table, { "pq", { { "d", 5 }, { "bits", 4 } } }, options, control);
        const nlohmann::json j = r.toJson();
        const vq::RunRecord back = vq::RunRecord::fromJson(nlohmann::json::parse(j.dump()));
        QCOMPARE(back.toJson().dump(), j.dump());
        QCOMPARE(back.id, r.id);
        QCOMPARE(back.name, options.name);
        QVERIFY(back.spec == r.spec);
        QCOMPARE(back.status, vq::RunStatus::Done);
        QCOMPARE(back.bits.totalBits(), r.bits.totalBits());
        QCOMPARE(back.bits.items.size(), r.bits.items.size());
        QCOMPARE(back.provenance.seed, uint64_t(7));
        QCOMPARE(back.provenance.appVersion, r.provenance.appVersion);
        QVERIFY(!back.provenance.appVersion.empty());
        QVERIFY(!back.provenance.date.empty());
        QCOMPARE(back.metrics.dump(), r.metrics.dump());
        QCOMPARE(back.timings.fitSeconds, r.timings.fitSeconds);
        QVERIFY(!back.table); // arrays are not part of the JSON
        QCOMPARE(back.dedupeKey(), r.dedupeKey());
        QCOMPARE(j["bitsPerParam"].get<double>(), r.bits.bitsPerParam());
    }

    void malformedJsonIsRefused_data()
    {
        QTest::addColumn<QString>("drop");
        QTest::addColumn<QString>("expect");
        QTest::newRow("no id") << QStringLiteral("id") << QStringLiteral("'id'");
        QTest::newRow("no spec") << QStringLiteral("spec") << QStringLiteral("");
        QTest::newRow("no bits") << QStringLiteral("bits") << QStringLiteral("'bits'");
        QTest::newRow("no provenance") << QStringLiteral("provenance") << QStringLiteral("'provenance'");
        QTest::newRow("bad status") << QStringLiteral("status") << QStringLiteral("status 'finished'");
    }

    void malformedJsonIsRefused()
    {
        QFETCH(QString, drop);
        QFETCH(QString, expect);
        vq::RunRecord r;
        r.spec = { "rtn", { { "bits", 4 } } };
        r.id = vq::makeRunId(r.spec, r.provenance);
        r.status = vq::RunStatus::Failed;
        r.error = drop.toStdString() + " is missing";
        nlohmann::json j = r.toJson();
        if (drop == QStringLiteral("status"))
            j["status"] = "finished";
        else
            j.erase(drop.toStdString());
        try {
            vq::RunRecord::fromJson(j);
            QFAIL("accepted");
        } catch (const vq::Error& e) {
            QVERIFY2(std::string(e.what()).find(expect.toStdString()) != std::string::npos, e.what());
        }
    }

    void idsFollowSpecTableWeightsAndSeed()
    {
        vq::RunControl a;
        a.seed = 1;
        vq::RunControl b;
        b.seed = 2;
        const vq::RunOptions uniform;
        vq::RunOptions zipf;
        zipf.zipf = 1.1;
        const vq::QuantSpec spec { "rtn", { { "bits", 3 } } };
        const vq::RunRecord p1 = vq::planRun(m_table, spec, uniform, a);
        QCOMPARE(p1.status, vq::RunStatus::Queued);
        QCOMPARE(p1.bits.totalBits(), vq::quantizer("rtn").estimate(spec, 2000, 100).totalBits());
        QCOMPARE(vq::planRun(m_table, spec, uniform, a).id, p1.id); // stable
        QVERIFY(vq::planRun(m_table, spec, uniform, b).id != p1.id);
        QCOMPARE(vq::planRun(m_table, spec, uniform, b).dedupeKey(), p1.dedupeKey()); // the seed is not a key
        QVERIFY(vq::planRun(m_table, spec, zipf, a).id != p1.id);
        QVERIFY(vq::planRun(m_table, spec, zipf, a).dedupeKey() != p1.dedupeKey());
        QVERIFY(vq::planRun(m_table, { "rtn", { { "bits", 5 } } }, uniform, a).id != p1.id);
        // Defaults written out or left implicit are the same spec.
        const vq::QuantSpec explicitSpec = vq::quantizer("rtn").schema().resolve(spec);
        QCOMPARE(vq::planRun(m_table, explicitSpec, uniform, a).id, p1.id);
    }

    void badSpecsAndOptionsAreRefusedBeforeWork_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QString>("expect");
        QTest::newRow("unknown method") << QStringLiteral(R"({"method": "nope"})") << QStringLiteral("nope");
        QTest::newRow("out of range") << QStringLiteral(R"({"method": "rtn", "params": {"bits": 99}})")
                                      << QStringLiteral("'bits'");
        QTest::newRow("unknown parameter")
            << QStringLiteral(R"({"method": "pq", "params": {"dd": 4}})") << QStringLiteral("'dd'");
        QTest::newRow("shape") << QStringLiteral(R"({"method": "pq", "params": {"d": 3}})") << QStringLiteral("'d'");
    }

    void badSpecsAndOptionsAreRefusedBeforeWork()
    {
        QFETCH(QString, spec);
        QFETCH(QString, expect);
        int progressCalls = 0;
        vq::RunControl control;
        control.setProgressCallback([&](std::string_view, double) { ++progressCalls; });
        try {
            vq::executeRun(
                m_table, vq::QuantSpec::fromJson(nlohmann::json::parse(spec.toStdString())), quickOptions(), control);
            QFAIL("accepted");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::InvalidArgument);
            QVERIFY2(std::string(e.what()).find(expect.toStdString()) != std::string::npos, e.what());
        }
        QCOMPARE(progressCalls, 0);
    }

    void bothWeightSourcesAreRefused()
    {
        vq::RunOptions o;
        o.zipf = 1;
        o.weightsFile = vqtest::samplePath("glove-20k.vocab.txt");
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::planRun(m_table, { "rtn", {} }, o, vq::nullRunControl()));
    }

    void cancelStops()
    {
        vq::RunControl control;
        control.cancel();
        QVERIFY_THROWS_EXCEPTION(
            vq::Cancelled, vq::executeRun(m_table, { "pq", { { "bits", 6 } } }, quickOptions(), control));
    }
};

QTEST_GUILESS_MAIN(TestRunRecord)
#include "tst_runrecord.moc"
