#include "common/error.h"
#include "io/npyreader.h"
#include "quant/methods/pq.h"
#include "quant/nearestcentroids.h"
#include "quant/registry.h"

#include "quantchecks.h"
#include "testutil.h"

#include <QTest>

#include <algorithm>

namespace {

// The first `rows` rows of the real GloVe table (20000 x 100).
vq::Matrix glove(int64_t rows)
{
    static const vq::Matrix all
        = vq::NpyReader(vqtest::samplePath("glove-20k.npy")).readMatrix("glove-20k", vq::nullRunControl());
    vq::Matrix m(rows, all.cols);
    std::copy_n(all.values.begin(), rows * all.cols, m.values.begin());
    return m;
}

vq::QuantSpec pq(nlohmann::json params)
{
    return { "pq", std::move(params) };
}

double relMse(const vq::QuantizedTable& t, const vq::Matrix& e)
{
    return vqtest::relativeMse(e, t.decodeAll());
}

} // namespace

class TestPq : public QObject {
    Q_OBJECT
private slots:
    void registered() { QCOMPARE(QString::fromStdString(vq::quantizer("pq").name()), QStringLiteral("pq")); }

    void estimateMatchesFit_data()
    {
        QTest::addColumn<QString>("params");
        QTest::newRow("d4 8-bit fp16") << R"({"d": 4, "bits": 8})";
        QTest::newRow("d5 6-bit fp32") << R"({"d": 5, "bits": 6, "codebook": "f32"})";
        QTest::newRow("d10 4-bit shared") << R"({"d": 10, "bits": 4, "shared": true})";
        QTest::newRow("d1 3-bit") << R"({"d": 1, "bits": 3, "iterations": 3})";
        QTest::newRow("d4 8-bit 5 codebooks") << R"({"d": 4, "bits": 8, "codebooks": 5})";
        QTest::newRow("d5 6-bit 3 uneven codebooks fp32")
            << R"({"d": 5, "bits": 6, "codebooks": 3, "codebook": "f32"})";
    }
    void estimateMatchesFit()
    {
        QFETCH(QString, params);
        const vq::Matrix e = glove(1000);
        vqtest::checkEstimateMatchesFit(vq::PqQuantizer(), e, pq(nlohmann::json::parse(params.toStdString())));
    }

    void bitsFollowTheFormula()
    {
        // FAISS's ProductQuantizer(100, 20, 8) on the full table with fp32 codebooks.
        const vq::BitBudget b = vq::PqQuantizer().estimate(pq({ { "d", 5 }, { "codebook", "f32" } }), 20000, 100);
        QCOMPARE(b.items.size(), size_t(2));
        QCOMPARE(b.items[0].bits, uint64_t(20000) * 20 * 8);
        QCOMPARE(b.items[1].bits, uint64_t(20) * 256 * 5 * 32);
        QCOMPARE(b.bitsPerParam(), 8.0 / 5 + 20.0 * 256 * 5 * 32 / (20000.0 * 100));
        const vq::BitBudget shared = vq::PqQuantizer().estimate(pq({ { "d", 4 }, { "shared", true } }), 20000, 100);
        QCOMPARE(shared.items[1].bits, uint64_t(256) * 4 * 16);
        const vq::BitBudget blocks = vq::PqQuantizer().estimate(pq({ { "d", 4 }, { "codebooks", 5 } }), 20000, 100);
        QCOMPARE(blocks.items[1].bits, uint64_t(5) * 256 * 4 * 16);
        QCOMPARE(blocks.bitsPerParam(), 2.04096);
        // codebooks = 1 is the shared codebook, codebooks = positions the per-position default.
        QCOMPARE(vq::PqQuantizer().estimate(pq({ { "d", 4 }, { "codebooks", 1 } }), 20000, 100).totalBits(),
            shared.totalBits());
        QCOMPARE(vq::PqQuantizer().estimate(pq({ { "d", 4 }, { "codebooks", 25 } }), 20000, 100).totalBits(),
            vq::PqQuantizer().estimate(pq({ { "d", 4 } }), 20000, 100).totalBits());
    }

