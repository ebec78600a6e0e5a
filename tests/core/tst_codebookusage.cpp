#include "common/error.h"
#include "metrics/codebookusage.h"

#include <QtTest>

#include <cmath>
#include <vector>

using namespace vq;

class TestCodebookUsage : public QObject {
    Q_OBJECT

private slots:
    // One group, one stage: the entropy of a known code distribution.
    void entropy_data()
    {
        QTest::addColumn<int>("bits");
        QTest::addColumn<std::vector<uint32_t>>("codes");
        QTest::addColumn<double>("entropy");
        QTest::addColumn<int>("dead");

        std::vector<uint32_t> uniform8;
        for (int rep = 0; rep < 3; ++rep)
            for (uint32_t c = 0; c < 256; ++c)
                uniform8.push_back(c);
        QTest::newRow("uniform 8 bits") << 8 << uniform8 << 8.0 << 0;
        QTest::newRow("one-hot") << 4 << std::vector<uint32_t>(100, 5) << 0.0 << 15;
        QTest::newRow("two equal") << 4 << std::vector<uint32_t> { 3, 9, 3, 9 } << 1.0 << 14;
        QTest::newRow("half quarter quarter") << 2 << std::vector<uint32_t> { 0, 0, 1, 2 } << 1.5 << 1;
        std::vector<uint32_t> uniform16;
        for (uint32_t c = 0; c < 65536; ++c)
            uniform16.push_back(c);
        QTest::newRow("uniform 16 bits") << 16 << uniform16 << 16.0 << 0;
        // p = (3/4, 1/4): H = 2 - (3/4) log2 3
        QTest::newRow("three to one") << 1 << std::vector<uint32_t> { 1, 1, 0, 1 } << 2 - 0.75 * std::log2(3.0) << 0;
    }

    void entropy()
    {
        QFETCH(int, bits);
        QFETCH(std::vector<uint32_t>, codes);
        QFETCH(double, entropy);
        QFETCH(int, dead);
        CodeLayout layout;
        layout.rows = static_cast<int64_t>(codes.size());
        layout.bits = bits;
        const CodebookUsage u = computeCodebookUsage(codes, layout, nullRunControl());
        QCOMPARE(u.perGroup.size(), size_t(1));
        QCOMPARE(u.pooled.size(), size_t(1));
        const CodeUsage& g = u.at(0, 0);
        QCOMPARE(g.counts.size(), size_t(1) << bits);
        QCOMPARE(g.total, static_cast<int64_t>(codes.size()));
        QVERIFY(std::abs(g.entropyBits - entropy) < 1e-12);
        QVERIFY(std::abs(g.perplexity - std::exp2(entropy)) < 1e-9);
        QVERIFY(std::abs(g.entropyRatio - entropy / bits) < 1e-12);
        QCOMPARE(static_cast<int>(g.deadCodes.size()), dead);
        QCOMPARE(u.pooled[0].counts, g.counts);
        QCOMPARE(u.pooled[0].group, -1);
    }

    void oneHotDeadList()
    {
        const std::vector<uint32_t> codes(10, 2);
        CodeLayout layout;
        layout.rows = 10;
        layout.bits = 2;
        const CodebookUsage u = computeCodebookUsage(codes, layout, nullRunControl());
        QCOMPARE(u.at(0, 0).deadCodes, (std::vector<int32_t> { 0, 1, 3 }));
        QCOMPARE(u.at(0, 0).counts, (std::vector<int64_t> { 0, 0, 10, 0 }));
        QCOMPARE(u.at(0, 0).perplexity, 1.0);
    }

