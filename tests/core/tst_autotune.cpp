#include "common/error.h"
#include "metrics/reconstructionmetrics.h"
#include "metrics/rowsample.h"
#include "quant/registry.h"
#include "quantchecks.h"
#include "run/autotune.h"
#include "testutil.h"

#include <QTest>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <set>

namespace {

// 3000 rows of the bundled GloVe sample (100 columns).
const vq::Matrix& table()
{
    static const vq::Matrix m = vqtest::readNpySlice(vqtest::sourcePath("resources/sample/glove-20k.npy"), 3000);
    return m;
}

// A small search: three methods, two rounds on 512 and 1536 rows.
vq::TuneOptions smallSearch()
{
    vq::TuneOptions o;
    o.maxBits = 2.05;
    o.methods = { "pq", "grvq", "rtn" };
    o.perMethod = 4;
    o.firstSample = 512;
    o.finalSample = 1536;
    o.eta = 3;
    o.keep = 3;
    return o;
}

double lastError(const vq::TuneCandidate& c)
{
    return c.trials.back().relMse;
}

template <class Fn> void expectRefused(Fn&& fn, const char* contains)
{
    try {
        fn();
        QFAIL("accepted");
    } catch (const vq::Error& e) {
        QCOMPARE(e.kind(), vq::ErrorKind::InvalidArgument);
        QVERIFY2(QByteArray(e.what()).contains(contains), e.what());
    }
}

} // namespace

// Auto-tune (run/autotune.h) on real word vectors: exact costs, successive halving, the ranking it
// returns, the target-error goal, cancel and refusals.
class TestAutoTune : public QObject {
    Q_OBJECT
private slots:
    // Candidates cost exactly what estimate() says at the full table's shape, stay within the budget,
    // never have more codewords than the first sample's rows / 16, and are distinct.
    void candidatesAreCostedExactly()
    {
        const vq::TuneOptions o = smallSearch();
        int64_t costed = 0;
        int64_t within = 0;
        const auto candidates = vq::tuneCandidates(table().rows, table().cols, o, &costed, &within);
        QVERIFY(costed > within);
        QVERIFY(within >= int64_t(candidates.size()));
        std::map<std::string, int> perMethod;
        std::set<std::string> specs;
        for (const vq::TuneCandidate& c : candidates) {
            const vq::Quantizer& q = vq::quantizer(c.spec.method);
            QCOMPARE(c.bitsPerParam, q.estimate(c.spec, table().rows, table().cols).bitsPerParam());
            QVERIFY(c.bitsPerParam <= o.maxBits);
            for (const char* key : { "bits", "kappa" })
                if (c.spec.params.contains(key) && c.spec.method != "rtn")
                    QVERIFY(std::exp2(c.spec.params.at(key).get<double>()) * 16 <= double(o.firstSample));
            QVERIFY(specs.insert(c.spec.toJson().dump()).second);
            ++perMethod[c.spec.method];
        }
        // rtn's cheapest configuration (2 bits, one fp16 scale per 100-value row) costs 2.16 bits/param.
        QCOMPARE(perMethod.size(), size_t(2));
        QVERIFY(!perMethod.count("rtn"));
        for (const auto& [method, n] : perMethod)
            QVERIFY2(n >= 1 && n <= o.perMethod, method.c_str());
    }