    // With 3 codebooks over 25 positions, positions 0..8 use codebook 0, 9..16 codebook 1, 17..24
    // codebook 2 (p * 3 / 25), and each code is the nearest codeword of its position's codebook.
    void blockCodebooksFollowTheirPositions()
    {
        const vq::Matrix e = glove(2000);
        const vq::QuantizedTable t
            = vqtest::fitWith(vq::PqQuantizer(), e, pq({ { "d", 4 }, { "bits", 6 }, { "codebooks", 3 } }), 1, 2);
        const vq::StoredArray& books = t.array("codebooks");
        QCOMPARE(books.shape, (std::vector<int64_t> { 3, 64, 4 }));
        const vq::StoredArray& codes = t.array("codes");
        const vq::Matrix d = t.decodeAll();
        for (int64_t p = 0; p < 25; ++p) {
            const int64_t b = p <= 8 ? 0 : p <= 16 ? 1 : 2;
            const vq::MatrixView book(books.floats.data() + b * 64 * 4, 64, 4, 4);
            std::vector<int32_t> labels(2000);
            vq::assignNearest(vq::MatrixView(e).columns(p * 4, 4), book, labels.data(), nullptr);
            for (int64_t i = 0; i < 2000; i += 7) {
                QCOMPARE(codes.ints[size_t(i * 25 + p)], labels[size_t(i)]);
                for (int64_t j = 0; j < 4; ++j)
                    QCOMPARE(d.at(i, p * 4 + j), book.row(labels[size_t(i)])[j]);
            }
        }
        // The three codebooks differ (each trained on its own block).
        QVERIFY(!std::equal(books.floats.begin(), books.floats.begin() + 256, books.floats.begin() + 256));
        QVERIFY(!std::equal(books.floats.begin() + 256, books.floats.begin() + 512, books.floats.begin() + 512));
    }

    // A few block codebooks sit between one shared codebook and one per position, in error and in bits.
    void blockCodebooksBetweenSharedAndPerPosition()
    {
        const vq::Matrix e = glove(4000);
        const auto fit = [&](nlohmann::json extra) {
            nlohmann::json params { { "d", 4 }, { "bits", 8 } };
            params.update(extra);
            const vq::QuantizedTable t = vqtest::fitWith(vq::PqQuantizer(), e, pq(params), 1, 0);
            return std::pair { relMse(t, e), t.bits().bitsPerParam() };
        };
        const auto [shared, sharedBits] = fit({ { "shared", true } });
        const auto [five, fiveBits] = fit({ { "codebooks", 5 } });
        const auto [each, eachBits] = fit(nlohmann::json::object());
        qInfo("relMSE shared %.5f, 5 codebooks %.5f, per position %.5f", shared, five, each);
        // Measured on 4000 rows: shared 0.0920, 5 codebooks 0.0782 (ratio 0.851), per position 0.0540.
        QVERIFY(sharedBits < fiveBits && fiveBits < eachBits);
        QVERIFY(each < five && five < 0.97 * shared);
    }

