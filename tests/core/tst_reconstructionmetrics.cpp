#include "common/error.h"
#include "common/halffloat.h"
#include "metrics/percentiles.h"
#include "metrics/reconstructionmetrics.h"
#include "quantchecks.h"
#include "randomtables.h"
#include "testutil.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace vq;

namespace {

Matrix scaled(const Matrix& m, float s)
{
    Matrix out = m;
    for (float& v : out.values)
        v *= s;
    return out;
}

} // namespace

class TestReconstructionMetrics : public QObject {
    Q_OBJECT

private slots:
    void scaledCopy_data()
    {
        QTest::addColumn<float>("scale");
        // (1 - s)^2: s E is exact for these s, so only the rounding of the sums is left, and none at
        // all when 1 - s is a power of two (0.5, 2, 0).
        QTest::addColumn<double>("relMse");
        QTest::newRow("half") << 0.5f << 0.25;
        QTest::newRow("quarter") << 0.25f << 0.5625;
        QTest::newRow("double") << 2.0f << 1.0;
        QTest::newRow("zero") << 0.0f << 1.0;
    }

    void scaledCopy()
    {
        QFETCH(float, scale);
        QFETCH(double, relMse);
        const Matrix e = vqtest::randomMatrix(300, 24, 1);
        const Matrix r = scaled(e, scale);
        const ReconstructionMetrics m = computeReconstructionMetrics(e, r, {}, nullRunControl());
        QCOMPARE(m.relMse, relMse); // fuzzy compare: 1e-12 relative
        QCOMPARE(m.weightedRelMse, relMse);
        QVERIFY(!m.weighted);
        QVERIFY(std::abs(m.snrDb - (-10.0 * std::log10(relMse))) < 1e-12);
        QCOMPARE(m.tokenRelError.size(), size_t(300));
        for (int64_t t = 0; t < e.rows; ++t) {
            QCOMPARE(m.tokenRelError[t], static_cast<float>(relMse));
            double ref = 0;
            for (int64_t j = 0; j < e.cols; ++j)
                ref += double(e.at(t, j)) * e.at(t, j);
            QVERIFY(std::abs(m.tokenMse[t] - relMse * ref / 24.0) <= 1e-6 * ref);
            QCOMPARE(m.tokenCosine[t], scale == 0.f ? 0.f : 1.f);
        }
        QCOMPARE(m.tokenRelErrorPercentiles.p50, relMse);
        QCOMPARE(m.tokenRelErrorPercentiles.max, relMse);
    }

    void identicalIsPerfect()
    {
        const Matrix e = vqtest::randomMatrix(50, 7, 2);
        const ReconstructionMetrics m = computeReconstructionMetrics(e, e, {}, nullRunControl());
        QCOMPARE(m.relMse, 0.0);
        QCOMPARE(m.mse, 0.0);
        QCOMPARE(m.maxAbsError, 0.0);
        QVERIFY(std::isinf(m.snrDb) && m.snrDb > 0);
        QCOMPARE(m.tokenCosineDistancePercentiles.max, 0.0);
        QCOMPARE(m.tokenMsePercentiles.max, 0.0);
    }

    void maxAbsErrorLocation()
    {
        Matrix e(4, 3);
        Matrix r(4, 3);
        r.at(1, 2) = 0.5f;
        r.at(2, 0) = -3.0f;
        r.at(3, 1) = 3.0f; // ties with (2, 0): the first in row-major order wins
        const ReconstructionMetrics m = computeReconstructionMetrics(scaled(e, 1), r, {}, nullRunControl());
        QCOMPARE(m.maxAbsError, 3.0);
        QCOMPARE(m.maxAbsErrorRow, int64_t(2));
        QCOMPARE(m.maxAbsErrorCol, int64_t(0));
        QCOMPARE(m.sumSquaredError, 0.25 + 9 + 9);
        QCOMPARE(m.mse, 18.25 / 12);
    }

    void zeroRows()
    {
        Matrix e(4, 2);
        Matrix r(4, 2);
        // row 0: zero, reconstructed as zero; row 1: zero, reconstructed as (3, 4);
        // row 2: (1, 0) reconstructed as zero; row 3: (0, 2) reconstructed as (0, 1)
        r.at(1, 0) = 3;
        r.at(1, 1) = 4;
        e.at(2, 0) = 1;
        e.at(3, 1) = 2;
        r.at(3, 1) = 1;
        const ReconstructionMetrics m = computeReconstructionMetrics(e, r, {}, nullRunControl());
        QCOMPARE(m.zeroRows, int64_t(2));
        QCOMPARE(m.zeroRowsMissed, int64_t(1));
        QCOMPARE(m.tokenRelError[0], 0.f);
        QVERIFY(std::isinf(m.tokenRelError[1]));
        QCOMPARE(m.tokenRelError[2], 1.f);
        QCOMPARE(m.tokenRelError[3], 0.25f);
        QCOMPARE(m.tokenCosine[0], 1.f);
        QCOMPARE(m.tokenCosine[1], 0.f);
        QCOMPARE(m.tokenCosine[2], 0.f);
        QCOMPARE(m.tokenCosine[3], 1.f);
        QCOMPARE(m.tokenMse[1], 12.5f);
        QVERIFY(std::isinf(m.tokenRelErrorPercentiles.max));
        QCOMPARE(m.relMse, (25.0 + 1 + 1) / 5);
    }

