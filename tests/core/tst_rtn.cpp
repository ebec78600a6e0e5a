#include "common/error.h"
#include "common/halffloat.h"
#include "quant/methods/rtn.h"
#include "quant/registry.h"
#include "quantchecks.h"
#include "testutil.h"

#include <QTest>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <vector>

namespace {

// The first 4000 rows (most frequent words) of the real GloVe table: 400k values, enough for stable
// error figures and fast in a test.
const vq::Matrix& glove()
{
    static const vq::Matrix m = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"), 4000);
    return m;
}

vq::QuantSpec rtnSpec(int bits, int group, const char* mode)
{
    return { "rtn", { { "bits", bits }, { "group", group }, { "mode", mode } } };
}

double fitRelMse(const vq::QuantSpec& spec)
{
    const vq::QuantizedTable t = vqtest::fitWith(vq::quantizer("rtn"), glove(), spec, 1, 0);
    return vqtest::relativeMse(glove(), t.decodeAll());
}

} // namespace

class TestRtn : public QObject {
    Q_OBJECT
private slots:
    void errorOnGlove_data()
    {
        QTest::addColumn<int>("bits");
        QTest::addColumn<int>("group");
        QTest::addColumn<QString>("mode");
        QTest::addColumn<double>("maxRelMse");
        // Bounds: relMSE measured on glove-20k rows 0..3999 of the float32 table plus 2%, rounded up. Measured
        // again on the bundled float16 sample (noted after each row): values moved by 0.44% at most, and the
        // bounds keep 2.0-2.7% headroom.
        // Symmetric 2 bits has only 3 levels, hence its large error.
        QTest::addRow("sym g0 2 bits") << 2 << 0 << QStringLiteral("sym") << 0.66; // 0.6467
        QTest::addRow("sym g0 3 bits") << 3 << 0 << QStringLiteral("sym") << 0.119; // 0.1159
        QTest::addRow("sym g0 4 bits") << 4 << 0 << QStringLiteral("sym") << 0.0218; // 0.02137
        QTest::addRow("sym g0 5 bits") << 5 << 0 << QStringLiteral("sym") << 0.00477; // 0.004667
        QTest::addRow("sym g0 6 bits") << 6 << 0 << QStringLiteral("sym") << 0.00112; // 0.001093
        QTest::addRow("sym g0 7 bits") << 7 << 0 << QStringLiteral("sym") << 0.00027; // 0.0002642
        QTest::addRow("sym g0 8 bits") << 8 << 0 << QStringLiteral("sym") << 6.64e-05; // 6.507e-05
        QTest::addRow("sym g50 2 bits") << 2 << 50 << QStringLiteral("sym") << 0.535; // 0.5241
        QTest::addRow("sym g50 3 bits") << 3 << 50 << QStringLiteral("sym") << 0.0814; // 0.07977
        QTest::addRow("sym g50 4 bits") << 4 << 50 << QStringLiteral("sym") << 0.0151; // 0.01472
        QTest::addRow("sym g50 5 bits") << 5 << 50 << QStringLiteral("sym") << 0.00329; // 0.003217
        QTest::addRow("sym g50 6 bits") << 6 << 50 << QStringLiteral("sym") << 0.000767; // 0.0007515
        QTest::addRow("sym g50 7 bits") << 7 << 50 << QStringLiteral("sym") << 0.000186; // 0.000182
        QTest::addRow("sym g50 8 bits") << 8 << 50 << QStringLiteral("sym") << 4.58e-05; // 4.485e-05
        QTest::addRow("sym g20 2 bits") << 2 << 20 << QStringLiteral("sym") << 0.395; // 0.3869
        QTest::addRow("sym g20 3 bits") << 3 << 20 << QStringLiteral("sym") << 0.0532; // 0.05215
        QTest::addRow("sym g20 4 bits") << 4 << 20 << QStringLiteral("sym") << 0.00979; // 0.009596
        QTest::addRow("sym g20 5 bits") << 5 << 20 << QStringLiteral("sym") << 0.00214; // 0.002093
        QTest::addRow("sym g20 6 bits") << 6 << 20 << QStringLiteral("sym") << 0.000499; // 0.0004889
        QTest::addRow("sym g20 7 bits") << 7 << 20 << QStringLiteral("sym") << 0.000121; // 0.0001182
        QTest::addRow("sym g20 8 bits") << 8 << 20 << QStringLiteral("sym") << 2.99e-05; // 2.925e-05
        QTest::addRow("sym g10 2 bits") << 2 << 10 << QStringLiteral("sym") << 0.286; // 0.2797
        QTest::addRow("sym g10 3 bits") << 3 << 10 << QStringLiteral("sym") << 0.0357; // 0.03491
        QTest::addRow("sym g10 4 bits") << 4 << 10 << QStringLiteral("sym") << 0.00656; // 0.00643
        QTest::addRow("sym g10 5 bits") << 5 << 10 << QStringLiteral("sym") << 0.00143; // 0.0014
        QTest::addRow("sym g10 6 bits") << 6 << 10 << QStringLiteral("sym") << 0.000334; // 0.0003273
        QTest::addRow("sym g10 7 bits") << 7 << 10 << QStringLiteral("sym") << 8.08e-05; // 7.916e-05
        QTest::addRow("sym g10 8 bits") << 8 << 10 << QStringLiteral("sym") << 2.01e-05; // 1.961e-05
        QTest::addRow("asym g0 2 bits") << 2 << 0 << QStringLiteral("asym") << 0.351; // 0.3436
        QTest::addRow("asym g0 3 bits") << 3 << 0 << QStringLiteral("asym") << 0.0641; // 0.0628
        QTest::addRow("asym g0 4 bits") << 4 << 0 << QStringLiteral("asym") << 0.014; // 0.01365
        QTest::addRow("asym g0 5 bits") << 5 << 0 << QStringLiteral("asym") << 0.00326; // 0.003194
        QTest::addRow("asym g0 6 bits") << 6 << 0 << QStringLiteral("asym") << 0.000791; // 0.0007751
        QTest::addRow("asym g0 7 bits") << 7 << 0 << QStringLiteral("asym") << 0.000195; // 0.0001904
        QTest::addRow("asym g0 8 bits") << 8 << 0 << QStringLiteral("asym") << 4.82e-05; // 4.723e-05
        QTest::addRow("asym g50 2 bits") << 2 << 50 << QStringLiteral("asym") << 0.24; // 0.2346
        QTest::addRow("asym g50 3 bits") << 3 << 50 << QStringLiteral("asym") << 0.0438; // 0.04287
        QTest::addRow("asym g50 4 bits") << 4 << 50 << QStringLiteral("asym") << 0.00953; // 0.009331
        QTest::addRow("asym g50 5 bits") << 5 << 50 << QStringLiteral("asym") << 0.00223; // 0.002184
        QTest::addRow("asym g50 6 bits") << 6 << 50 << QStringLiteral("asym") << 0.000542; // 0.0005309
        QTest::addRow("asym g50 7 bits") << 7 << 50 << QStringLiteral("asym") << 0.000134; // 0.0001306
        QTest::addRow("asym g50 8 bits") << 8 << 50 << QStringLiteral("asym") << 3.31e-05; // 3.239e-05
        QTest::addRow("asym g20 2 bits") << 2 << 20 << QStringLiteral("asym") << 0.145; // 0.1418
        QTest::addRow("asym g20 3 bits") << 3 << 20 << QStringLiteral("asym") << 0.0262; // 0.02561
        QTest::addRow("asym g20 4 bits") << 4 << 20 << QStringLiteral("asym") << 0.00572; // 0.0056
        QTest::addRow("asym g20 5 bits") << 5 << 20 << QStringLiteral("asym") << 0.00135; // 0.001314
        QTest::addRow("asym g20 6 bits") << 6 << 20 << QStringLiteral("asym") << 0.000324; // 0.0003175
        QTest::addRow("asym g20 7 bits") << 7 << 20 << QStringLiteral("asym") << 8.02e-05; // 7.846e-05
        QTest::addRow("asym g20 8 bits") << 8 << 20 << QStringLiteral("asym") << 1.99e-05; // 1.946e-05
        QTest::addRow("asym g10 2 bits") << 2 << 10 << QStringLiteral("asym") << 0.0842; // 0.08242
        QTest::addRow("asym g10 3 bits") << 3 << 10 << QStringLiteral("asym") << 0.0153; // 0.01497
        QTest::addRow("asym g10 4 bits") << 4 << 10 << QStringLiteral("asym") << 0.00334; // 0.003265
        QTest::addRow("asym g10 5 bits") << 5 << 10 << QStringLiteral("asym") << 0.000781; // 0.0007646
        QTest::addRow("asym g10 6 bits") << 6 << 10 << QStringLiteral("asym") << 0.000189; // 0.0001848
        QTest::addRow("asym g10 7 bits") << 7 << 10 << QStringLiteral("asym") << 4.66e-05; // 4.555e-05
        QTest::addRow("asym g10 8 bits") << 8 << 10 << QStringLiteral("asym") << 1.17e-05; // 1.139e-05
    }
    void errorOnGlove()
    {
        QFETCH(int, bits);
        QFETCH(int, group);
        QFETCH(QString, mode);
        QFETCH(double, maxRelMse);
        const double rel = fitRelMse(rtnSpec(bits, group, mode.toLatin1().constData()));
        qInfo("relMSE %.4g (bound %.4g)", rel, maxRelMse);
        QVERIFY2(rel <= maxRelMse, qPrintable(QStringLiteral("relMSE %1 > %2").arg(rel).arg(maxRelMse)));
        QVERIFY(rel > 0);
    }
    void errorFallsWithEveryBit_data()
    {
        QTest::addColumn<int>("group");
        QTest::addColumn<QString>("mode");
        for (const char* mode : { "sym", "asym" })
            for (int group : { 0, 20 })
                QTest::addRow("%s g%d", mode, group) << group << QString::fromLatin1(mode);
    }
    void errorFallsWithEveryBit()
    {
        QFETCH(int, group);
        QFETCH(QString, mode);
        double previous = fitRelMse(rtnSpec(2, group, mode.toLatin1().constData()));
        for (int bits = 3; bits <= 8; ++bits) {
            const double rel = fitRelMse(rtnSpec(bits, group, mode.toLatin1().constData()));
            qInfo("%d bits: ratio %.3f", bits, rel / previous);
            // An extra bit halves the step: about a quarter of the error (measured ratios 0.135 to 0.248).
            QVERIFY2(rel < 0.3 * previous,
                qPrintable(QStringLiteral("%1 bits: %2 after %3").arg(bits).arg(rel).arg(previous)));
            previous = rel;
        }
    }

