#include "common/error.h"
#include "metrics/runmetrics.h"
#include "randomtables.h"

#include <QtTest>

using namespace vq;

class TestRunMetrics : public QObject {
    Q_OBJECT

private slots:
    void allMetrics()
    {
        const Matrix e = vqtest::randomMatrix(500, 16, 1);
        Matrix r = e;
        for (float& v : r.values)
            v *= 0.5f;
        MetricsOptions options;
        options.recall.queries = 40;
        options.logits.queries = 30;
        const RunMetrics m = computeRunMetrics(e, r, {}, options, nullRunControl());
        QCOMPARE(m.reconstruction.relMse, 0.25);
        QVERIFY(m.neighbourRecall.has_value());
        QCOMPARE(m.neighbourRecall->mean, 1.0); // cosine ignores the factor 0.5
        QVERIFY(m.logitFidelity.has_value());
        QVERIFY(m.logitFidelity->meanKl > 0); // halved logits flatten the softmax

        const nlohmann::json j = m.toJson();
        QCOMPARE(j["reconstruction"]["relMse"].get<double>(), 0.25);
        QCOMPARE(j["reconstruction"]["tokenRelError"]["p99.9"].get<double>(), 0.25);
        QVERIFY(!j["reconstruction"].contains("perToken"));
        QCOMPARE(j["neighbourRecall"]["k"].get<int>(), 10);
        QCOMPARE(j["neighbourRecall"]["queries"].get<int>(), 40);
        QVERIFY(!j["neighbourRecall"].contains("perQuery"));
        QCOMPARE(j["logitFidelity"]["scaling"].get<std::string>(), std::string("unit-norm"));
        QCOMPARE(j["logitFidelity"]["meanKlNats"].get<double>(), m.logitFidelity->meanKl);
        for (const char* key : { "reconstruction", "neighbourRecall", "logitFidelity" })
            QVERIFY(j["seconds"][key].get<double>() >= 0);
        QVERIFY(!j.contains("codebookUsage"));

        MetricsJsonOptions all;
        all.perToken = true;
        all.perQuery = true;
        const nlohmann::json full = m.toJson(all);
        QCOMPARE(full["reconstruction"]["perToken"]["cosine"].size(), size_t(500));
        QCOMPARE(full["neighbourRecall"]["refNeighbours"].size(), size_t(400));
        QCOMPARE(full["logitFidelity"]["perQueryKl"].size(), size_t(30));
    }

    void optionalMetricsAndSmallTables()
    {
        const Matrix e = vqtest::randomMatrix(4, 3, 2);
        MetricsOptions options;
        options.logitFidelity = false;
        const RunMetrics m = computeRunMetrics(e, e, {}, options, nullRunControl());
        QVERIFY(!m.logitFidelity.has_value());
        QCOMPARE(m.neighbourRecall->k, 3); // lowered from 10 to rows - 1
        options.neighbourRecall = false;
        options.logitFidelity = true;
        const RunMetrics n = computeRunMetrics(e, e, {}, options, nullRunControl());
        QVERIFY(!n.neighbourRecall.has_value());
        QCOMPARE(n.logitFidelity->topK, 4);
        QVERIFY(!n.toJson().contains("neighbourRecall"));
    }

    // JSON has no infinity: an exact reconstruction's SNR and a missed zero row's relative error
    // are written as strings.
    void nonFiniteNumbers()
    {
        Matrix e = vqtest::randomMatrix(6, 3, 3);
        Matrix r = e;
        MetricsOptions options;
        options.neighbourRecall = false;
        options.logitFidelity = false;
        nlohmann::json j = computeRunMetrics(e, r, {}, options, nullRunControl()).toJson();
        QCOMPARE(j["reconstruction"]["snrDb"].get<std::string>(), std::string("inf"));
        QCOMPARE(j["reconstruction"]["relMse"].get<double>(), 0.0);

        std::fill(e.row(2), e.row(2) + 3, 0.f);
        MetricsJsonOptions perToken;
        perToken.perToken = true;
        j = computeRunMetrics(e, r, {}, options, nullRunControl()).toJson(perToken);
        QCOMPARE(j["reconstruction"]["tokenRelError"]["max"].get<std::string>(), std::string("inf"));
        QCOMPARE(j["reconstruction"]["perToken"]["relError"][2].get<std::string>(), std::string("inf"));
        QCOMPARE(j["reconstruction"]["zeroRowsMissed"].get<int>(), 1);
        QCOMPARE(jsonNumber(-std::numeric_limits<double>::infinity()).get<std::string>(), std::string("-inf"));
        QCOMPARE(jsonNumber(std::nan("")).get<std::string>(), std::string("nan"));
    }

    void codebookUsageJson()
    {
        CodeLayout layout;
        layout.rows = 4;
        layout.groups = 2;
        layout.bits = 2;
        const std::vector<uint32_t> codes { 0, 1, 1, 1, 2, 1, 3, 1 };
        RunMetrics m;
        m.codebookUsage.push_back(computeCodebookUsage(codes, layout, nullRunControl()));
        MetricsJsonOptions counts;
        counts.codeCounts = true;
        const nlohmann::json j = m.toJson(counts)["codebookUsage"][0];
        QCOMPARE(j["bits"].get<int>(), 2);
        QCOMPARE(j["perGroup"][0]["entropyBits"].get<double>(), 2.0);
        QCOMPARE(j["perGroup"][1]["deadCodes"], nlohmann::json({ 0, 2, 3 }));
        QCOMPARE(j["pooled"][0]["counts"], nlohmann::json({ 1, 5, 1, 1 }));
        QVERIFY(!m.toJson()["codebookUsage"][0]["pooled"][0].contains("counts"));
    }

    void cancel()
    {
        const Matrix e = vqtest::randomMatrix(50, 4, 4);
        RunControl control;
        control.cancel();
        QVERIFY_THROWS_EXCEPTION(Cancelled, computeRunMetrics(e, e, {}, {}, control));
    }
};

QTEST_GUILESS_MAIN(TestRunMetrics)
#include "tst_runmetrics.moc"
