#include "common/error.h"
#include "explore/tokenpath.h"
#include "quant/methods/grvq.h"

#include "explorerfixtures.h"

#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace vq;

namespace {

const StoredArray& arr(const QuantizedTable& t, const char* name)
{
    return t.array(name);
}

// The partial decode of one row after `steps` decode steps, written from the stored arrays and the
// method's documented layout, without the method's code (CARVQ's adaptor output aside: it is the full
// decode minus the GRVQ part).
std::vector<double> manualPartial(const QuantizedTable& t, int64_t r, int steps)
{
    const std::string& m = t.spec.method;
    std::vector<double> x(static_cast<size_t>(t.dim), 0.0);
    if (m == "pq") {
        const int64_t d = t.spec.getInt("d"), k = int64_t(1) << t.spec.getInt("bits"), groups = t.dim / d;
        const int64_t books = t.spec.getBool("shared") ? 1 : groups;
        for (int64_t g = 0; steps > 0 && g < groups; ++g) {
            const int32_t c = arr(t, "codes").ints[size_t(r * groups + g)];
            for (int64_t j = 0; j < d; ++j)
                x[size_t(g * d + j)] = arr(t, "codebooks").floats[size_t(((g * books / groups) * k + c) * d + j)];
        }
        return x;
    }
    if (m == "grvq" || m == "carvq") {
        const int64_t h = t.spec.getInt("h"), k = int64_t(1) << t.spec.getInt("kappa"), groups = t.dim / h;
        const int R = int(t.spec.getInt("R"));
        const bool adaptorFirst = m == "carvq" && t.spec.getString("order") == "adaptor-first";
        const int stages = m == "grvq" ? steps : adaptorFirst ? std::max(0, steps - 1) : std::min(steps, R);
        for (int64_t g = 0; g < groups; ++g)
            for (int s = 0; s < stages; ++s) {
                const int32_t c = arr(t, "codes").ints[size_t((r * groups + g) * R + s)];
                for (int64_t j = 0; j < h; ++j)
                    x[size_t(g * h + j)] += arr(t, "codebooks").floats[size_t(((g * R + s) * k + c) * h + j)];
            }
        const bool withAdaptor = m == "carvq" && (adaptorFirst ? steps >= 1 : steps == R + 1);
        if (withAdaptor) {
            std::vector<float> full(size_t(t.dim)), grvq(size_t(t.dim));
            const int64_t ids[1] = { r };
            t.decodeRows(ids, full.data());
            GrvqQuantizer().decodeRows(t, ids, grvq.data());
            for (int64_t j = 0; j < t.dim; ++j)
                x[size_t(j)] += double(full[size_t(j)]) - grvq[size_t(j)];
        }
        return x;
    }
    if (m == "aqlm") {
        const int64_t g = t.spec.getInt("g"), k = int64_t(1) << t.spec.getInt("B"), groups = t.dim / g;
        const int M = int(t.spec.getInt("M"));
        const double scale = arr(t, "scales").floats[size_t(r)];
        for (int64_t p = 0; p < groups; ++p)
            for (int b = 0; b < steps; ++b) {
                const int32_t c = arr(t, "codes").ints[size_t((r * groups + p) * M + b)];
                for (int64_t j = 0; j < g; ++j)
                    x[size_t(p * g + j)] += scale * arr(t, "codebooks").floats[size_t((b * k + c) * g + j)];
            }
        return x;
    }
    // crvq
    const int64_t g = t.spec.getInt("g"), k = int64_t(1) << t.spec.getInt("b"), groups = t.dim / g;
    const int E = int(t.spec.getInt("E"));
    const bool rowAxis = t.spec.getString("axis") == "row";
    std::vector<double> y(size_t(t.dim), 0.0);
    for (int64_t p = 0; steps > 0 && p < groups; ++p) {
        const int32_t c = arr(t, "codes").ints[size_t(r * groups + p)];
        for (int64_t j = 0; j < g; ++j)
            y[size_t(p * g + j)] += arr(t, "codebooks").floats[size_t(c * g + j)];
    }
    int64_t m2 = -1, perRow = 0;
    if (rowAxis) {
        const std::vector<int32_t>& ids = arr(t, "rowIds").ints;
        const auto it = std::find(ids.begin(), ids.end(), int32_t(r));
        m2 = it == ids.end() ? -1 : it - ids.begin();
        perRow = groups;
    } else {
        m2 = r;
        perRow = int64_t(arr(t, "extCodes").ints.size()) / (t.rows * E);
    }
    for (int64_t p = 0; m2 >= 0 && p < perRow; ++p)
        for (int s = 0; s + 1 < steps; ++s) {
            const int32_t c = arr(t, "extCodes").ints[size_t((m2 * perRow + p) * E + s)];
            for (int64_t j = 0; j < g; ++j)
                y[size_t(p * g + j)] += arr(t, "extCodebooks").floats[size_t((s * k + c) * g + j)];
        }
    if (rowAxis)
        return y;
    const std::vector<int32_t>& perm = arr(t, "permutation").ints;
    for (int64_t j = 0; j < t.dim; ++j)
        x[size_t(perm[size_t(j)])] = y[size_t(j)];
    return x;
}

double residualNorm(const Matrix& e, int64_t r, const std::vector<double>& x)
{
    double s = 0;
    for (int64_t j = 0; j < e.cols; ++j) {
        const double d = e.at(r, j) - x[size_t(j)];
        s += d * d;
    }
    return std::sqrt(s);
}

} // namespace