    void storedArraysAreConsistent()
    {
        const vq::Matrix e = glove(2000);
        const vq::QuantizedTable t = vqtest::fitWith(vq::PqQuantizer(), e, pq({ { "d", 4 }, { "bits", 6 } }), 1, 2);
        for (const vq::StoredArray& a : t.arrays)
            a.check(); // fp16 codebooks hold fp16 values, codes fit in 6 bits
        const vq::StoredArray& codes = t.array("codes");
        QCOMPARE(codes.shape, (std::vector<int64_t> { 2000, 25 }));
        QCOMPARE(t.array("codebooks").shape, (std::vector<int64_t> { 25, 64, 4 }));
        QCOMPARE(t.array("codebooks").type, vq::StorageType::F16);
        // Every code is the nearest codeword of the codebook as stored (fp16-rounded).
        const vq::StoredArray& books = t.array("codebooks");
        for (int64_t p = 0; p < 25; p += 6) {
            const vq::MatrixView book(books.floats.data() + p * 64 * 4, 64, 4, 4);
            std::vector<int32_t> labels(2000);
            vq::assignNearest(vq::MatrixView(e).columns(p * 4, 4), book, labels.data(), nullptr);
            for (int64_t i = 0; i < 2000; ++i)
                QCOMPARE(codes.ints[size_t(i * 25 + p)], labels[size_t(i)]);
        }
        const vq::Matrix d = t.decodeAll();
        const std::vector<int64_t> ids { 0, 1, 1999 };
        std::vector<float> some(3 * 100);
        t.decodeRows(ids, some.data());
        QCOMPARE(
            std::vector<float>(some.begin() + 200, some.end()), std::vector<float>(d.row(1999), d.row(1999) + 100));
    }

    void deterministicAcrossRunsAndThreads_data()
    {
        QTest::addColumn<QString>("params");
        QTest::newRow("per position") << R"({"d": 4, "bits": 6})";
        QTest::newRow("4 codebooks") << R"({"d": 4, "bits": 6, "codebooks": 4})";
    }
    void deterministicAcrossRunsAndThreads()
    {
        QFETCH(QString, params);
        const vq::Matrix e = glove(3000);
        const vq::QuantSpec spec = pq(nlohmann::json::parse(params.toStdString()));
        vqtest::checkDeterministic(vq::PqQuantizer(), e, spec, 7, 2);
        const std::string diff = vqtest::arrayDifference(
            vqtest::fitWith(vq::PqQuantizer(), e, spec, 7, 1), vqtest::fitWith(vq::PqQuantizer(), e, spec, 7, 2));
        QVERIFY2(diff.empty(), diff.c_str());
        QVERIFY(!vqtest::arrayDifference(
            vqtest::fitWith(vq::PqQuantizer(), e, spec, 7, 2), vqtest::fitWith(vq::PqQuantizer(), e, spec, 8, 2))
                     .empty());
    }

    void errorOnGlove_data()
    {
        QTest::addColumn<QString>("params");
        QTest::addColumn<double>("maxRelMse");
        // Measured on the first 4000 rows of the bundled float16 sample (relMSE in the comment); bounds leave
        // 2.7-3.3% headroom.
        QTest::newRow("d4 8-bit (3.02 bits)") << R"({"d": 4, "bits": 8})" << 0.0555; // 0.0540
        QTest::newRow("d5 8-bit fp32 (3.65 bits)") << R"({"d": 5, "bits": 8, "codebook": "f32"})" << 0.0895; // 0.0869
        QTest::newRow("d10 8-bit (1.82 bits)") << R"({"d": 10, "bits": 8})" << 0.2165; // 0.2105
        QTest::newRow("d4 8-bit shared (2.04 bits)") << R"({"d": 4, "bits": 8, "shared": true})" << 0.0947; // 0.0920
        QTest::newRow("d4 8-bit 5 codebooks (2.21 bits)")
            << R"({"d": 4, "bits": 8, "codebooks": 5})" << 0.0808; // 0.0782
        QTest::newRow("d5 10-bit shared (2.21 bits)") << R"({"d": 5, "bits": 10, "shared": true})" << 0.0818; // 0.0795
    }
    void errorOnGlove()
    {
        QFETCH(QString, params);
        QFETCH(double, maxRelMse);
        const vq::Matrix e = glove(4000);
        const vq::QuantizedTable t
            = vqtest::fitWith(vq::PqQuantizer(), e, pq(nlohmann::json::parse(params.toStdString())), 1, 0);
        const double r = relMse(t, e);
        qInfo("relMSE %.5f at %.3f bits/param", r, t.bits().bitsPerParam());
        QVERIFY2(r <= maxRelMse, qPrintable(QString::number(r)));
    }

