#include "common/error.h"
#include "explore/codewordmap.h"

#include "explorerfixtures.h"

#include <QtTest>

#include <cmath>

using namespace vq;

class TestCodewordMap : public QObject {
    Q_OBJECT

private slots:
    // The map's points are the codewords on the projection's axes; stats as computeCodewordStats gives them.
    void pointsAreTheCodewords_data() { vqtest::addExplorerRows(); }
    void pointsAreTheCodewords()
    {
        QFETCH(QString, run);
        const QuantizedTable& t = vqtest::explorerRun(run.toStdString());
        const int a = CodebookAccess::arrayCount(t) - 1;
        const CodebookAccess access(t, a);
        const int g = access.layout().sharedAcrossGroups ? -1 : 1;
        CodewordMapOptions o;
        o.sampleUses = 300;
        const CodewordMap map = computeCodewordMap(t, &vqtest::explorerTable(), a, 0, g, o, nullRunControl());
        QCOMPARE(int64_t(map.xy.size()), access.codewords() * 2);
        for (int64_t c = 0; c < access.codewords(); ++c) {
            const float* cw = access.codeword(0, g < 0 ? 0 : g, int32_t(c));
            for (int axis = 0; axis < 2; ++axis) {
                double s = 0;
                for (int64_t j = 0; j < access.width(); ++j)
                    s += (cw[j] - map.pca.mean[size_t(j)]) * map.pca.axes[size_t(axis * access.width() + j)];
                QVERIFY(std::abs(map.xy[size_t(c * 2 + axis)] - s) < 1e-5);
            }
        }
        const CodewordStats st = computeCodewordStats(access, 0, g, {}, {}, 5, nullRunControl());
        QCOMPARE(map.stats.usage, st.usage);
        QCOMPARE(map.stats.topRows, st.topRows);
        // 300 sampled uses (or every use when fewer), each with its stored code.
        const int64_t uses = access.arrayRows() * (g < 0 ? access.groups() : 1);
        QCOMPARE(int64_t(map.sampleRows.size()), std::min<int64_t>(300, uses));
        for (size_t i = 0; i < map.sampleRows.size(); ++i)
            QCOMPARE(map.sampleCodes[i], access.code(access.arrayRow(map.sampleRows[i]), 0, map.sampleGroups[i]));
    }

    // What each sampled use was chosen to approximate, recomputed from the table and the stored codewords:
    // the sub-vector itself (PQ), what the first stage leaves (GRVQ stage 2), the row over its scale minus
    // the first codebook (AQLM codebook 2).
    void samplesAreTheEncodedVectors_data()
    {
        QTest::addColumn<QString>("run");
        QTest::addColumn<int>("stage");
        QTest::newRow("pq") << QStringLiteral("pq") << 0;
        QTest::newRow("grvq stage 2") << QStringLiteral("grvq") << 1;
        QTest::newRow("aqlm codebook 2") << QStringLiteral("aqlm") << 1;
    }
    void samplesAreTheEncodedVectors()
    {
        QFETCH(QString, run);
        QFETCH(int, stage);
        const QuantizedTable& t = vqtest::explorerRun(run.toStdString());
        const Matrix& e = vqtest::explorerTable();
        const CodebookAccess access(t, 0);
        const int g = access.layout().sharedAcrossGroups ? -1 : 2;
        CodewordMapOptions o;
        o.sampleUses = 200;
        o.seed = 3;
        const CodewordMap map = computeCodewordMap(t, &e, 0, stage, g, o, nullRunControl());
        QCOMPARE(map.sampleRows.size(), size_t(200));
        const int64_t w = access.width();
        for (size_t i = 0; i < map.sampleRows.size(); ++i) {
            const int64_t r = map.sampleRows[i];
            const int gg = map.sampleGroups[i];
            std::vector<float> target(static_cast<size_t>(w));
            const double scale = t.spec.method == "aqlm" ? t.array("scales").floats[size_t(r)] : 1.0;
            for (int64_t j = 0; j < w; ++j) {
                double v = e.at(r, gg * w + j) / scale;
                for (int s = 0; s < stage; ++s)
                    v -= access.codeword(s, gg, access.code(r, s, gg))[j];
                target[size_t(j)] = float(v);
            }
            float xy[2];
            map.pca.project(target.data(), xy);
            QVERIFY2(std::abs(xy[0] - map.sampleXy[i * 2]) < 1e-4 && std::abs(xy[1] - map.sampleXy[i * 2 + 1]) < 1e-4,
                qPrintable(QStringLiteral("use %1 (row %2, group %3): %4, %5 against %6, %7")
                               .arg(i)
                               .arg(r)
                               .arg(gg)
                               .arg(map.sampleXy[i * 2])
                               .arg(map.sampleXy[i * 2 + 1])
                               .arg(xy[0])
                               .arg(xy[1])));
        }
    }

    void deterministic()
    {
        const QuantizedTable& t = vqtest::explorerRun("aqlm");
        CodewordMapOptions o;
        o.sampleUses = 500;
        o.threads = 1;
        const CodewordMap one = computeCodewordMap(t, &vqtest::explorerTable(), 0, 0, -1, o, nullRunControl());
        o.threads = 2;
        const CodewordMap two = computeCodewordMap(t, &vqtest::explorerTable(), 0, 0, -1, o, nullRunControl());
        QCOMPARE(one.xy, two.xy);
        QCOMPARE(one.sampleXy, two.sampleXy);
        QCOMPARE(one.sampleRows, two.sampleRows);
    }

    void refusesBadRequests()
    {
        const QuantizedTable& t = vqtest::explorerRun("grvq");
        CodewordMapOptions o;
        o.sampleUses = 10;
        const Matrix other = vqtest::sampleSlice(100, 32);
        QVERIFY_THROWS_EXCEPTION(Error, computeCodewordMap(t, &other, 0, 0, 0, o, nullRunControl()));
        QVERIFY_THROWS_EXCEPTION(Error, computeCodewordMap(t, nullptr, 1, 0, 0, o, nullRunControl()));
        QCOMPARE(decodeStepOf(t, 0, 2), 2);
        QVERIFY_THROWS_EXCEPTION(Error, decodeStepOf(t, 0, 3));
        QCOMPARE(decodeStepOf(vqtest::explorerRun("carvq"), 0, 0), 1); // after the adaptor
        QCOMPARE(decodeStepOf(vqtest::explorerRun("carvq-grvq-first"), 0, 0), 0);
    }
};

QTEST_GUILESS_MAIN(TestCodewordMap)
#include "tst_codewordmap.moc"