    void bitsAreExact_data()
    {
        QTest::addColumn<int>("bits");
        QTest::addColumn<int>("group");
        QTest::addColumn<QString>("mode");
        QTest::addColumn<double>("bitsPerParam");
        QTest::newRow("int4 row sym") << 4 << 0 << QStringLiteral("sym") << 4.16; // 4 + 16/100
        QTest::newRow("int4 g20 sym") << 4 << 20 << QStringLiteral("sym") << 4.8;
        QTest::newRow("int8 g50 asym") << 8 << 50 << QStringLiteral("asym") << 8.64; // 8 + 32/50
        QTest::newRow("int2 g10 asym") << 2 << 10 << QStringLiteral("asym") << 5.2;
        QTest::newRow("int3 g25 sym") << 3 << 25 << QStringLiteral("sym") << 3.64;
    }
    void bitsAreExact()
    {
        QFETCH(int, bits);
        QFETCH(int, group);
        QFETCH(QString, mode);
        QFETCH(double, bitsPerParam);
        const vq::QuantSpec spec = rtnSpec(bits, group, mode.toLatin1().constData());
        const vq::QuantizedTable t = vqtest::fitWith(vq::quantizer("rtn"), glove(), spec, 1, 0);
        const int64_t params = glove().rows * glove().cols;
        const int64_t g = group ? group : glove().cols;
        const int64_t perGroup = mode == QStringLiteral("sym") ? 16 : 32;
        QCOMPARE(t.bits().totalBits(), static_cast<uint64_t>(params * bits + params / g * perGroup));
        QVERIFY(std::fabs(t.bits().bitsPerParam() - bitsPerParam) < 1e-12);
        vqtest::checkEstimateMatchesFit(vq::quantizer("rtn"), glove(), spec);
    }

