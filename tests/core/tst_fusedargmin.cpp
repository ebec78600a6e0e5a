#include "common/error.h"
#include "quant/fusedargmin.h"
#include "quant/nearestcentroids.h"
#include "quantchecks.h"
#include "randomtables.h"
#include "testutil.h"

#include <QTest>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

// The bundled GloVe sample cut into groups of `dim` columns: real sub-vectors, `n` of them.
vq::Matrix gloveGroups(int64_t n, int64_t dim, int64_t offset = 0)
{
    static const vq::Matrix all = vqtest::readNpySlice(vqtest::sourcePath("resources/sample/glove-20k.npy"));
    const int64_t groupsPerRow = all.cols / dim;
    vq::Matrix x(n, dim);
    for (int64_t i = 0; i < n; ++i) {
        const int64_t v = (i + offset) % (all.rows * groupsPerRow);
        std::copy_n(all.row(v / groupsPerRow) + (v % groupsPerRow) * dim, dim, x.row(i));
    }
    return x;
}

std::vector<vq::SimdPath> supportedPaths()
{
    std::vector<vq::SimdPath> out;
    for (vq::SimdPath p : { vq::SimdPath::Scalar, vq::SimdPath::Avx2, vq::SimdPath::Avx512 })
        if (vq::simdPathSupported(p))
            out.push_back(p);
    return out;
}

double exactDistance(const float* x, const float* c, int64_t dim)
{
    double s = 0;
    for (int64_t j = 0; j < dim; ++j) {
        const double d = static_cast<double>(x[j]) - c[j];
        s += d * d;
    }
    return s;
}

} // namespace

class TestFusedArgmin : public QObject {
    Q_OBJECT
private slots:
    void pathsAgreeBitForBit_data()
    {
        QTest::addColumn<int>("dim");
        QTest::addColumn<int>("codewords");
        QTest::addColumn<int>("points");
        // Unrolled kernels (4, 8, 16) and the generic one; codeword counts below, at and past one tile
        // (7281 codewords at dim 8); point counts that leave partial blocks and partial register blocks.
        QTest::newRow("dim 8, 256 codewords") << 8 << 256 << 1000;
        QTest::newRow("dim 8, 9000 codewords (two tiles)") << 8 << 9000 << 300;
        QTest::newRow("dim 4, 1 codeword") << 4 << 1 << 70;
        QTest::newRow("dim 4, 1024 codewords") << 4 << 1024 << 513;
        QTest::newRow("dim 16, 300 codewords") << 16 << 300 << 65;
        QTest::newRow("dim 5 (generic), 1000 codewords") << 5 << 1000 << 257;
        QTest::newRow("dim 10 (generic), 4096 codewords") << 10 << 4096 << 200;
        QTest::newRow("dim 1 (generic), 33 codewords") << 1 << 33 << 999;
        QTest::newRow("dim 20 (generic), 77 codewords") << 20 << 77 << 129;
    }
    void pathsAgreeBitForBit()
    {
        QFETCH(int, dim);
        QFETCH(int, codewords);
        QFETCH(int, points);
        const vq::Matrix c = gloveGroups(codewords, dim, 123457);
        const vq::Matrix x = gloveGroups(points, dim);
        std::vector<int32_t> reference(static_cast<size_t>(points));
        std::vector<float> referenceValues(static_cast<size_t>(points));
        vq::FusedArgmin(c, vq::SimdPath::Scalar).search(x, reference.data(), referenceValues.data());
        for (vq::SimdPath p : supportedPaths()) {
            std::vector<int32_t> labels(static_cast<size_t>(points), -1);
            std::vector<float> values(static_cast<size_t>(points));
            vq::FusedArgmin(c, p).search(x, labels.data(), values.data());
            for (int i = 0; i < points; ++i) {
                QVERIFY2(labels[static_cast<size_t>(i)] == reference[static_cast<size_t>(i)]
                        && std::memcmp(
                               &values[static_cast<size_t>(i)], &referenceValues[static_cast<size_t>(i)], sizeof(float))
                            == 0,
                    qPrintable(QStringLiteral("%1 path, point %2: %3 (%4) against scalar %5 (%6)")
                                   .arg(QLatin1String(vq::simdPathName(p).data()))
                                   .arg(i)
                                   .arg(labels[static_cast<size_t>(i)])
                                   .arg(values[static_cast<size_t>(i)])
                                   .arg(reference[static_cast<size_t>(i)])
                                   .arg(referenceValues[static_cast<size_t>(i)])));
            }
        }
        // Against an exhaustive search in double: the codeword found is the nearest up to float rounding of
        // the distances (about 1e-6 relative to ||x||^2 + ||c||^2).
        for (int i = 0; i < points; ++i) {
            double best = std::numeric_limits<double>::infinity();
            double scale = 0;
            for (int k = 0; k < codewords; ++k) {
                best = std::min(best, exactDistance(x.row(i), c.row(k), dim));
                scale = std::max(scale, static_cast<double>(vq::squaredNorm(c.row(k), dim)));
            }
            scale += vq::squaredNorm(x.row(i), dim);
            const double found = exactDistance(x.row(i), c.row(reference[static_cast<size_t>(i)]), dim);
            QVERIFY2(found <= best + 2e-6 * scale,
                qPrintable(QStringLiteral("point %1: %2 against the optimum %3").arg(i).arg(found).arg(best)));
            const double value = referenceValues[static_cast<size_t>(i)] + vq::squaredNorm(x.row(i), dim);
            QVERIFY2(std::fabs(value - found) <= 2e-6 * scale,
                qPrintable(QStringLiteral("point %1: value %2, distance %3").arg(i).arg(value).arg(found)));
        }
    }