    void moreBitsLowerError()
    {
        const vq::Matrix e = glove(4000);
        double previous = 1.0;
        for (int bits : { 2, 4, 6, 8 }) {
            const double r
                = relMse(vqtest::fitWith(vq::PqQuantizer(), e, pq({ { "d", 5 }, { "bits", bits } }), 1, 0), e);
            QVERIFY2(r < 0.9 * previous, qPrintable(QString::number(bits)));
            previous = r;
        }
    }

    void tokenWeightsFavourHeavyRows()
    {
        const vq::Matrix e = glove(4000);
        const vqtest::HeavyRowErrors h
            = vqtest::heavyRowErrors(vq::PqQuantizer(), e, pq({ { "d", 10 }, { "bits", 6 } }), 400);
        qInfo("squared error on the 400 heavy rows: uniform %.1f, weighted %.1f", h.uniform, h.weighted);
        QVERIFY(h.weighted < 0.75 * h.uniform); // measured: uniform 3427.6, weighted 2237.1
    }

    void refusesBadParameters_data()
    {
        QTest::addColumn<QString>("params");
        QTest::addColumn<int>("rows");
        QTest::newRow("d does not divide 100") << R"({"d": 3})" << 1000;
        QTest::newRow("bits 17") << R"({"bits": 17})" << 1000;
        QTest::newRow("bits 0") << R"({"bits": 0})" << 1000;
        QTest::newRow("codebook larger than the rows") << R"({"bits": 10})" << 1000;
        QTest::newRow("over 32 bits per parameter")
            << R"({"d": 1, "bits": 16, "shared": true, "codebook": "f32"})" << 1000;
        QTest::newRow("more codebooks than positions") << R"({"d": 4, "codebooks": 26})" << 1000;
        QTest::newRow("shared with 5 codebooks") << R"({"shared": true, "codebooks": 5})" << 1000;
        QTest::newRow("negative codebooks") << R"({"codebooks": -1})" << 1000;
        QTest::newRow("bf16 not offered") << R"({"codebook": "bf16"})" << 1000;
        QTest::newRow("unknown key") << R"({"kappa": 4})" << 1000;
    }
    void refusesBadParameters()
    {
        QFETCH(QString, params);
        QFETCH(int, rows);
        const vq::QuantSpec spec = pq(nlohmann::json::parse(params.toStdString()));
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::PqQuantizer().estimate(spec, rows, 100));
        vq::RunControl control;
        const vq::Matrix e = glove(rows);
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::PqQuantizer().fit({ e, {} }, spec, control));
    }

    void refusesNonFiniteValues()
    {
        vq::Matrix e = glove(1000);
        e.at(17, 3) = std::numeric_limits<float>::quiet_NaN();
        QVERIFY_THROWS_EXCEPTION(vq::Error, vqtest::fitWith(vq::PqQuantizer(), e, pq({ { "bits", 4 } }), 1, 1));
    }

    void warnsAboutFewTrainingVectors()
    {
        QCOMPARE(vq::PqQuantizer().warnings(pq({ { "bits", 8 } }), 5000, 100).size(), size_t(1));
        QVERIFY(vq::PqQuantizer().warnings(pq({ { "bits", 8 } }), 20000, 100).empty());
        QVERIFY(vq::PqQuantizer().warnings(pq({ { "bits", 8 }, { "shared", true } }), 5000, 100).empty());
    }

    void honoursCancel()
    {
        const vq::Matrix e = glove(2000);
        vqtest::checkCancelsAtReport(vq::PqQuantizer(), e, pq({ { "bits", 6 } }), 3);
    }
};

QTEST_GUILESS_MAIN(TestPq)
#include "tst_pq.moc"
