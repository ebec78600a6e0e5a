#include "common/error.h"
#include "io/npyreader.h"
#include "quant/methods/carvq.h"
#include "quant/methods/grvq.h"
#include "quant/registry.h"

#include "quantchecks.h"
#include "testutil.h"

#include <QTest>

#include <algorithm>
#include <cmath>

namespace {

// The first `rows` rows and 96 columns of the real GloVe table (groups of 8 divide 96).
vq::Matrix glove(int64_t rows)
{
    static const vq::Matrix all = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"), 4000, 96);
    vq::Matrix m(rows, 96);
    std::copy_n(all.values.begin(), rows * 96, m.values.begin());
    return m;
}

vq::QuantSpec carvq(nlohmann::json params)
{
    return { "carvq", std::move(params) };
}

// The GRVQ part alone of a carvq table (same codes and codebooks, no adaptor).
vq::Matrix grvqPart(const vq::QuantizedTable& t)
{
    vq::Matrix d(t.rows, t.dim);
    std::vector<int64_t> ids(static_cast<size_t>(t.rows));
    for (int64_t i = 0; i < t.rows; ++i)
        ids[static_cast<size_t>(i)] = i;
    vq::GrvqQuantizer().decodeRows(t, ids, d.values.data());
    return d;
}

double gelu(double x)
{
    return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

} // namespace

class TestCarvq : public QObject {
    Q_OBJECT
private slots:
    void registered() { QCOMPARE(QString::fromStdString(vq::quantizer("carvq").name()), QStringLiteral("carvq")); }

    void defaultsFitTheBudgetOnLlamaShape()
    {
        const vq::BitBudget b = vq::CarvqQuantizer().estimate(carvq({}), 128256, 2048);
        qInfo("default CARVQ on 128256 x 2048: %.4f bits/param", b.bitsPerParam());
        QVERIFY(b.bitsPerParam() <= 1.6);
        QCOMPARE(b.items.size(), size_t(8));
        QCOMPARE(b.items[2].bits, uint64_t(128256) * 16 * 4); // sigma_0, int4
        QCOMPARE(b.items[3].bits, uint64_t(128256) * 16); // row scales
        QCOMPARE(b.items[6].bits, uint64_t(2048) * 64 * 16); // w2
        const double r4 = vq::CarvqQuantizer().estimate(carvq({ { "R", 4 } }), 128256, 2048).bitsPerParam();
        QVERIFY(r4 > 2.0 && r4 <= 2.1);
    }

