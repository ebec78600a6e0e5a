#include "common/error.h"
#include "explore/codebookaccess.h"
#include "explore/codebookalignment.h"

#include "explorerfixtures.h"

#include <QtTest>

#include <cmath>
#include <numeric>

using namespace vq;

class TestCodebookAlignment : public QObject {
    Q_OBJECT

private slots:
    // Two GRVQ-family runs (plain GRVQ and CARVQ's GRVQ part) against a brute-force nearest search.
    void againstBruteForce()
    {
        const CodebookAccess a(vqtest::explorerRun("grvq"), 0);
        const CodebookAccess b(vqtest::explorerRun("carvq"), 0);
        const int64_t k = a.codewords(), w = a.width();
        const CodebookAlignment al
            = alignCodebooks(a.codeword(0, 3, 0), k, b.codeword(0, 3, 0), k, w, 20, nullRunControl());
        const auto dist = [&](const float* x, const float* y) {
            double s = 0;
            for (int64_t j = 0; j < w; ++j)
                s += (double(x[j]) - y[j]) * (double(x[j]) - y[j]);
            return std::sqrt(s);
        };
        int64_t matched = 0;
        for (int64_t i = 0; i < k; ++i) {
            double best = 1e300;
            int64_t at = -1;
            for (int64_t j = 0; j < k; ++j) {
                const double d = dist(a.codeword(0, 3, int32_t(i)), b.codeword(0, 3, int32_t(j)));
                if (d < best) {
                    best = d;
                    at = j;
                }
            }
            QCOMPARE(int64_t(al.nearestInB[size_t(i)]), at);
            QVERIFY(std::abs(al.distanceToB[size_t(i)] - best) < 1e-6);
            matched += al.nearestInA[size_t(at)] == i;
        }
        QCOMPARE(int64_t(al.matchedA.size()), matched);
        QCOMPARE(std::accumulate(al.histogram.counts.begin(), al.histogram.counts.end(), int64_t(0)), k);
        QCOMPARE(int(al.histogram.counts.size()), 20);
        QVERIFY(al.medianDistanceToB > 0);
        RunControl one;
        one.threads = 1;
        const CodebookAlignment again = alignCodebooks(a.codeword(0, 3, 0), k, b.codeword(0, 3, 0), k, w, 20, one);
        QCOMPARE(again.nearestInB, al.nearestInB);
        QCOMPARE(again.distanceToA, al.distanceToA);
    }

    // A codebook against a reordered copy of itself: every codeword matched at distance 0.
    void permutedCopy()
    {
        const CodebookAccess a(vqtest::explorerRun("pq"), 0);
        const int64_t k = a.codewords(), w = a.width();
        std::vector<float> copy(size_t(k * w));
        for (int64_t i = 0; i < k; ++i)
            std::copy_n(a.codeword(0, 0, int32_t(i)), w, copy.data() + ((i * 7) % k) * w);
        const CodebookAlignment al = alignCodebooks(a.codeword(0, 0, 0), k, copy.data(), k, w, 8, nullRunControl());
        QCOMPARE(int64_t(al.matchedA.size()), k);
        for (int64_t i = 0; i < k; ++i) {
            QCOMPARE(int64_t(al.nearestInB[size_t(i)]), (i * 7) % k);
            QCOMPARE(al.distanceToB[size_t(i)], 0.0f);
        }
        QCOMPARE(al.medianDistanceToB, 0.0);
        QCOMPARE(al.histogram.counts[0], k);
        QVERIFY(std::abs(al.rmsNormA - al.rmsNormB) < 1e-9);
    }

    void refusesBadInput()
    {
        const float x[4] = { 0, 1, 2, 3 };
        QVERIFY_THROWS_EXCEPTION(Error, alignCodebooks(x, 0, x, 2, 2, 4, nullRunControl()));
        QVERIFY_THROWS_EXCEPTION(Error, alignCodebooks(x, 2, x, 2, 2, 0, nullRunControl()));
    }
};

QTEST_GUILESS_MAIN(TestCodebookAlignment)
#include "tst_codebookalignment.moc"