    void weights()
    {
        const Matrix e = vqtest::randomMatrix(40, 6, 3);
        Matrix r = vqtest::randomMatrix(40, 6, 4);
        for (size_t i = 0; i < r.values.size(); ++i)
            r.values[i] = e.values[i] + 0.1f * r.values[i];
        const ReconstructionMetrics plain = computeReconstructionMetrics(e, r, {}, nullRunControl());

        const std::vector<float> uniform(40, 3.0f);
        const ReconstructionMetrics u = computeReconstructionMetrics(e, r, uniform, nullRunControl());
        QVERIFY(u.weighted);
        QVERIFY(std::abs(u.weightedRelMse - plain.relMse) <= 1e-15 * plain.relMse);
        QCOMPARE(u.relMse, plain.relMse);

        std::vector<float> oneHot(40, 0.f);
        oneHot[17] = 5.f;
        const ReconstructionMetrics o = computeReconstructionMetrics(e, r, oneHot, nullRunControl());
        QVERIFY(std::abs(o.weightedRelMse - plain.tokenRelError[17]) <= 1e-6 * plain.tokenRelError[17]);
        QVERIFY(std::abs(o.weightedSnrDb + 10 * std::log10(o.weightedRelMse)) < 1e-12);

        // Two rows with weights 1 and 3: (err0 + 3 err1) / (ref0 + 3 ref1), computed by hand.
        Matrix e2(2, 1);
        Matrix r2(2, 1);
        e2.at(0, 0) = 2;
        r2.at(0, 0) = 1; // err 1, ref 4
        e2.at(1, 0) = 1;
        r2.at(1, 0) = 3; // err 4, ref 1
        const std::vector<float> w { 1.f, 3.f };
        const ReconstructionMetrics h = computeReconstructionMetrics(e2, r2, w, nullRunControl());
        QCOMPARE(h.weightedRelMse, 13.0 / 7.0);
        QCOMPARE(h.relMse, 1.0);
    }

