#include "common/error.h"
#include "io/ggufreader.h"
#include "quant/methods/ggmlblock.h"
#include "quant/registry.h"
#include "quantchecks.h"
#include "testutil.h"

#include <QTest>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

// The first 96 columns (3 blocks of 32) of the real table.
const vq::Matrix& glove()
{
    static const vq::Matrix m = vqtest::readNpySlice(vqtest::sharedPath("glove-20k.npy"), 4000, 96);
    return m;
}

bool sameBits(const vq::Matrix& a, const vq::Matrix& b)
{
    return a.rows == b.rows && a.cols == b.cols
        && std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(float)) == 0;
}

const char* const kBlockMethods[]
    = { "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_K", "q3_K", "q4_K", "q5_K", "q6_K", "iq4_nl", "iq4_xs" };

std::string importanceFixture()
{
    return vqtest::dataPath("ggml/imatrix-256.npy");
}

const vq::GgmlBlockQuantizer& blockMethod(const QString& name)
{
    return dynamic_cast<const vq::GgmlBlockQuantizer&>(vq::quantizer(name.toStdString()));
}

// The method's spec with the importance vector when it takes one.
vq::QuantSpec withImportance(const vq::Quantizer& q, const std::string& path)
{
    vq::QuantSpec spec { q.name(), nlohmann::json::object() };
    if (q.schema().find("importance"))
        spec.params["importance"] = path;
    return spec;
}

} // namespace

