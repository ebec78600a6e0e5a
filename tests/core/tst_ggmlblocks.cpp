#include "common/error.h"
#include "common/halffloat.h"
#include "io/ggmlblocks.h"
#include "npyfixture_gguf.h"
#include "testutil.h"

#include <QTest>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using vq::ggml::BlockType;
using vq::ggml::Q4Rounding;

Q_DECLARE_METATYPE(BlockType)
Q_DECLARE_METATYPE(Q4Rounding)

namespace {

int q4Nibble(const std::vector<uint8_t>& block, int j)
{
    return j < 16 ? block[2 + j] & 0x0f : block[2 + j - 16] >> 4;
}

bool sameBits(const std::vector<float>& a, const std::vector<float>& b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

} // namespace

// The codec must reproduce ggml's reference quantizers bit for bit: hand-computed blocks pin the
// rounding rules, the gguf-py fixtures pin the whole pipeline on real data.
class TestGgmlBlocks : public QObject {
    Q_OBJECT
private slots:
    void sizes()
    {
        QCOMPARE(vq::ggml::blockBytes(BlockType::Q8_0), size_t(34));
        QCOMPARE(vq::ggml::blockBytes(BlockType::Q4_0), size_t(18));
        QCOMPARE(vq::ggml::storedBytes(BlockType::Q8_0, 96), size_t(102));
        QCOMPARE(vq::ggml::storedBytes(BlockType::Q4_0, 96), size_t(54));
        QCOMPARE(vq::ggml::storedBytes(BlockType::Q4_0, 0), size_t(0));
    }

    void q8_0KnownBlock()
    {
        // amax 127 gives d = 1 exactly, so the codes show roundf's rule: halves away from zero.
        std::vector<float> x(32, 0.0f);
        x[0] = 127.0f;
        x[1] = -127.0f;
        x[2] = 2.5f;
        x[3] = -2.5f;
        x[4] = 0.49f;
        x[5] = 100.5f;
        x[31] = -0.5f;
        const auto b = vq::ggml::quantize(BlockType::Q8_0, x);
        QCOMPARE(b.size(), size_t(34));
        QCOMPARE(int(b[0]), 0x00); // fp16 1.0 = 0x3c00, little-endian
        QCOMPARE(int(b[1]), 0x3c);
        const int expected[] = { 127, -127, 3, -3, 0, 101 };
        for (int j = 0; j < 6; ++j)
            QCOMPARE(int(static_cast<int8_t>(b[2 + j])), expected[j]);
        QCOMPARE(int(static_cast<int8_t>(b[2 + 31])), -1);
    }

    void q8_0ScaleIsFp16OfAbsmaxOver127()
    {
        std::vector<float> x(32);
        for (int j = 0; j < 32; ++j)
            x[j] = 0.01f * static_cast<float>(j - 20); // amax 0.2 at j = 0
        const auto b = vq::ggml::quantize(BlockType::Q8_0, x);
        const uint16_t d = static_cast<uint16_t>(b[0] | (b[1] << 8));
        QCOMPARE(d, vq::floatToHalf(0.2f / 127.0f));
        QCOMPARE(int(static_cast<int8_t>(b[2])), -127);
        // 0.01 * 127 / 0.2 = 6.35 -> 6
        QCOMPARE(int(static_cast<int8_t>(b[2 + 21])), 6);
    }

    void q4_0KnownBlock()
    {
        // Largest magnitude -8 gives d = 1: nibble = min(15, trunc(x + 8.5)).
        std::vector<float> x(32, 0.0f);
        x[0] = -8.0f;
        x[1] = 7.0f;
        x[2] = 7.6f;
        x[3] = 0.5f;
        x[4] = -0.5f;
        x[5] = -0.6f;
        x[16] = 3.0f;
        x[17] = -7.9f;
        const auto b = vq::ggml::quantize(BlockType::Q4_0, x);
        QCOMPARE(b.size(), size_t(18));
        QCOMPARE(int(b[0] | (b[1] << 8)), 0x3c00);
        const int lo[] = { 0, 15, 15, 9, 8, 7 };
        for (int j = 0; j < 6; ++j)
            QCOMPARE(q4Nibble(b, j), lo[j]);
        QCOMPARE(q4Nibble(b, 6), 8); // zero
        QCOMPARE(q4Nibble(b, 16), 11); // high nibble of byte 0
        QCOMPARE(q4Nibble(b, 17), 0);
        QCOMPARE(int(b[2]), 0xb0);
    }

