// The per-token error series a view plots, taken from real reconstruction metrics, and row norms.
#include "metrics/tokenerrorseries.h"

#include "quantchecks.h"
#include "testutil.h"

#include <QtTest>

#include <cmath>

using namespace vq;

class TestTokenErrorSeries : public QObject {
    Q_OBJECT
private slots:
    void seriesAreTheMetricsVectors()
    {
        const Matrix e = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"), 500);
        // A crude reconstruction: every value rounded to a multiple of 0.25.
        Matrix r(e.rows, e.cols);
        for (size_t i = 0; i < e.values.size(); ++i)
            r.values[i] = std::round(e.values[i] * 4) / 4;
        RunControl control;
        const ReconstructionMetrics m = computeReconstructionMetrics(e, r, {}, control);

        std::vector<float> storage;
        const auto rel = tokenErrorSeries(m, TokenErrorMetric::RelError, storage);
        QCOMPARE(rel.data(), m.tokenRelError.data());
        QVERIFY(storage.empty());
        QCOMPARE(tokenErrorSeries(m, TokenErrorMetric::Mse, storage).data(), m.tokenMse.data());
        const auto cos = tokenErrorSeries(m, TokenErrorMetric::CosineDistance, storage);
        QCOMPARE(cos.size(), size_t(500));
        QCOMPARE(cos.data(), storage.data());
        for (size_t i = 0; i < cos.size(); ++i)
            QCOMPARE(cos[i], 1.0f - m.tokenCosine[i]);
        QCOMPARE(tokenErrorPercentiles(m, TokenErrorMetric::CosineDistance).max, m.tokenCosineDistancePercentiles.max);
        QCOMPARE(&tokenErrorPercentiles(m, TokenErrorMetric::Mse), &m.tokenMsePercentiles);
        QCOMPARE(QString::fromLatin1(nameOf(TokenErrorMetric::RelError)), QStringLiteral("relError"));
    }

    void rowNormsOfTheTable()
    {
        const Matrix e = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"), 300);
        const std::vector<float> norms = rowNorms(e);
        QCOMPARE(norms.size(), size_t(300));
        for (int64_t r = 0; r < e.rows; r += 37) {
            double sum = 0;
            for (float v : e.rowSpan(r))
                sum += double(v) * v;
            QCOMPARE(norms[size_t(r)], float(std::sqrt(sum)));
        }
        // GloVe rows are far from zero (row 0, "the", is a frequent word with a mid-sized vector).
        QVERIFY(norms[0] > 3 && norms[0] < 6);
    }
};

QTEST_GUILESS_MAIN(TestTokenErrorSeries)
#include "tst_tokenerrorseries.moc"