    void budgetSearch()
    {
        const vq::TuneOptions o = smallSearch();
        vq::RunControl control;
        control.seed = 7;
        control.threads = 2;
        std::mutex mutex;
        std::vector<std::pair<std::string, double>> reports;
        control.setProgressCallback([&](std::string_view stage, double f) {
            const std::lock_guard lock(mutex);
            reports.emplace_back(stage, f);
        });
        const vq::TuneResult r = vq::autoTune(table(), o, control);
        QVERIFY(reports.size() > 10);
        for (const auto& [stage, f] : reports)
            QVERIFY2(f >= 0 && f <= 1 && stage.starts_with("tune: "), stage.c_str());
        QCOMPARE(reports.back(), (std::pair<std::string, double>("tune: done", 1.0)));
        QVERIFY(std::any_of(
            reports.begin(), reports.end(), [](const auto& p) { return p.first == "tune: round 2 of 2 (1536 rows)"; }));
        QCOMPARE(r.sampleRows, (std::vector<int64_t> { 512, 1536 }));

        // Round 1 fits every candidate; round 2 the best third of them (at least keep).
        size_t first = 0;
        size_t second = 0;
        for (const vq::TuneCandidate& c : r.candidates) {
            QVERIFY2(c.error.empty(), c.error.c_str());
            QVERIFY(!c.trials.empty());
            QCOMPARE(c.trials.front().rows, int64_t(512));
            ++first;
            if (c.trials.size() == 2) {
                QCOMPARE(c.trials.back().rows, int64_t(1536));
                ++second;
            }
        }
        QCOMPARE(second, std::max<size_t>(3, (first + 2) / 3));
        // The survivors were the best of round 1: none left behind had a lower error there.
        double worstSurvivor = 0;
        double bestDropped = INFINITY;
        for (const vq::TuneCandidate& c : r.candidates)
            (c.trials.size() == 2 ? worstSurvivor = std::max(worstSurvivor, c.trials.front().relMse)
                                  : bestDropped = std::min(bestDropped, c.trials.front().relMse));
        QVERIFY(worstSurvivor <= bestDropped);

        // best: the last round by error, the winner first; frontier a subset with no dominated member.
        QCOMPARE(r.best.size(), size_t(3));
        for (size_t k = 1; k < r.best.size(); ++k)
            QVERIFY(lastError(r.candidates[r.best[k - 1]]) <= lastError(r.candidates[r.best[k]]));
        for (const vq::TuneCandidate& c : r.candidates)
            if (c.trials.size() == 2)
                QVERIFY(lastError(r.candidates[r.best.front()]) <= lastError(c));
        QVERIFY(!r.frontier.empty());
        QCOMPARE(r.frontier.front(), r.best.front());
        for (const size_t i : r.frontier)
            for (const vq::TuneCandidate& o2 : r.candidates)
                if (o2.trials.size() == 2)
                    QVERIFY(!(
                        o2.bitsPerParam < r.candidates[i].bitsPerParam && lastError(o2) < lastError(r.candidates[i])));

        // Measured on these 3000 rows (seed 7, 2 threads): the winner is pq d=1 bits=2 (scalar k-means per
        // column) at 2.021 bits and 0.0838 relative MSE on 1536 rows; the bound is 1.2x that.
        const vq::TuneCandidate& winner = r.candidates[r.best.front()];
        QVERIFY2(winner.spec.method != "rtn", winner.spec.toJson().dump().c_str());
        QVERIFY2(lastError(winner) < 0.1, QByteArray::number(lastError(winner)).constData());

        // The winner's trial is reproducible: the same fit on the same sample gives the same error.
        const std::vector<int64_t> rows = vq::sampleRows(table().rows, 1536, control.seed + 1);
        vq::Matrix sample(int64_t(rows.size()), table().cols);
        for (size_t i = 0; i < rows.size(); ++i)
            std::copy_n(table().row(rows[i]), table().cols, sample.row(int64_t(i)));
        vq::RunControl again;
        again.seed = control.seed;
        again.threads = 2;
        const vq::QuantizedTable refit
            = vq::quantizer(winner.spec.method).fit(vq::FitInput { sample, {} }, winner.spec, again);
        const double relMse = vq::computeReconstructionMetrics(sample, refit.decodeAll(), {}, again).weightedRelMse;
        QCOMPARE(relMse, lastError(winner));
    }

    // A target error: the winner reaches it with the fewest bits among the last round's that do.
    void targetSearch()
    {
        vq::TuneOptions o = smallSearch();
        o.maxBits = 4;
        o.targetRelMse = 0.15;
        vq::RunControl control;
        control.threads = 2;
        const vq::TuneResult r = vq::autoTune(table(), o, control);
        const vq::TuneCandidate& winner = r.candidates[r.best.front()];
        QVERIFY2(lastError(winner) <= o.targetRelMse, QByteArray::number(lastError(winner)).constData());
        for (const vq::TuneCandidate& c : r.candidates)
            if (c.trials.size() == r.sampleRows.size() && lastError(c) <= o.targetRelMse)
                QVERIFY(winner.bitsPerParam <= c.bitsPerParam);
        // For a target the spread covers the whole budget, not only its top.
        double fewest = INFINITY;
        for (const vq::TuneCandidate& c : r.candidates)
            fewest = std::min(fewest, c.bitsPerParam);
        QVERIFY(fewest < 0.5 * o.maxBits);
    }

    void cancel()
    {
        vq::RunControl control;
        control.threads = 2;
        std::atomic<int> reports { 0 };
        control.setProgressCallback([&](std::string_view, double) {
            if (++reports == 3)
                control.cancel();
        });
        QVERIFY_THROWS_EXCEPTION(vq::Cancelled, vq::autoTune(table(), smallSearch(), control));
        QVERIFY(reports >= 3);
    }

    void refusals()
    {
        const auto run = [](vq::TuneOptions o) { return [o] { vq::autoTune(table(), o, vq::nullRunControl()); }; };
        vq::TuneOptions o = smallSearch();
        o.maxBits = 0;
        expectRefused(run(o), "bit budget");
        o = smallSearch();
        o.maxBits = NAN;
        expectRefused(run(o), "bit budget");
        o = smallSearch();
        o.eta = 1;
        expectRefused(run(o), "eta");
        o = smallSearch();
        o.finalSample = 100;
        expectRefused(run(o), "smaller than the first");
        o = smallSearch();
        o.weights = { 1.0f, 2.0f };
        expectRefused(run(o), "token weights hold 2 values for a table of 3000 rows");
        o = smallSearch();
        o.methods = { "nope" };
        expectRefused(run(o), "nope");
        o = smallSearch();
        o.maxBits = 0.01;
        expectRefused(run(o), "costs at most 0.01");
    }
};

QTEST_GUILESS_MAIN(TestAutoTune)
#include "tst_autotune.moc"
