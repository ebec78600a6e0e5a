#include "common/error.h"
#include "explore/codewordprojection.h"
#include "metrics/rowsample.h"

#include "explorerfixtures.h"

#include <QtTest>

#include <cmath>

using namespace vq;

namespace {

// The covariance (1/N) of points, width x width.
std::vector<double> covariance(const std::vector<float>& p, int64_t n, int64_t w)
{
    std::vector<double> mean(size_t(w), 0.0), c(size_t(w * w), 0.0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t k = 0; k < w; ++k)
            mean[size_t(k)] += p[size_t(i * w + k)] / double(n);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t a = 0; a < w; ++a)
            for (int64_t b = 0; b < w; ++b)
                c[size_t(a * w + b)]
                    += (p[size_t(i * w + a)] - mean[size_t(a)]) * (p[size_t(i * w + b)] - mean[size_t(b)]) / double(n);
    return c;
}

// Plain power iteration with deflation on an explicit covariance: the top two eigenpairs.
void powerIteration(std::vector<double> c, int64_t w, double values[2], std::vector<double> vectors[2])
{
    for (int e = 0; e < 2; ++e) {
        std::vector<double> v(size_t(w), 1.0 / std::sqrt(double(w)));
        v[0] += 0.3; // off any symmetric start
        double lambda = 0;
        for (int it = 0; it < 20000; ++it) {
            std::vector<double> y(size_t(w), 0.0);
            for (int64_t a = 0; a < w; ++a)
                for (int64_t b = 0; b < w; ++b)
                    y[size_t(a)] += c[size_t(a * w + b)] * v[size_t(b)];
            double n = 0;
            for (double x : y)
                n += x * x;
            n = std::sqrt(n);
            for (int64_t a = 0; a < w; ++a)
                y[size_t(a)] /= n;
            lambda = n;
            v = y;
        }
        values[e] = lambda;
        vectors[e] = v;
        for (int64_t a = 0; a < w; ++a)
            for (int64_t b = 0; b < w; ++b)
                c[size_t(a * w + b)] -= lambda * v[size_t(a)] * v[size_t(b)];
    }
}

std::vector<float> gloveSubvectors(int64_t n, int64_t w, int64_t firstCol)
{
    const Matrix m = vqtest::sampleSlice(n, firstCol + w);
    std::vector<float> p(size_t(n * w));
    for (int64_t i = 0; i < n; ++i)
        for (int64_t k = 0; k < w; ++k)
            p[size_t(i * w + k)] = m.at(i, firstCol + k);
    return p;
}

} // namespace

class TestCodewordProjection : public QObject {
    Q_OBJECT

private slots:
    // Real GloVe sub-vectors: the axes and variances of an independent power iteration, orthonormal axes,
    // the variance along each axis equal to the mean squared coordinate.
    void matchesPowerIteration_data()
    {
        QTest::addColumn<int>("points");
        QTest::addColumn<int>("width");
        QTest::addColumn<int>("firstCol");
        QTest::newRow("256 x 4") << 256 << 4 << 0;
        QTest::newRow("2000 x 8") << 2000 << 8 << 8;
        QTest::newRow("3000 x 25") << 3000 << 25 << 50;
        QTest::newRow("16 x 2") << 16 << 2 << 3;
    }
    void matchesPowerIteration()
    {
        QFETCH(int, points);
        QFETCH(int, width);
        QFETCH(int, firstCol);
        const std::vector<float> p = gloveSubvectors(points, width, firstCol);
        const PcaProjection pca = fitPca2(p.data(), points, width, 11, 2);
        QVERIFY(pca.converged);
        double values[2];
        std::vector<double> vectors[2];
        const std::vector<double> c = covariance(p, points, width);
        powerIteration(c, width, values, vectors);
        double trace = 0;
        for (int k = 0; k < width; ++k)
            trace += c[size_t(k * width + k)];
        QVERIFY(std::abs(pca.totalVariance - trace) < 1e-9 * trace);
        for (int a = 0; a < 2; ++a) {
            QVERIFY2(std::abs(pca.variance[a] - values[a]) < 1e-6 * values[0],
                qPrintable(QStringLiteral("axis %1: %2 against %3").arg(a).arg(pca.variance[a]).arg(values[a])));
            double d = 0, n = 0;
            for (int k = 0; k < width; ++k) {
                d += pca.axes[size_t(a * width + k)] * vectors[a][size_t(k)];
                n += pca.axes[size_t(a * width + k)] * pca.axes[size_t(a * width + k)];
            }
            QVERIFY(std::abs(n - 1) < 1e-12);
            QVERIFY2(std::abs(std::abs(d) - 1) < 1e-6, qPrintable(QString::number(d, 'g', 17)));
        }
        double cross = 0;
        for (int k = 0; k < width; ++k)
            cross += pca.axes[size_t(k)] * pca.axes[size_t(width + k)];
        QVERIFY(std::abs(cross) < 1e-12);
        // Mean squared coordinate = variance along the axis; the coordinates are centred.
        double sum[2] = { 0, 0 }, sq[2] = { 0, 0 };
        for (int i = 0; i < points; ++i) {
            float xy[2];
            pca.project(p.data() + i * width, xy);
            for (int a = 0; a < 2; ++a) {
                sum[a] += xy[a];
                sq[a] += double(xy[a]) * xy[a];
            }
        }
        for (int a = 0; a < 2; ++a) {
            QVERIFY(std::abs(sum[a] / points) < 1e-5);
            QVERIFY(std::abs(sq[a] / points - pca.variance[a]) < 1e-5 * pca.variance[0]);
        }
        QVERIFY(pca.variance[0] >= pca.variance[1]);
        QVERIFY(pca.variance[0] + pca.variance[1] <= pca.totalVariance * (1 + 1e-12));
    }