class TestTokenPath : public QObject {
    Q_OBJECT

private slots:
    // Every step of the method's own partial decode against the stage-by-stage decode written here; the
    // last step is decodeRows() exactly.
    void residualsAfterEachStep_data() { vqtest::addExplorerRows(); }
    void residualsAfterEachStep()
    {
        QFETCH(QString, run);
        const QuantizedTable& t = vqtest::explorerRun(run.toStdString());
        const Matrix& e = vqtest::explorerTable();
        const Quantizer& method = quantizer(t.spec.method);
        const int steps = int(method.decodeSteps(t).size());
        const int expectedSteps = t.spec.method == "pq" ? 1
            : t.spec.method == "grvq"                   ? 3
            : t.spec.method == "carvq"                  ? 3
            : t.spec.method == "aqlm"                   ? 2
                                                        : 3;
        QCOMPARE(steps, expectedSteps);
        const std::vector<int64_t> rows { 0, 1, 17, 599, 1199 };
        for (const int64_t r : rows) {
            const TokenPath path = computeTokenPath(t, e, r);
            QCOMPARE(path.row, r);
            QCOMPARE(int(path.steps.size()), steps);
            QVERIFY(std::abs(path.norm - residualNorm(e, r, std::vector<double>(size_t(e.cols), 0.0))) < 1e-9);
            for (int s = 1; s <= steps; ++s) {
                const double expected = residualNorm(e, r, manualPartial(t, r, s));
                const double got = path.steps[size_t(s - 1)].residualNorm;
                if (std::abs(got - expected) > 1e-5 * std::max(1.0, expected))
                    QFAIL(qPrintable(QStringLiteral("row %1 step %2 (%3): residual %4, recomputed %5")
                                         .arg(r)
                                         .arg(s)
                                         .arg(QString::fromStdString(path.steps[size_t(s - 1)].label))
                                         .arg(got)
                                         .arg(expected)));
            }
            // All steps are the decoder's output, bit for bit; no step is the zero vector.
            std::vector<float> full(size_t(t.dim)), partial(size_t(t.dim));
            const int64_t ids[1] = { r };
            t.decodeRows(ids, full.data());
            method.decodePartial(t, ids, steps, partial.data());
            QVERIFY(full == partial);
            method.decodePartial(t, ids, 0, partial.data());
            QVERIFY(std::all_of(partial.begin(), partial.end(), [](float v) { return v == 0; }));
        }
        // The residual the whole path leaves is the run's per-token error.
        const TokenPath path = computeTokenPath(t, e, 5);
        std::vector<float> full(size_t(t.dim));
        const int64_t ids[1] = { 5 };
        t.decodeRows(ids, full.data());
        double err = 0;
        for (int64_t j = 0; j < t.dim; ++j)
            err += (double(e.at(5, j)) - full[size_t(j)]) * (double(e.at(5, j)) - full[size_t(j)]);
        QVERIFY(std::abs(path.steps.back().residualNorm - std::sqrt(err)) < 1e-12);
        QVERIFY_THROWS_EXCEPTION(Error, method.decodePartial(t, ids, steps + 1, full.data()));
    }