    void knownCodes()
    {
        vq::Matrix e(2, 4);
        e.values = { 7.0f, -3.5f, 1.0f, 0.0f, -1.0f, 0.0f, 1.0f, 2.0f };
        const vq::QuantizedTable sym = vqtest::fitWith(vq::quantizer("rtn"), e, rtnSpec(4, 0, "sym"), 1, 1);
        // row 0: s = 7/7 = 1, -3.5 rounds away from zero; row 1: s = fp16(2/7)
        QCOMPARE(sym.array("codes").ints, (std::vector<int32_t> { 7, -4, 1, 0, -4, 0, 4, 7 }));
        QCOMPARE(sym.array("scales").floats, (std::vector<float> { 1.0f, vq::roundToHalf(2.0f / 7.0f) }));
        const vq::QuantizedTable asym = vqtest::fitWith(vq::quantizer("rtn"), e, rtnSpec(2, 2, "asym"), 1, 1);
        // groups {7,-3.5}: m = -3.5, s = 10.5/3 = 3.5; {1,0}: m = 0, s = fp16(1/3); {-1,0}; {1,2}
        QCOMPARE(asym.array("codes").ints, (std::vector<int32_t> { 3, 0, 3, 0, 0, 3, 0, 3 }));
        QCOMPARE(asym.array("mins").floats, (std::vector<float> { -3.5f, 0.0f, -1.0f, 1.0f }));
        QCOMPARE(asym.array("scales").floats[0], 3.5f);
        QCOMPARE(asym.array("scales").floats[1], vq::roundToHalf(1.0f / 3.0f));
        const vq::Matrix d = asym.decodeAll();
        QCOMPARE(d.at(0, 0), 7.0f);
        QCOMPARE(d.at(0, 1), -3.5f);
        QCOMPARE(d.at(1, 3), 1.0f + vq::roundToHalf(1.0f / 3.0f) * 3.0f);
    }