    void q4_0FirstLargestMagnitudeSetsSign_data()
    {
        QTest::addColumn<float>("first");
        QTest::addColumn<float>("second");
        QTest::addColumn<int>("scaleBits");
        QTest::newRow("+8 first") << 8.0f << -8.0f << 0xbc00; // d = 8 / -8 = -1
        QTest::newRow("-8 first") << -8.0f << 8.0f << 0x3c00;
    }
    void q4_0FirstLargestMagnitudeSetsSign()
    {
        QFETCH(float, first);
        QFETCH(float, second);
        QFETCH(int, scaleBits);
        std::vector<float> x(32, 0.0f);
        x[3] = first;
        x[9] = second;
        const auto b = vq::ggml::quantize(BlockType::Q4_0, x);
        QCOMPARE(int(b[0] | (b[1] << 8)), scaleBits);
        QCOMPARE(q4Nibble(b, 3), 0); // the defining element always maps to -8
        QCOMPARE(q4Nibble(b, 9), 15); // its opposite would be +8: clamped to 7
    }

    void zeroBlock_data()
    {
        QTest::addColumn<BlockType>("type");
        QTest::addColumn<int>("scaleBits");
        QTest::addColumn<int>("codeByte");
        QTest::newRow("q8_0") << BlockType::Q8_0 << 0x0000 << 0x00;
        // d = 0 / -8 is -0 in ggml too; both nibbles 8, i.e. code 0
        QTest::newRow("q4_0") << BlockType::Q4_0 << 0x8000 << 0x88;
    }
    void zeroBlock()
    {
        QFETCH(BlockType, type);
        QFETCH(int, scaleBits);
        QFETCH(int, codeByte);
        const std::vector<float> x(64, 0.0f);
        const auto b = vq::ggml::quantize(type, x);
        for (size_t blk = 0; blk < 2; ++blk) {
            const size_t base = blk * vq::ggml::blockBytes(type);
            QCOMPARE(int(b[base] | (b[base + 1] << 8)), scaleBits);
            for (size_t i = base + 2; i < base + vq::ggml::blockBytes(type); ++i)
                QCOMPARE(int(b[i]), codeByte);
        }
        std::vector<float> y(64, 1.0f);
        vq::ggml::dequantize(type, b, y);
        QCOMPARE(y, x);
    }

    void nanGetsZeroCode_data()
    {
        QTest::addColumn<BlockType>("type");
        QTest::newRow("q8_0") << BlockType::Q8_0;
        QTest::newRow("q4_0") << BlockType::Q4_0;
    }
    void nanGetsZeroCode()
    {
        QFETCH(BlockType, type);
        std::vector<float> x(32, 0.0f);
        x[0] = 1.0f;
        x[7] = std::numeric_limits<float>::quiet_NaN();
        std::vector<uint16_t> scales(1);
        std::vector<int8_t> codes(32);
        vq::ggml::quantizeParams(type, x, scales, codes);
        QCOMPARE(int(codes[7]), 0);
        QCOMPARE(int(codes[0]), type == BlockType::Q8_0 ? 127 : -8);
    }

    void q4_0RoundingModes_data()
    {
        QTest::addColumn<Q4Rounding>("rounding");
        QTest::addColumn<int>("code");
        // x / d = -1.5000003 exactly; rounded to float first it is -1.5, so +8.5 lands on 7 (code -1);
        // rounded once, 6.9999997 truncates to 6 (code -2).
        QTest::newRow("separate") << Q4Rounding::Separate << -1;
        QTest::newRow("fused") << Q4Rounding::Fused << -2;
    }
    void q4_0RoundingModes()
    {
        QFETCH(Q4Rounding, rounding);
        QFETCH(int, code);
        std::vector<float> x(32, 0.0f);
        x[0] = 1.1f;
        x[1] = 0x1.a6666cp-3f;
        std::vector<uint16_t> scales(1);
        std::vector<int8_t> codes(32);
        vq::ggml::quantizeParams(BlockType::Q4_0, x, scales, codes, rounding);
        QCOMPARE(int(codes[1]), code);
        QCOMPARE(int(codes[0]), -8);
    }