    // Same seed, any thread count: the same numbers; another seed converges to the same axes.
    void deterministic()
    {
        const std::vector<float> p = gloveSubvectors(4000, 10, 20);
        const PcaProjection a = fitPca2(p.data(), 4000, 10, 5, 1);
        const PcaProjection b = fitPca2(p.data(), 4000, 10, 5, 2);
        QCOMPARE(a.axes, b.axes);
        QCOMPARE(a.variance[0], b.variance[0]);
        QCOMPARE(a.iterations, b.iterations);
        const PcaProjection c = fitPca2(p.data(), 4000, 10, 99, 2);
        for (size_t k = 0; k < a.axes.size(); ++k)
            QVERIFY(std::abs(a.axes[k] - c.axes[k]) < 1e-6);
    }

    void degenerate()
    {
        // One point, identical points: no variance, axes still orthonormal.
        const std::vector<float> same(5 * 3, 0.25f);
        const PcaProjection flat = fitPca2(same.data(), 5, 3, 1, 1);
        QCOMPARE(flat.totalVariance, 0.0);
        QCOMPARE(flat.variance[0], 0.0);
        float xy[2];
        flat.project(same.data(), xy);
        QCOMPARE(xy[0], 0.0f);
        // Points on a line: all variance on the first axis, which is that line.
        std::vector<float> line;
        for (int i = 0; i < 10; ++i)
            line.insert(line.end(), { float(i), float(2 * i), 0.0f });
        const PcaProjection l = fitPca2(line.data(), 10, 3, 1, 1);
        QVERIFY(std::abs(l.variance[0] - l.totalVariance) < 1e-9);
        QVERIFY(std::abs(l.variance[1]) < 1e-9);
        QVERIFY(std::abs(l.axes[0] - 1 / std::sqrt(5.0)) < 1e-9);
        QVERIFY(std::abs(l.axes[1] - 2 / std::sqrt(5.0)) < 1e-9);
        double cross = 0;
        for (int k = 0; k < 3; ++k)
            cross += l.axes[size_t(k)] * l.axes[size_t(3 + k)];
        QVERIFY(std::abs(cross) < 1e-12);
        // Width 1: one axis, the second all zero.
        const std::vector<float> scalars { 1, 2, 4 };
        const PcaProjection one = fitPca2(scalars.data(), 3, 1, 1, 1);
        QCOMPARE(one.axes, (std::vector<double> { 1, 0 }));
        QVERIFY(std::abs(one.variance[0] - 14.0 / 9) < 1e-12);
    }

    void refusesBadInput()
    {
        const std::vector<float> p { 1, 2, NAN, 4 };
        QVERIFY_THROWS_EXCEPTION(Error, fitPca2(p.data(), 2, 2, 1, 1));
        QVERIFY_THROWS_EXCEPTION(Error, fitPca2(p.data(), 0, 2, 1, 1));
        QVERIFY_THROWS_EXCEPTION(Error, fitPca2(p.data(), 2, 0, 1, 1));
    }
};

QTEST_GUILESS_MAIN(TestCodewordProjection)
#include "tst_codewordprojection.moc"