    void scalesAreFp16AndDecodeIsExact_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::newRow("sym") << QStringLiteral("sym");
        QTest::newRow("asym") << QStringLiteral("asym");
    }
    void scalesAreFp16AndDecodeIsExact()
    {
        QFETCH(QString, mode);
        const bool sym = mode == QStringLiteral("sym");
        const vq::QuantizedTable t
            = vqtest::fitWith(vq::quantizer("rtn"), glove(), rtnSpec(5, 20, sym ? "sym" : "asym"), 1, 0);
        for (const auto& a : t.arrays)
            a.check(); // fp16 arrays hold exact fp16 values, codes fit their bits
        const auto& q = t.array("codes").ints;
        const auto& s = t.array("scales").floats;
        const vq::Matrix d = t.decodeAll();
        for (int64_t r = 0; r < t.rows; ++r) {
            for (int64_t j = 0; j < t.dim; ++j) {
                const size_t g = static_cast<size_t>(r * 5 + j / 20);
                const float qf = static_cast<float>(q[static_cast<size_t>(r * t.dim + j)]);
                const float expected = sym ? s[g] * qf : t.array("mins").floats[g] + s[g] * qf;
                if (d.at(r, j) != expected)
                    QFAIL(qPrintable(
                        QStringLiteral("row %1 col %2: %3 != %4").arg(r).arg(j).arg(d.at(r, j)).arg(expected)));
            }
        }
        if (sym) { // the scale is the fp16 rounding of max|x| / 15
            for (int64_t r = 0; r < 50; ++r) {
                float amax = 0;
                for (int64_t j = 0; j < 20; ++j)
                    amax = std::max(amax, std::fabs(glove().at(r, j)));
                QCOMPARE(s[static_cast<size_t>(r * 5)], vq::roundToHalf(amax / 15.0f));
            }
        }
    }

    void requantizingIsIdempotent_data()
    {
        QTest::addColumn<int>("bits");
        QTest::addColumn<int>("group");
        QTest::addColumn<QString>("mode");
        for (const char* mode : { "sym", "asym" })
            for (int bits : { 2, 4, 8 })
                for (int group : { 0, 10 })
                    QTest::addRow("%s %d bits g%d", mode, bits, group) << bits << group << QString::fromLatin1(mode);
    }
    void requantizingIsIdempotent()
    {
        QFETCH(int, bits);
        QFETCH(int, group);
        QFETCH(QString, mode);
        const vq::QuantSpec spec = rtnSpec(bits, group, mode.toLatin1().constData());
        const vq::QuantizedTable first = vqtest::fitWith(vq::quantizer("rtn"), glove(), spec, 1, 0);
        const vq::QuantizedTable second = vqtest::fitWith(vq::quantizer("rtn"), first.decodeAll(), spec, 1, 0);
        const std::string diff = vqtest::arrayDifference(first, second);
        QVERIFY2(diff.empty(), diff.c_str());
    }

    void deterministic()
    {
        for (const char* mode : { "sym", "asym" }) {
            for (int threads : { 1, 2 }) {
                vqtest::checkDeterministic(vq::quantizer("rtn"), glove(), rtnSpec(4, 20, mode), 7, threads);
                if (QTest::currentTestFailed())
                    return;
            }
            // RTN has no randomness: thread count does not matter either.
            const auto one = vqtest::fitWith(vq::quantizer("rtn"), glove(), rtnSpec(4, 20, mode), 7, 1);
            const auto two = vqtest::fitWith(vq::quantizer("rtn"), glove(), rtnSpec(4, 20, mode), 7, 2);
            QVERIFY(vqtest::arrayDifference(one, two).empty());
        }
    }

    void refusesBadSpecs_data()
    {
        QTest::addColumn<QString>("params");
        QTest::addColumn<QString>("needle");
        QTest::newRow("group does not divide")
            << QStringLiteral(R"({"group":30})") << QStringLiteral("'group' = 30 does not divide the row length 100");
        QTest::newRow("bits too high") << QStringLiteral(R"({"bits":9})") << QStringLiteral("'bits' = 9");
        QTest::newRow("bits too low") << QStringLiteral(R"({"bits":1})") << QStringLiteral("[2, 8]");
        QTest::newRow("mode") << QStringLiteral(R"({"mode":"signed"})") << QStringLiteral("'mode'");
        QTest::newRow("negative group") << QStringLiteral(R"({"group":-4})") << QStringLiteral("'group' = -4");
    }
    void refusesBadSpecs()
    {
        QFETCH(QString, params);
        QFETCH(QString, needle);
        const vq::QuantSpec spec { "rtn", nlohmann::json::parse(params.toStdString()) };
        for (int pass = 0; pass < 2; ++pass) {
            try {
                if (pass == 0)
                    vq::quantizer("rtn").estimate(spec, 20, 100);
                else
                    vqtest::fitWith(vq::quantizer("rtn"), glove(), spec, 1, 0);
                QFAIL("expected an error");
            } catch (const vq::Error& e) {
                QCOMPARE(e.kind(), vq::ErrorKind::InvalidArgument);
                QVERIFY2(std::string(e.what()).find(needle.toStdString()) != std::string::npos, e.what());
            }
        }
    }

    void refusesNonFiniteValues()
    {
        vq::Matrix e(3, 4);
        e.at(2, 1) = std::nanf("");
        try {
            vqtest::fitWith(vq::quantizer("rtn"), e, rtnSpec(4, 0, "sym"), 1, 1);
            QFAIL("expected an error");
        } catch (const vq::Error& err) {
            QCOMPARE(err.kind(), vq::ErrorKind::InvalidArgument);
            QVERIFY2(std::string(err.what()).find("row 2, column 1") != std::string::npos, err.what());
        }
    }

    void reportsProgressAndCancels()
    {
        vq::RunControl control;
        std::atomic<int> reports { 0 };
        std::atomic<bool> finished { false };
        std::atomic<bool> otherStage { false };
        // Called from worker threads: record only, assert afterwards.
        control.setProgressCallback([&](std::string_view stage, double fraction) {
            if (stage != "rtn: quantize")
                otherStage = true;
            ++reports;
            if (fraction == 1.0)
                finished = true;
        });
        vq::quantizer("rtn").fit(vq::FitInput { glove(), {} }, rtnSpec(4, 0, "sym"), control);
        QVERIFY(!otherStage);
        QVERIFY(reports > 1);
        QVERIFY(finished);

        // cancelled while running: the first progress report after a block raises the flag
        vq::RunControl midway;
        midway.threads = 1;
        midway.setProgressCallback([&](std::string_view, double f) {
            if (f > 0)
                midway.cancel();
        });
        QVERIFY_THROWS_EXCEPTION(
            vq::Cancelled, vq::quantizer("rtn").fit(vq::FitInput { glove(), {} }, rtnSpec(4, 0, "sym"), midway));

        vq::RunControl cancelled;
        cancelled.cancel();
        QVERIFY_THROWS_EXCEPTION(
            vq::Cancelled, vq::quantizer("rtn").fit(vq::FitInput { glove(), {} }, rtnSpec(4, 0, "sym"), cancelled));
    }

    void presetsAreValid()
    {
        const auto presets = vq::quantizer("rtn").presets();
        QVERIFY(presets.size() >= 3);
        for (const auto& p : presets) {
            const int64_t group = p.spec.getInt("group");
            const int64_t dim = group ? group * 16 : 4096;
            const vq::BitBudget b = vq::quantizer("rtn").estimate(p.spec, 1000, dim);
            QCOMPARE(b.bitsPerParam(),
                static_cast<double>(p.spec.getInt("bits")) + 16.0 / static_cast<double>(group ? group : dim));
        }
    }
};

QTEST_GUILESS_MAIN(TestRtn)
#include "tst_rtn.moc"