    void tiesGoToTheLowestCodeword()
    {
        // Codewords 3, 10 and 12 are the same vector, the nearest one to every point.
        vq::Matrix c = vqtest::randomMatrix(20, 8, 5);
        for (float& v : c.values)
            v += 100.0f;
        for (int k : { 3, 10, 12 })
            std::fill_n(c.row(k), 8, 0.5f);
        const vq::Matrix x = vqtest::randomMatrix(100, 8, 6);
        for (vq::SimdPath p : supportedPaths()) {
            std::vector<int32_t> labels(100, -1);
            vq::FusedArgmin(c, p).search(x, labels.data(), nullptr);
            for (int32_t l : labels)
                QCOMPARE(l, 3);
        }
    }

    void nanNeverWins()
    {
        vq::Matrix c = vqtest::randomMatrix(40, 8, 7);
        c.at(0, 2) = std::nanf(""); // codeword 0 scores NaN for every point
        vq::Matrix x = vqtest::randomMatrix(70, 8, 8);
        std::fill_n(x.row(5), 8, std::nanf("")); // point 5 scores NaN against every codeword
        std::vector<int32_t> reference(70);
        std::vector<float> referenceValues(70);
        vq::FusedArgmin(c, vq::SimdPath::Scalar).search(x, reference.data(), referenceValues.data());
        for (vq::SimdPath p : supportedPaths()) {
            std::vector<int32_t> labels(70, -1);
            std::vector<float> values(70);
            vq::FusedArgmin(c, p).search(x, labels.data(), values.data());
            QCOMPARE(labels, reference);
            for (int i = 0; i < 70; ++i) {
                if (i == 5) {
                    QCOMPARE(labels[5], 0);
                    QCOMPARE(values[5], std::numeric_limits<float>::infinity());
                } else {
                    QVERIFY(labels[static_cast<size_t>(i)] != 0);
                    QVERIFY(std::isfinite(values[static_cast<size_t>(i)]));
                }
            }
        }
    }

    void nearestCentroidsAgrees()
    {
        // NearestCentroids uses the fused search for short vectors: labels and distances are the fused
        // search's, whatever the thread count.
        const vq::Matrix c = gloveGroups(512, 8, 99991);
        const vq::Matrix x = gloveGroups(5000, 8);
        std::vector<int32_t> fused(5000);
        std::vector<float> values(5000);
        vq::FusedArgmin(c).search(x, fused.data(), values.data());
        const vq::NearestCentroids nc(c);
        for (int threads : { 1, 2 }) {
            std::vector<int32_t> labels(5000);
            std::vector<float> dist(5000);
            nc.assign(x, labels.data(), dist.data(), threads);
            QCOMPARE(labels, fused);
            for (int i = 0; i < 5000; ++i)
                QCOMPARE(dist[static_cast<size_t>(i)],
                    std::max(0.0f, vq::squaredNorm(x.row(i), 8) + values[static_cast<size_t>(i)]));
        }
    }

    void refusesBadShapes()
    {
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::FusedArgmin(vq::Matrix(0, 8)));
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::FusedArgmin(vq::Matrix(4, 0)));
        const vq::FusedArgmin f(vqtest::randomMatrix(4, 8, 1));
        const vq::Matrix x = vqtest::randomMatrix(3, 7, 2);
        std::vector<int32_t> labels(3);
        try {
            f.search(x, labels.data(), nullptr);
            QFAIL("expected an error");
        } catch (const vq::Error& e) {
            QVERIFY2(
                std::string(e.what()).find("points have 7 dimensions, codewords 8") != std::string::npos, e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestFusedArgmin)
#include "tst_fusedargmin.moc"