    // The codes of the path are the stored codes of the row.
    void codesOfTheRow()
    {
        const QuantizedTable& grvq = vqtest::explorerRun("grvq");
        const TokenPath p = computeTokenPath(grvq, vqtest::explorerTable(), 42);
        QCOMPARE(p.codes.size(), size_t(8 * 3));
        for (const TokenPath::Code& c : p.codes)
            QCOMPARE(c.code, grvq.array("codes").ints[size_t((42 * 8 + c.group) * 3 + c.stage)]);
        QVERIFY(!p.hasScale);

        const QuantizedTable& aqlm = vqtest::explorerRun("aqlm");
        const TokenPath a = computeTokenPath(aqlm, vqtest::explorerTable(), 42);
        QVERIFY(a.hasScale);
        QCOMPARE(a.scale, aqlm.array("scales").floats[42]);

        // CRVQ, row axis: extended codes only for the critical rows.
        const QuantizedTable& rows = vqtest::explorerRun("crvq-rows");
        const int32_t critical = rows.array("rowIds").ints.front();
        int64_t notCritical = 0;
        while (std::count(rows.array("rowIds").ints.begin(), rows.array("rowIds").ints.end(), notCritical))
            ++notCritical;
        QCOMPARE(computeTokenPath(rows, vqtest::explorerTable(), critical).codes.size(), size_t(8 + 8 * 2));
        QCOMPARE(computeTokenPath(rows, vqtest::explorerTable(), notCritical).codes.size(), size_t(8));
    }

    // Neighbours against a brute-force cosine ranking of the whole original and decoded tables.
    void neighbours_data() { vqtest::addExplorerRows(); }
    void neighbours()
    {
        QFETCH(QString, run);
        const QuantizedTable& t = vqtest::explorerRun(run.toStdString());
        const Matrix& e = vqtest::explorerTable();
        const Matrix d = t.decodeAll();
        const auto brute = [](const Matrix& m, int64_t q, int k) {
            std::vector<std::pair<double, int64_t>> c;
            double qn = 0;
            for (int64_t j = 0; j < m.cols; ++j)
                qn += double(m.at(q, j)) * m.at(q, j);
            for (int64_t r = 0; r < m.rows; ++r) {
                double dot = 0, n = 0;
                for (int64_t j = 0; j < m.cols; ++j) {
                    dot += double(m.at(q, j)) * m.at(r, j);
                    n += double(m.at(r, j)) * m.at(r, j);
                }
                if (r != q && n > 0)
                    c.push_back({ dot / std::sqrt(qn * n), r });
            }
            std::sort(c.begin(), c.end(),
                [](auto a, auto b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
            c.resize(static_cast<size_t>(k));
            return c;
        };
        for (const int64_t q : { int64_t(3), int64_t(250) }) {
            RunControl one;
            one.threads = 1;
            RunControl two;
            two.threads = 2;
            const TokenNeighbours n = computeTokenNeighbours(t, e, q, 10, one);
            const TokenNeighbours n2 = computeTokenNeighbours(t, e, q, 10, two);
            QCOMPARE(n.original, n2.original);
            QCOMPARE(n.reconstructed, n2.reconstructed);
            const auto ref = brute(e, q, 10);
            const auto rec = brute(d, q, 10);
            for (int i = 0; i < 10; ++i) {
                // Rows equal unless two cosines tie to float precision.
                QVERIFY(std::abs(n.originalCosine[size_t(i)] - ref[size_t(i)].first) < 1e-6);
                QVERIFY(std::abs(n.reconstructedCosine[size_t(i)] - rec[size_t(i)].first) < 1e-6);
                if (n.original[size_t(i)] != ref[size_t(i)].second)
                    QVERIFY(std::abs(ref[size_t(i)].first - ref[size_t(i + (i < 9 ? 1 : -1))].first) < 1e-6);
                if (n.reconstructed[size_t(i)] != rec[size_t(i)].second)
                    QVERIFY(std::abs(rec[size_t(i)].first - rec[size_t(i + (i < 9 ? 1 : -1))].first) < 1e-6);
            }
            for (const int64_t r : n.lost) {
                QVERIFY(std::count(n.original.begin(), n.original.end(), r) == 1);
                QVERIFY(std::count(n.reconstructed.begin(), n.reconstructed.end(), r) == 0);
            }
            QCOMPARE(n.lost.size(), n.gained.size());
        }
    }

    void refusesBadRequests()
    {
        const QuantizedTable& t = vqtest::explorerRun("pq");
        const Matrix& e = vqtest::explorerTable();
        QVERIFY_THROWS_EXCEPTION(Error, computeTokenPath(t, e, -1));
        QVERIFY_THROWS_EXCEPTION(Error, computeTokenPath(t, e, t.rows));
        QVERIFY_THROWS_EXCEPTION(Error, computeTokenPath(t, vqtest::sampleSlice(100, 32), 0));
        QVERIFY_THROWS_EXCEPTION(Error, computeTokenNeighbours(t, e, 0, 0, nullRunControl()));
        RunControl cancelled;
        cancelled.cancel();
        QVERIFY_THROWS_EXCEPTION(Cancelled, computeTokenNeighbours(t, e, 0, 5, cancelled));
    }
};

QTEST_GUILESS_MAIN(TestTokenPath)
#include "tst_tokenpath.moc"