    // gguf-py wrote the fixtures; quantize + dequantize of the reference must give its values exactly.
    void matchesGgufPyOnRealTable_data()
    {
        QTest::addColumn<BlockType>("type");
        QTest::addColumn<Q4Rounding>("rounding");
        QTest::addColumn<QString>("expected");
        QTest::newRow("q8_0") << BlockType::Q8_0 << Q4Rounding::Separate << QStringLiteral("expected-q8_0.npy");
        QTest::newRow("q4_0 separate") << BlockType::Q4_0 << Q4Rounding::Separate
                                       << QStringLiteral("expected-q4_0.npy");
        QTest::newRow("q4_0 fused") << BlockType::Q4_0 << Q4Rounding::Fused << QStringLiteral("expected-q4_0.npy");
    }
    void matchesGgufPyOnRealTable()
    {
        QFETCH(BlockType, type);
        QFETCH(Q4Rounding, rounding);
        QFETCH(QString, expected);
        const auto ref = vqtest::readNpyF32(vqtest::dataPath("reference-512x100-f32.npy"));
        QVERIFY2(ref.error.empty(), ref.error.c_str());
        const auto want = vqtest::readNpyF32(vqtest::dataPath(expected.toStdString()));
        QVERIFY2(want.error.empty(), want.error.c_str());
        QCOMPARE(want.rows, 512);
        QCOMPARE(want.cols, 96);
        const std::vector<float> x = ref.leftColumns(96);
        const auto bytes = vq::ggml::quantize(type, x, rounding);
        QCOMPARE(bytes.size(), size_t(512 * 3) * vq::ggml::blockBytes(type));
        std::vector<float> y(x.size());
        vq::ggml::dequantize(type, bytes, y);
        QVERIFY(sameBits(y, want.values));
        QVERIFY(!sameBits(y, x)); // it is lossy: the comparison is not trivially satisfied
    }

    void paramsAgreeWithBytes_data()
    {
        QTest::addColumn<BlockType>("type");
        QTest::newRow("q8_0") << BlockType::Q8_0;
        QTest::newRow("q4_0") << BlockType::Q4_0;
    }
    void paramsAgreeWithBytes()
    {
        QFETCH(BlockType, type);
        const auto ref = vqtest::readNpyF32(vqtest::dataPath("reference-512x100-f32.npy"));
        QVERIFY2(ref.error.empty(), ref.error.c_str());
        const std::vector<float> x = ref.leftColumns(96);
        const auto bytes = vq::ggml::quantize(type, x);

        std::vector<uint16_t> scales(x.size() / 32);
        std::vector<int8_t> codes(x.size());
        vq::ggml::quantizeParams(type, x, scales, codes);
        std::vector<uint8_t> packed(bytes.size());
        vq::ggml::packBlocks(type, scales, codes, packed);
        QVERIFY(packed == bytes);

        std::vector<uint16_t> scales2(scales.size());
        std::vector<int8_t> codes2(codes.size());
        vq::ggml::unpackBlocks(type, bytes, scales2, codes2);
        QVERIFY(scales2 == scales);
        QVERIFY(codes2 == codes);

        std::vector<float> viaParams(x.size()), viaBytes(x.size());
        vq::ggml::dequantizeParams(scales, codes, viaParams);
        vq::ggml::dequantize(type, bytes, viaBytes);
        QVERIFY(sameBits(viaParams, viaBytes));

        int8_t lo = 127, hi = -128;
        for (int8_t c : codes) {
            lo = std::min(lo, c);
            hi = std::max(hi, c);
        }
        QCOMPARE(int(lo), type == BlockType::Q8_0 ? -127 : -8);
        QCOMPARE(int(hi), type == BlockType::Q8_0 ? 127 : 7);
    }

    void badSizesThrow()
    {
        const std::vector<float> x33(33, 1.0f);
        const std::vector<float> x32(32, 1.0f);
        std::vector<uint8_t> out(34);
        auto expectInvalid = [](auto&& fn) {
            try {
                fn();
            } catch (const vq::Error& e) {
                return e.kind() == vq::ErrorKind::InvalidArgument;
            }
            return false;
        };
        QVERIFY(expectInvalid([&] { vq::ggml::quantize(BlockType::Q8_0, x33); }));
        QVERIFY(expectInvalid([&] { vq::ggml::quantize(BlockType::Q4_0, x32, out); })); // needs 18 bytes
        std::vector<float> y(32);
        QVERIFY(expectInvalid([&] { vq::ggml::dequantize(BlockType::Q8_0, std::span(out).first(33), y); }));
        std::vector<uint16_t> scales(1);
        std::vector<int8_t> codes(32, 0);
        codes[4] = 8; // outside Q4_0's [-8, 7]
        std::vector<uint8_t> q4(18);
        QVERIFY(expectInvalid([&] { vq::ggml::packBlocks(BlockType::Q4_0, scales, codes, q4); }));
        std::vector<uint16_t> twoScales(2);
        QVERIFY(expectInvalid([&] { vq::ggml::quantizeParams(BlockType::Q8_0, x32, twoScales, codes); }));
    }
};

QTEST_GUILESS_MAIN(TestGgmlBlocks)
#include "tst_ggmlblocks.moc"
