#include "common/halffloat.h"

#include <QTest>

#include <cmath>
#include <cstring>
#include <limits>

// Conversions must match numpy/ggml bit for bit: checked exhaustively for every fp16 pattern and on
// the rounding boundaries for narrowing.
class TestHalfFloat : public QObject {
    Q_OBJECT
private slots:
    void halfRoundTripsEveryPattern()
    {
        for (uint32_t h = 0; h < 0x10000u; ++h) {
            const float f = vq::halfToFloat(static_cast<uint16_t>(h));
            if (std::isnan(f)) {
                QVERIFY(std::isnan(vq::halfToFloat(vq::floatToHalf(f))));
                continue;
            }
            QCOMPARE(vq::floatToHalf(f), static_cast<uint16_t>(h));
        }
    }
    void halfKnownValues_data()
    {
        QTest::addColumn<float>("value");
        QTest::addColumn<int>("bits");
        QTest::newRow("one") << 1.0f << 0x3c00;
        QTest::newRow("minus two") << -2.0f << 0xc000;
        QTest::newRow("max") << 65504.0f << 0x7bff;
        QTest::newRow("overflow") << 65520.0f << 0x7c00;
        QTest::newRow("just under overflow") << 65519.99f << 0x7bff;
        QTest::newRow("smallest subnormal") << 5.9604645e-08f << 0x0001;
        QTest::newRow("half of smallest subnormal ties to zero") << 2.9802322e-08f << 0x0000;
        QTest::newRow("tie to even up") << 1.0f + 3.0f * 0.00048828125f << 0x3c02; // 1 + 1.5 ulp -> even 2
        QTest::newRow("tie to even down") << 1.0f + 0.00048828125f << 0x3c00; // 1 + 0.5 ulp -> even 0
        QTest::newRow("largest subnormal") << 6.0975552e-05f << 0x03ff;
    }
    void halfKnownValues()
    {
        QFETCH(float, value);
        QFETCH(int, bits);
        QCOMPARE(static_cast<int>(vq::floatToHalf(value)), bits);
    }
    void bf16RoundsToNearestEven()
    {
        QCOMPARE(vq::floatToBf16(1.0f), uint16_t(0x3f80));
        // 1 + 2^-8 is exactly half an ulp of bf16 above 1: ties to even (down)
        QCOMPARE(vq::floatToBf16(1.00390625f), uint16_t(0x3f80));
        // 1 + 3*2^-8 is half an ulp above 1+2^-7 (odd): rounds up to 1+2^-6
        QCOMPARE(vq::floatToBf16(1.01171875f), uint16_t(0x3f82));
        QVERIFY(std::isnan(vq::bf16ToFloat(vq::floatToBf16(std::numeric_limits<float>::quiet_NaN()))));
        QCOMPARE(vq::bf16ToFloat(0xbf80), -1.0f);
    }
};

QTEST_GUILESS_MAIN(TestHalfFloat)
#include "tst_halffloat.moc"