    void estimateMatchesFit_data()
    {
        QTest::addColumn<QString>("params");
        QTest::newRow("defaults") << R"({"epochs": 2, "fineTuneEpochs": 1})";
        QTest::newRow("int8 m8 w32 silu") << R"({"sigma0": "int8", "m": 8, "width": 32, "activation": "silu",
                                                "epochs": 2, "fineTuneEpochs": 0})";
        QTest::newRow("shared bf16 adaptor-first")
            << R"({"shared": true, "codebook": "bf16", "order": "adaptor-first", "epochs": 2})";
    }
    void estimateMatchesFit()
    {
        QFETCH(QString, params);
        vqtest::checkEstimateMatchesFit(
            vq::CarvqQuantizer(), glove(1000), carvq(nlohmann::json::parse(params.toStdString())));
    }

    void ordersAndTheAdaptorsGain()
    {
        const vq::Matrix e = glove(4000);
        // grvq-first keeps plain GRVQ codes: the adaptor's gain over the same codes shows directly.
        const vq::QuantizedTable g
            = vqtest::fitWith(vq::CarvqQuantizer(), e, carvq({ { "order", "grvq-first" }, { "epochs", 20 } }), 1, 2);
        const double base = vqtest::relativeMse(e, grvqPart(g));
        const double grvqFirst = vqtest::relativeMse(e, g.decodeAll());
        const double adaptorFirst = vqtest::relativeMse(
            e, vqtest::fitWith(vq::CarvqQuantizer(), e, carvq({ { "epochs", 20 } }), 1, 2).decodeAll());
        qInfo("relMSE: GRVQ codes alone %.5f, grvq-first %.5f, adaptor-first (default) %.5f", base, grvqFirst,
            adaptorFirst);
        // measured at 20 epochs on the bundled float16 sample: GRVQ codes alone 0.1365, grvq-first 0.1312 (ratio
        // 0.961), adaptor-first 0.1248 (ratio 0.951 to grvq-first; 2.5% under the 0.128 bound). On the float32
        // table: 0.1362, 0.1310, 0.1244, and at the default 40 epochs 0.1252 and 0.1113.
        QVERIFY(base > 0.13);
        QVERIFY(grvqFirst < 0.975 * base);
        QVERIFY(adaptorFirst < 0.97 * grvqFirst);
        QVERIFY(adaptorFirst <= 0.128);
    }

    void refinementRoundHelps()
    {
        const vq::Matrix e = glove(2000);
        const nlohmann::json p = { { "order", "grvq-first" }, { "epochs", 10 } };
        nlohmann::json withRound = p;
        withRound["rounds"] = 1;
        const double plain
            = vqtest::relativeMse(e, vqtest::fitWith(vq::CarvqQuantizer(), e, carvq(p), 1, 2).decodeAll());
        const double refined
            = vqtest::relativeMse(e, vqtest::fitWith(vq::CarvqQuantizer(), e, carvq(withRound), 1, 2).decodeAll());
        qInfo("relMSE grvq-first %.5f, with 1 round %.5f", plain, refined);
        QVERIFY(refined < 0.985 * plain); // measured: 0.1115, with 1 round 0.1079 (ratio 0.968)
    }

    void int8BeatsInt4()
    {
        const vq::Matrix e = glove(2000);
        const nlohmann::json p = { { "epochs", 10 } };
        nlohmann::json p8 = p;
        p8["sigma0"] = "int8";
        const double int4
            = vqtest::relativeMse(e, vqtest::fitWith(vq::CarvqQuantizer(), e, carvq(p), 1, 2).decodeAll());
        const double int8
            = vqtest::relativeMse(e, vqtest::fitWith(vq::CarvqQuantizer(), e, carvq(p8), 1, 2).decodeAll());
        qInfo("relMSE int4 %.5f, int8 %.5f", int4, int8);
        QVERIFY(int8 < int4); // measured: int4 0.10972, int8 0.10941
    }

    void storedAdaptorDecodesAsReported()
    {
        const vq::Matrix e = glove(1500);
        const vq::QuantizedTable t
            = vqtest::fitWith(vq::CarvqQuantizer(), e, carvq({ { "epochs", 10 }, { "m", 8 }, { "width", 16 } }), 4, 2);
        for (const vq::StoredArray& a : t.arrays)
            a.check();
        QCOMPARE(t.array("adaptor/sigma0").shape, (std::vector<int64_t> { 1500, 8 }));
        QCOMPARE(t.array("adaptor/sigma0").bitWidth, 4);
        QCOMPARE(t.array("adaptor/w1").shape, (std::vector<int64_t> { 16, 8 }));
        QCOMPARE(t.array("adaptor/w2").shape, (std::vector<int64_t> { 96, 16 }));
        // Recompute gamma from the stored arrays here, in double: W2 gelu(W1 (q * s) + b1) + b2.
        const vq::Matrix d = t.decodeAll();
        const vq::Matrix base = grvqPart(t);
        const auto& q = t.array("adaptor/sigma0").ints;
        const auto& s = t.array("adaptor/sigma0_scale").floats;
        const auto& w1 = t.array("adaptor/w1").floats;
        const auto& b1 = t.array("adaptor/b1").floats;
        const auto& w2 = t.array("adaptor/w2").floats;
        const auto& b2 = t.array("adaptor/b2").floats;
        double sq = 0, maxDiff = 0, gammaNorm = 0;
        for (int64_t r = 0; r < 1500; ++r) {
            double hid[16];
            for (int j = 0; j < 16; ++j) {
                double v = b1[size_t(j)];
                for (int k = 0; k < 8; ++k)
                    v += double(w1[size_t(j * 8 + k)]) * (double(q[size_t(r * 8 + k)]) * s[size_t(r)]);
                hid[j] = gelu(v);
            }
            for (int c = 0; c < 96; ++c) {
                double g = b2[size_t(c)];
                for (int j = 0; j < 16; ++j)
                    g += double(w2[size_t(c * 16 + j)]) * hid[j];
                gammaNorm += g * g;
                const double expected = base.at(r, c) + g;
                maxDiff = std::max(maxDiff, std::abs(expected - d.at(r, c)));
                sq += (e.at(r, c) - double(d.at(r, c))) * (e.at(r, c) - double(d.at(r, c)));
            }
        }
        QVERIFY(gammaNorm > 0);
        QVERIFY2(maxDiff < 1e-4, qPrintable(QString::number(maxDiff)));
        const double reported = t.info.at("encodedSquaredError").get<double>();
        QVERIFY2(std::abs(sq - reported) <= 1e-9 * sq, qPrintable(QStringLiteral("%1 vs %2").arg(sq).arg(reported)));
        QVERIFY(reported < t.info.at("grvqSquaredError").get<double>());
    }

    void deterministicAcrossRunsAndThreads()
    {
        const vq::Matrix e = glove(1500);
        const vq::QuantSpec spec = carvq({ { "epochs", 3 }, { "rounds", 1 }, { "fineTuneEpochs", 2 } });
        vqtest::checkDeterministic(vq::CarvqQuantizer(), e, spec, 3, 2);
        const std::string diff = vqtest::arrayDifference(
            vqtest::fitWith(vq::CarvqQuantizer(), e, spec, 3, 1), vqtest::fitWith(vq::CarvqQuantizer(), e, spec, 3, 2));
        QVERIFY2(diff.empty(), diff.c_str());
        QVERIFY(!vqtest::arrayDifference(
            vqtest::fitWith(vq::CarvqQuantizer(), e, spec, 4, 2), vqtest::fitWith(vq::CarvqQuantizer(), e, spec, 3, 2))
                     .empty());
    }

    void refusesBadParameters_data()
    {
        QTest::addColumn<QString>("params");
        QTest::newRow("m larger than the row") << R"({"m": 64, "h": 4})"; // on 48 columns below
        QTest::newRow("m 3") << R"({"m": 3})";
        QTest::newRow("m 65") << R"({"m": 65})";
        QTest::newRow("width 2048") << R"({"width": 2048})";
        QTest::newRow("MLP larger than the table") << R"({"width": 1024})";
        QTest::newRow("epochs 0") << R"({"epochs": 0})";
        QTest::newRow("batch 8") << R"({"batch": 8})";
        QTest::newRow("int2 sigma0") << R"({"sigma0": "int2"})";
        QTest::newRow("relu") << R"({"activation": "relu"})";
        QTest::newRow("unknown order") << R"({"order": "together"})";
        QTest::newRow("h does not divide") << R"({"h": 7})";
        QTest::newRow("lr 0") << R"({"lr": 0})";
    }
    void refusesBadParameters()
    {
        QFETCH(QString, params);
        const vq::QuantSpec spec = carvq(nlohmann::json::parse(params.toStdString()));
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::CarvqQuantizer().estimate(spec, 100, 48));
        vq::Matrix e(100, 48);
        std::copy_n(glove(100).values.begin(), 100 * 48, e.values.begin());
        vq::RunControl control;
        int reports = 0;
        control.setProgressCallback([&](std::string_view, double) { ++reports; });
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::CarvqQuantizer().fit({ e, {} }, spec, control));
        QCOMPARE(reports, 0); // refused before any work
    }

    void honoursCancel_data()
    {
        QTest::addColumn<QString>("stage");
        QTest::newRow("grvq") << "grvq";
        QTest::newRow("adaptor") << "adaptor";
        QTest::newRow("refine") << "refine";
    }
    void honoursCancel()
    {
        QFETCH(QString, stage);
        const vq::Matrix e = glove(2000);
        vq::RunControl control;
        const std::string prefix = stage.toStdString();
        bool seen = false;
        control.setProgressCallback([&](std::string_view s, double f) {
            if (s.substr(0, prefix.size()) == prefix && f > 0.2) {
                seen = true;
                control.cancel();
            }
        });
        QVERIFY_THROWS_EXCEPTION(
            vq::Cancelled, vq::CarvqQuantizer().fit({ e, {} }, carvq({ { "rounds", 1 }, { "epochs", 5 } }), control));
        QVERIFY(seen);
    }
};

QTEST_GUILESS_MAIN(TestCarvq)
#include "tst_carvq.moc"