class TestGgmlBlock : public QObject {
    Q_OBJECT
private slots:
    // The fixtures were written by llama.cpp's gguf-py from the same 512 x 96 reference values: quantizing
    // through the method and decoding its stored arrays must give gguf-py's dequantized values exactly.
    void reproducesLlamaCppFixtures_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("rounding");
        QTest::addColumn<QString>("expected");
        QTest::newRow("q8_0") << QStringLiteral("q8_0") << QString() << QStringLiteral("expected-q8_0.npy");
        QTest::newRow("q4_0 separate") << QStringLiteral("q4_0") << QStringLiteral("separate")
                                       << QStringLiteral("expected-q4_0.npy");
        QTest::newRow("q4_0 fused") << QStringLiteral("q4_0") << QStringLiteral("fused")
                                    << QStringLiteral("expected-q4_0.npy");
    }
    void reproducesLlamaCppFixtures()
    {
        QFETCH(QString, method);
        QFETCH(QString, rounding);
        QFETCH(QString, expected);
        const vq::Matrix reference = vqtest::readNpySlice(vqtest::dataPath("reference-512x100-f32.npy"), -1, 96);
        const vq::Matrix want = vqtest::readNpySlice(vqtest::dataPath(expected.toStdString()));
        QCOMPARE(want.rows, int64_t(512));
        QCOMPARE(want.cols, int64_t(96));
        vq::QuantSpec spec { method.toStdString(), nlohmann::json::object() };
        if (!rounding.isEmpty())
            spec.params["rounding"] = rounding.toStdString();
        const vq::QuantizedTable t = vqtest::fitWith(vq::quantizer(spec.method), reference, spec, 1, 0);
        const vq::Matrix got = t.decodeAll();
        QVERIFY(sameBits(got, want));
        QVERIFY(!sameBits(got, reference)); // lossy: the comparison above is not trivially true
        for (const auto& a : t.arrays)
            a.check();
    }

    // ggml's own fixtures (tests/data/ggml): every block method fed the 128 x 256 reference table (with the
    // importance vector for the -imatrix files) stores exactly the block bytes ggml_quantize_chunk wrote,
    // and decodes to ggml's own dequantization.
    void reproducesGgmlFixtures_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<bool>("imatrix");
        for (const char* m : kBlockMethods) {
            QTest::newRow(m) << QString::fromLatin1(m) << false;
            QTest::newRow((std::string(m) + " imatrix").c_str()) << QString::fromLatin1(m) << true;
        }
    }
    void reproducesGgmlFixtures()
    {
        QFETCH(QString, method);
        QFETCH(bool, imatrix);
        const vq::GgmlBlockQuantizer& q = blockMethod(method);
        const std::string stem = method.toLower().toStdString() + (imatrix ? "-imatrix" : "");
        const vq::Matrix reference = vqtest::readNpySlice(vqtest::dataPath("ggml/reference-128x256-f32.npy"));
        const vq::QuantSpec spec
            = imatrix ? withImportance(q, importanceFixture()) : vq::QuantSpec { q.name(), nlohmann::json::object() };
        const vq::QuantizedTable t = vqtest::fitWith(q, reference, spec, 1, 2);
        const std::vector<uint8_t> bytes = q.blockBytes(t);
        const vq::GgufReader file(vqtest::dataPath("ggml/table-" + stem + ".gguf"));
        const auto expected = file.tensorBytes("token_embd.weight");
        QCOMPARE(bytes.size(), expected.size());
        QVERIFY(std::memcmp(bytes.data(), expected.data(), bytes.size()) == 0);
        const vq::Matrix want = vqtest::readNpySlice(vqtest::dataPath("ggml/expected-" + stem + ".npy"));
        QVERIFY(sameBits(t.decodeAll(), want));
        QVERIFY(!sameBits(want, reference));
        for (const auto& a : t.arrays)
            a.check();
        // The bit budget counts the block bytes exactly.
        QCOMPARE(t.bits().totalBytes(), uint64_t(expected.size()));
        vqtest::checkEstimateMatchesFit(q, reference, spec);
    }

    void bitsPerParamOfEveryType_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<double>("bits");
        const std::pair<const char*, double> types[] = { { "q8_0", 8.5 }, { "q4_0", 4.5 }, { "q4_1", 5.0 },
            { "q5_0", 5.5 }, { "q5_1", 6.0 }, { "q2_K", 2.625 }, { "q3_K", 3.4375 }, { "q4_K", 4.5 }, { "q5_K", 5.5 },
            { "q6_K", 6.5625 }, { "iq4_nl", 4.5 }, { "iq4_xs", 4.25 } };
        for (const auto& [name, bits] : types)
            QTest::newRow(name) << QString::fromLatin1(name) << bits;
    }
    void bitsPerParamOfEveryType()
    {
        QFETCH(QString, method);
        QFETCH(double, bits);
        const vq::Quantizer& q = vq::quantizer(method.toStdString());
        QCOMPARE(q.estimate({ q.name(), {} }, 128256, 2048).bitsPerParam(), bits);
        QVERIFY(q.isBaseline());
        QCOMPARE(q.presets().size(), size_t(1));
        QCOMPARE(q.presets().front().label, method.toUpper().toStdString());
        QVERIFY(
            q.description().find(QByteArray::number(bits).toStdString() + " bits per parameter") != std::string::npos);
    }

    // relMSE on 4000 rows of the bundled GloVe sample joined to 256 columns (vqtest::gloveJoined256);
    // bounds are the measured values plus 2%.
    void errorOnJoinedGlove_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<double>("maxRelMse");
        QTest::newRow("q2_K") << QStringLiteral("q2_K") << 0.105; // measured 0.102972
        QTest::newRow("q3_K") << QStringLiteral("q3_K") << 0.02684; // measured 0.0263107
        QTest::newRow("q4_K") << QStringLiteral("q4_K") << 0.006354; // measured 0.00622895
        QTest::newRow("q5_K") << QStringLiteral("q5_K") << 0.001634; // measured 0.0016019
        QTest::newRow("q6_K") << QStringLiteral("q6_K") << 0.0003782; // measured 0.000370807
        QTest::newRow("q4_1") << QStringLiteral("q4_1") << 0.007536; // measured 0.00738822
        QTest::newRow("q5_0") << QStringLiteral("q5_0") << 0.002394; // measured 0.00234715
        QTest::newRow("q5_1") << QStringLiteral("q5_1") << 0.001761; // measured 0.00172662
        QTest::newRow("iq4_nl") << QStringLiteral("iq4_nl") << 0.006951; // measured 0.0068151
        QTest::newRow("iq4_xs") << QStringLiteral("iq4_xs") << 0.007065; // measured 0.00692654
    }
    void errorOnJoinedGlove()
    {
        QFETCH(QString, method);
        QFETCH(double, maxRelMse);
        static const vq::Matrix table = vqtest::gloveJoined256(4000);
        const vq::Quantizer& q = vq::quantizer(method.toStdString());
        const double rel = vqtest::relativeMse(table, vqtest::fitWith(q, table, { q.name(), {} }, 1, 0).decodeAll());
        QVERIFY2(rel <= maxRelMse, qPrintable(QStringLiteral("relMSE %1 > %2").arg(rel).arg(maxRelMse)));
        QVERIFY(rel > 0);
    }

    // The importance vector must fit the table: one finite weight >= 0 per column; refusals name the
    // parameter and the file.
    void importanceRefusals()
    {
        const vq::Quantizer& q = vq::quantizer("q4_K");
        try {
            q.estimate(withImportance(q, importanceFixture()), 10, 512);
            QFAIL("256 weights accepted for 512 columns");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::InvalidArgument);
            QCOMPARE(e.path(), importanceFixture());
            QVERIFY2(std::string(e.what()).find("parameter 'importance'") != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find("holds 256 weights; the table has 512 columns") != std::string::npos,
                e.what());
        }
        try {
            q.estimate(withImportance(q, "/nonexistent/imatrix.npy"), 10, 256);
            QFAIL("a missing file accepted");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::NotFound);
            QCOMPARE(e.path(), std::string("/nonexistent/imatrix.npy"));
        }
        QCOMPARE(q.estimate(withImportance(q, importanceFixture()), 10, 256).bitsPerParam(), 4.5);
        QVERIFY(!vq::quantizer("q8_0").schema().find("importance")); // ggml quantizes q8_0 without one
        const vq::Matrix table = vqtest::readNpySlice(vqtest::dataPath("ggml/reference-128x256-f32.npy"));
        vqtest::checkRefusedBeforeWork(q, table, withImportance(q, "/nonexistent/imatrix.npy"));
    }

    // Super-block formats need rows of whole 256-value super-blocks; the refusal lists what fits.
    void superBlocksNeed256Columns_data()
    {
        QTest::addColumn<int>("dim");
        QTest::addColumn<QString>("nearest");
        QTest::newRow("GloVe") << 100 << QStringLiteral("(the nearest: 256)");
        QTest::newRow("2000") << 2000 << QStringLiteral("(the nearest: 1792 or 2048)");
    }
    void superBlocksNeed256Columns()
    {
        QFETCH(int, dim);
        QFETCH(QString, nearest);
        for (const char* name : { "q2_K", "q3_K", "q4_K", "q5_K", "q6_K", "iq4_xs" }) {
            try {
                vq::quantizer(name).estimate({ name, {} }, 10, dim);
                QFAIL("accepted");
            } catch (const vq::Error& e) {
                QCOMPARE(e.kind(), vq::ErrorKind::InvalidArgument);
                const QString what = QString::fromUtf8(e.what());
                QVERIFY2(what.contains(QStringLiteral("not a multiple of the super-block size 256")), e.what());
                QVERIFY2(what.contains(QStringLiteral("tables of 256, 512, 768 ... columns")), e.what());
                QVERIFY2(what.contains(nearest), e.what());
            }
        }
        QCOMPARE(vq::quantizer("iq4_nl").estimate({ "iq4_nl", {} }, 10, 96).bitsPerParam(), 4.5); // blocks of 32
    }

    void deterministicWithImportance()
    {
        const vq::Matrix table = vqtest::readNpySlice(vqtest::dataPath("ggml/reference-128x256-f32.npy"));
        for (const char* name : { "q2_K", "q4_1", "iq4_xs" }) {
            for (int threads : { 1, 2 }) {
                const vq::Quantizer& q = vq::quantizer(name);
                vqtest::checkDeterministic(q, table, withImportance(q, importanceFixture()), 11, threads);
                if (QTest::currentTestFailed())
                    return;
            }
        }
    }

    void bitsPerParam_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<double>("bits");
        QTest::newRow("q8_0") << QStringLiteral("q8_0") << 8.5;
        QTest::newRow("q4_0") << QStringLiteral("q4_0") << 4.5;
    }
    void bitsPerParam()
    {
        QFETCH(QString, method);
        QFETCH(double, bits);
        const vq::Quantizer& q = vq::quantizer(method.toStdString());
        const vq::QuantSpec spec { q.name(), {} };
        QCOMPARE(q.estimate(spec, 128256, 2048).bitsPerParam(), bits);
        const vq::QuantizedTable t = vqtest::fitWith(q, glove(), spec, 1, 0);
        QCOMPARE(t.bits().bitsPerParam(), bits);
        QCOMPARE(t.bits().totalBits(), static_cast<uint64_t>(4000 * 96 * bits));
        vqtest::checkEstimateMatchesFit(q, glove(), spec);
    }

    // relMSE on glove-20k rows 0..3999, columns 0..95; bounds are the measured values plus 2%.
    void errorOnGlove_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<double>("maxRelMse");
        QTest::newRow("q8_0") << QStringLiteral("q8_0") << 3.87e-5; // measured 3.790e-05
        QTest::newRow("q4_0") << QStringLiteral("q4_0") << 0.00986; // measured 0.009665
    }
    void errorOnGlove()
    {
        QFETCH(QString, method);
        QFETCH(double, maxRelMse);
        const vq::Quantizer& q = vq::quantizer(method.toStdString());
        const double rel
            = vqtest::relativeMse(glove(), vqtest::fitWith(q, glove(), { q.name(), {} }, 1, 0).decodeAll());
        QVERIFY2(rel <= maxRelMse, qPrintable(QStringLiteral("relMSE %1 > %2").arg(rel).arg(maxRelMse)));
        QVERIFY(rel > 0);
    }

    void deterministic()
    {
        for (const char* name : { "q8_0", "q4_0" }) {
            for (int threads : { 1, 2 }) {
                vqtest::checkDeterministic(vq::quantizer(name), glove(), { name, {} }, 11, threads);
                if (QTest::currentTestFailed())
                    return;
            }
        }
    }

    void refusesRowsNotMultipleOf32()
    {
        for (const char* name : { "q8_0", "q4_0" }) {
            try {
                vq::quantizer(name).estimate({ name, {} }, 10, 100);
                QFAIL("expected an error");
            } catch (const vq::Error& e) {
                QCOMPARE(e.kind(), vq::ErrorKind::InvalidArgument);
                QVERIFY2(std::string(e.what()).find("100 is not a multiple of the block size 32") != std::string::npos,
                    e.what());
            }
        }
        QVERIFY_THROWS_EXCEPTION(
            vq::Error, vq::quantizer("q4_0").estimate({ "q4_0", { { "rounding", "up" } } }, 1, 32));
        QVERIFY_THROWS_EXCEPTION(
            vq::Error, vq::quantizer("q8_0").estimate({ "q8_0", { { "rounding", "fused" } } }, 1, 32));
        vq::Matrix e(2, 32);
        e.at(1, 5) = std::numeric_limits<float>::infinity();
        try {
            vqtest::fitWith(vq::quantizer("q8_0"), e, { "q8_0", {} }, 1, 1);
            QFAIL("expected an error");
        } catch (const vq::Error& err) {
            QVERIFY2(std::string(err.what()).find("row 1, column 5") != std::string::npos, err.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestGgmlBlock)
#include "tst_ggmlblock.moc"