    // Two groups, two stages, row-major [rows][groups][stages]. Group 0 uses codes {0, 1}, group 1
    // {2, 3} in stage 0: 1 bit each, 2 bits pooled. Stage 1 uses code 7 everywhere.
    void groupsAndStages()
    {
        const int rows = 8;
        std::vector<int32_t> codes;
        for (int t = 0; t < rows; ++t) {
            codes.push_back(t % 2); // g0 s0
            codes.push_back(7); // g0 s1
            codes.push_back(2 + t % 2); // g1 s0
            codes.push_back(7); // g1 s1
        }
        CodeLayout layout;
        layout.rows = rows;
        layout.groups = 2;
        layout.stages = 2;
        layout.bits = 3;
        layout.sharedAcrossGroups = true;
        const CodebookUsage u = computeCodebookUsage(codes, layout, nullRunControl());
        QCOMPARE(u.perGroup.size(), size_t(4));
        QCOMPARE(u.at(0, 0).entropyBits, 1.0);
        QCOMPARE(u.at(0, 1).entropyBits, 1.0);
        QCOMPARE(u.at(0, 0).deadCodes, (std::vector<int32_t> { 2, 3, 4, 5, 6, 7 }));
        QCOMPARE(u.at(0, 1).deadCodes, (std::vector<int32_t> { 0, 1, 4, 5, 6, 7 }));
        QCOMPARE(u.at(0, 1).stage, 0);
        QCOMPARE(u.at(0, 1).group, 1);
        QCOMPARE(u.pooled[0].entropyBits, 2.0);
        QCOMPARE(u.pooled[0].total, int64_t(16));
        QCOMPARE(u.pooled[0].deadCodes, (std::vector<int32_t> { 4, 5, 6, 7 }));
        QCOMPARE(u.pooled[1].entropyBits, 0.0);
        QCOMPARE(u.pooled[1].counts[7], int64_t(16));
        QCOMPARE(u.at(1, 1).counts[7], int64_t(8));

        // The same codes stored stage-major, [stages][rows][groups], through explicit strides.
        std::vector<int32_t> stageMajor(codes.size());
        for (int t = 0; t < rows; ++t)
            for (int g = 0; g < 2; ++g)
                for (int s = 0; s < 2; ++s)
                    stageMajor[(s * rows + t) * 2 + g] = codes[(t * 2 + g) * 2 + s];
        CodeLayout strided = layout;
        strided.rowStride = 2;
        strided.groupStride = 1;
        strided.stageStride = rows * 2;
        const CodebookUsage v = computeCodebookUsage(stageMajor, strided, nullRunControl());
        for (int p = 0; p < 4; ++p)
            QCOMPARE(v.perGroup[p].counts, u.perGroup[p].counts);
    }

    void rejectsBadInput_data()
    {
        QTest::addColumn<std::vector<int32_t>>("codes");
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("bits");
        QTest::newRow("code too large") << std::vector<int32_t> { 0, 4, 1 } << 3 << 2;
        QTest::newRow("negative code") << std::vector<int32_t> { 0, -1, 1 } << 3 << 2;
        QTest::newRow("array too short") << std::vector<int32_t> { 0, 1 } << 3 << 2;
        QTest::newRow("zero bits") << std::vector<int32_t> { 0, 0, 0 } << 3 << 0;
        QTest::newRow("25 bits") << std::vector<int32_t> { 0, 0, 0 } << 3 << 25;
        QTest::newRow("negative rows") << std::vector<int32_t> { 0, 0, 0 } << -1 << 2;
    }

    void rejectsBadInput()
    {
        QFETCH(std::vector<int32_t>, codes);
        QFETCH(int, rows);
        QFETCH(int, bits);
        CodeLayout layout;
        layout.rows = rows;
        layout.bits = bits;
        try {
            computeCodebookUsage(codes, layout, nullRunControl());
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::InvalidArgument);
        }
    }

    void cancel()
    {
        CodeLayout layout;
        layout.rows = 4;
        layout.bits = 2;
        const std::vector<uint32_t> codes { 0, 1, 2, 3 };
        RunControl control;
        control.cancel();
        QVERIFY_THROWS_EXCEPTION(Cancelled, computeCodebookUsage(codes, layout, control));
    }

    void entropyOfCounts()
    {
        QCOMPARE(entropyBits(std::vector<int64_t> {}), 0.0);
        QCOMPARE(entropyBits(std::vector<int64_t> { 0, 0 }), 0.0);
        QCOMPARE(entropyBits(std::vector<int64_t> { 5, 5, 5, 5, 0 }), 2.0);
    }
};

QTEST_GUILESS_MAIN(TestCodebookUsage)
#include "tst_codebookusage.moc"