    void rejectsBadInput_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("reconRows");
        QTest::addColumn<std::vector<float>>("weights");
        QTest::newRow("shape") << 3 << 4 << std::vector<float> {};
        QTest::newRow("empty") << 0 << 0 << std::vector<float> {};
        QTest::newRow("weight count") << 3 << 3 << std::vector<float> { 1, 1 };
        QTest::newRow("negative weight") << 3 << 3 << std::vector<float> { 1, -1, 1 };
        QTest::newRow("nan weight") << 3 << 3 << std::vector<float> { 1, std::numeric_limits<float>::quiet_NaN(), 1 };
        QTest::newRow("zero weights") << 3 << 3 << std::vector<float> { 0, 0, 0 };
    }

    void rejectsBadInput()
    {
        QFETCH(int, rows);
        QFETCH(int, reconRows);
        QFETCH(std::vector<float>, weights);
        const Matrix e = vqtest::randomMatrix(rows, 5, 5);
        const Matrix r = vqtest::randomMatrix(reconRows, 5, 6);
        try {
            computeReconstructionMetrics(e, r, weights, nullRunControl());
            QFAIL("no error");
        } catch (const Error& err) {
            QCOMPARE(err.kind(), ErrorKind::InvalidArgument);
        }
    }

    void cancelAndProgress()
    {
        const Matrix e = vqtest::randomMatrix(3000, 8, 7);
        const Matrix r = scaled(e, 0.5f);
        RunControl control;
        double last = -1;
        bool monotoneStage = true;
        control.setProgressCallback([&](std::string_view stage, double f) {
            monotoneStage = monotoneStage && stage == "reconstruction error";
            last = f;
        });
        computeReconstructionMetrics(e, r, {}, control);
        QVERIFY(monotoneStage);
        QCOMPARE(last, 1.0);
        control.cancel();
        QVERIFY_THROWS_EXCEPTION(Cancelled, computeReconstructionMetrics(e, r, {}, control));
    }

    void independentOfThreads()
    {
        const Matrix e = vqtest::randomMatrix(5000, 33, 8);
        const Matrix r = vqtest::randomMatrix(5000, 33, 9);
        RunControl one;
        one.threads = 1;
        RunControl two;
        two.threads = 2;
        const ReconstructionMetrics a = computeReconstructionMetrics(e, r, {}, one);
        const ReconstructionMetrics b = computeReconstructionMetrics(e, r, {}, two);
        QCOMPARE(a.sumSquaredError, b.sumSquaredError);
        QCOMPARE(a.relMse, b.relMse);
        QVERIFY(a.tokenCosine == b.tokenCosine);
    }

    void percentiles()
    {
        std::vector<float> v(1001);
        for (int i = 0; i < 1001; ++i)
            v[(i * 37) % 1001] = static_cast<float>(i); // shuffled 0..1000
        const TokenPercentiles p = computeTokenPercentiles(v);
        QCOMPARE(p.p50, 500.0);
        QCOMPARE(p.p90, 900.0);
        QCOMPARE(p.p99, 990.0);
        QCOMPARE(p.p999, 999.0);
        QCOMPARE(p.max, 1000.0);
        // Linear interpolation between order statistics: {0, 10} at p90 gives 9.
        const std::vector<float> two { 10.f, 0.f };
        QCOMPARE(computeTokenPercentiles(two).p90, 9.0);
        const std::vector<float> withNan { 1.f, std::numeric_limits<float>::quiet_NaN(), 2.f };
        const TokenPercentiles n = computeTokenPercentiles(withNan);
        QCOMPARE(n.p50, 2.0);
        QVERIFY(std::isnan(n.max));
    }

    // Real table, additive Gaussian noise of variance sigma^2: relMSE must be close to
    // rows * dim * sigma^2 / ||E||^2. Measured ratio measured/expected on the 20000 rows: 0.99854 for
    // each sigma (the same noise draw, scaled); the chi-square spread is sqrt(2 / 2e6) = 0.1%.
    void gloveNoise_data()
    {
        QTest::addColumn<double>("sigma");
        QTest::newRow("0.01") << 0.01;
        QTest::newRow("0.1") << 0.1;
        QTest::newRow("1.0") << 1.0;
    }

    void gloveNoise()
    {
        QFETCH(double, sigma);
        const Matrix e = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"));
        QCOMPARE(e.rows, int64_t(20000));
        const Matrix r = vqtest::withNoise(e, sigma, 11);
        const ReconstructionMetrics m = computeReconstructionMetrics(e, r, {}, nullRunControl());
        const double expected = double(e.rows) * double(e.cols) * sigma * sigma / m.sumSquaredRef;
        qInfo("sigma %g: relMSE %.6g expected %.6g ratio %.6f", sigma, m.relMse, expected, m.relMse / expected);
        QVERIFY(std::abs(m.relMse / expected - 1) < 0.005);
        QVERIFY(std::abs(m.mse / (sigma * sigma) - 1) < 0.005);
    }

    // Rounding to bf16 (8 significant bits, round to nearest even): the relative error of a value
    // with significand m in [1, 2) is uniform in +-2^-8/m, so relMSE ~ 2^-16/3 * E[1/m^2] with
    // E[1/m^2] about 0.54 for log-uniform significands: about 2.75e-6. fp16 keeps 11 bits, 3 more:
    // 2^6 = 64 times less, 4.3e-8. Measured on the full float32 GloVe table: bf16 2.754e-6, fp16
    // 4.308e-8. The bundled sample is already float16, so this runs on the fixtures' float32 reference
    // (its first 512 rows): bf16 2.746e-6, fp16 4.307e-8, within 0.3% of the model (bounds 20%).
    void gloveRounding()
    {
        const Matrix e = vqtest::readNpySlice(vqtest::dataPath("reference-512x100-f32.npy"));
        Matrix bf = e;
        Matrix hf = e;
        for (size_t i = 0; i < e.values.size(); ++i) {
            bf.values[i] = bf16ToFloat(floatToBf16(e.values[i]));
            hf.values[i] = roundToHalf(e.values[i]);
        }
        const ReconstructionMetrics b = computeReconstructionMetrics(e, bf, {}, nullRunControl());
        const ReconstructionMetrics h = computeReconstructionMetrics(e, hf, {}, nullRunControl());
        qInfo("bf16 relMSE %.4g (max abs %.4g), fp16 relMSE %.4g", b.relMse, b.maxAbsError, h.relMse);
        const double bfModel = std::ldexp(1.0, -16) / 3 * 0.541;
        QVERIFY(b.relMse > 0.8 * bfModel && b.relMse < 1.2 * bfModel);
        const double hfModel = std::ldexp(1.0, -22) / 3 * 0.541;
        QVERIFY(h.relMse > 0.8 * hfModel && h.relMse < 1.2 * hfModel);
        // Per element the bf16 error is at most half an ulp: 2^-8 of the value's magnitude.
        const float at = e.at(b.maxAbsErrorRow, b.maxAbsErrorCol);
        QCOMPARE(b.maxAbsError, double(std::fabs(at - bf.at(b.maxAbsErrorRow, b.maxAbsErrorCol))));
        QVERIFY(b.maxAbsError <= std::ldexp(std::fabs(at), -8));
    }
};

QTEST_GUILESS_MAIN(TestReconstructionMetrics)
#include "tst_reconstructionmetrics.moc"
