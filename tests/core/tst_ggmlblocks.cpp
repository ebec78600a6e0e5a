#include "common/error.h"
#include "common/halffloat.h"
#include "io/ggmlblocks.h"
#include "io/ggufreader.h"
#include "io/importancevector.h"
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

// ggml's own fixtures (tests/data/ggml): the 128 x 256 reference table, the importance vector, and per
// type the GGUF file ggml wrote and the values ggml's to_float gives for it.
std::string ggmlFixture(const std::string& name)
{
    return vqtest::dataPath("ggml/" + name);
}

std::vector<uint8_t> fixtureBlocks(const std::string& file)
{
    const vq::GgufReader reader(ggmlFixture(file));
    const auto bytes = reader.tensorBytes("token_embd.weight");
    return { bytes.begin(), bytes.end() };
}

// The first index where two byte strings differ, for failure messages.
QByteArray firstDifference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b)
{
    if (a.size() != b.size())
        return "sizes " + QByteArray::number(qulonglong(a.size())) + " and " + QByteArray::number(qulonglong(b.size()));
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i])
            return "byte " + QByteArray::number(qulonglong(i)) + ": " + QByteArray::number(a[i]) + " against "
                + QByteArray::number(b[i]);
    return "none";
}

QByteArray firstDifference(const std::vector<float>& a, const std::vector<float>& b)
{
    if (a.size() != b.size())
        return "sizes differ";
    for (size_t i = 0; i < a.size(); ++i)
        if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
            return "value " + QByteArray::number(qulonglong(i)) + ": " + QByteArray::number(a[i], 'g', 9) + " against "
                + QByteArray::number(b[i], 'g', 9);
    return "none";
}

// Every fixture: ggml's type name, whether it was quantized with the importance vector.
void addFixtureRows()
{
    QTest::addColumn<QString>("type");
    QTest::addColumn<bool>("imatrix");
    for (const char* t :
        { "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_nl", "iq4_xs" }) {
        QTest::newRow(t) << QString::fromLatin1(t) << false;
        QTest::newRow((std::string(t) + "-imatrix").c_str()) << QString::fromLatin1(t) << true;
    }
    QTest::newRow("tq1_0") << QStringLiteral("tq1_0") << false;
    QTest::newRow("tq2_0") << QStringLiteral("tq2_0") << false;
}

std::string fixtureName(const QString& type, bool imatrix)
{
    return type.toStdString() + (imatrix ? "-imatrix" : "");
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

    void typeTable()
    {
        // The parameter form stores exactly the block's bits: codes, fp16 d (and m), sub-block codes.
        int withParams = 0;
        for (const vq::ggml::TypeTraits& t : vq::ggml::allTypes()) {
            QCOMPARE(vq::ggml::findType(static_cast<uint32_t>(t.type)), &t);
            QCOMPARE(vq::ggml::typeFromName(QByteArray(t.name).toUpper().toStdString()), std::optional(t.type));
            if (t.params.codeBits == 0)
                continue;
            ++withParams;
            const vq::ggml::ParamCounts c = vq::ggml::paramCounts(t.type, t.blockValues);
            const size_t bits = c.codes * size_t(t.params.codeBits) + 16 * (c.d + c.m)
                + c.scales * size_t(t.params.scaleBits) + c.mins * size_t(t.params.minBits);
            QCOMPARE(bits, t.blockBytes * 8);
        }
        QCOMPARE(withParams, 12);
        QCOMPARE(vq::ggml::findType(4), nullptr); // q4_2, removed from ggml
        QCOMPARE(vq::ggml::findType(43), nullptr);
        QCOMPARE(vq::ggml::typeFromName("q4_k"), std::optional(vq::ggml::GgmlType::Q4_K));
        QCOMPARE(vq::ggml::typeFromName("q4_kk"), std::nullopt);
        QCOMPARE(QByteArray(vq::ggml::readableTypeList().c_str()),
            QByteArray(
                "f32, f16, q4_0, q4_1, q5_0, q5_1, q8_0, q2_K, q3_K, q4_K, q5_K, q6_K, iq4_nl, iq4_xs, f64, bf16, "
                "tq1_0, tq2_0"));
    }

    // Reading: dequantize() of the bytes ggml wrote equals ggml's to_float bit for bit, and so does the
    // parameter form (unpack, then dequantize), which packs back to the same bytes.
    void fixtureDecodes_data() { addFixtureRows(); }
    void fixtureDecodes()
    {
        QFETCH(QString, type);
        QFETCH(bool, imatrix);
        const auto t = vq::ggml::typeFromName(type.toStdString());
        QVERIFY(t);
        const std::vector<uint8_t> bytes = fixtureBlocks("table-" + fixtureName(type, imatrix) + ".gguf");
        const vqtest::NpyF32 expected
            = vqtest::readNpyF32(ggmlFixture("expected-" + fixtureName(type, imatrix) + ".npy"));
        QVERIFY2(expected.error.empty(), expected.error.c_str());
        QCOMPARE(expected.rows, 128);
        QCOMPARE(expected.cols, 256);
        QCOMPARE(bytes.size(), vq::ggml::storedBytes(*t, 128 * 256));
        std::vector<float> values(128 * 256);
        vq::ggml::dequantize(*t, bytes, values);
        QVERIFY2(sameBits(values, expected.values), firstDifference(values, expected.values).constData());
        if (vq::ggml::traits(*t).params.codeBits == 0)
            return;
        vq::ggml::BlockParams params;
        vq::ggml::unpack(*t, bytes, params);
        std::vector<float> viaParams(values.size());
        vq::ggml::dequantize(*t, params, viaParams);
        QVERIFY2(sameBits(viaParams, expected.values), firstDifference(viaParams, expected.values).constData());
        std::vector<uint8_t> packed(bytes.size());
        vq::ggml::pack(*t, params, packed);
        QVERIFY2(packed == bytes, firstDifference(packed, bytes).constData());
    }

    // Writing: quantize() of the reference table (with the importance vector for the -imatrix files)
    // gives the block bytes ggml_quantize_chunk wrote.
    void fixtureEncodes_data() { addFixtureRows(); }
    void fixtureEncodes()
    {
        QFETCH(QString, type);
        QFETCH(bool, imatrix);
        const auto t = vq::ggml::typeFromName(type.toStdString());
        QVERIFY(t);
        const vqtest::NpyF32 reference = vqtest::readNpyF32(ggmlFixture("reference-128x256-f32.npy"));
        QVERIFY2(reference.error.empty(), reference.error.c_str());
        const std::vector<float> importance = vq::readImportanceVector(ggmlFixture("imatrix-256.npy"), 256);
        const std::vector<uint8_t> expected = fixtureBlocks("table-" + fixtureName(type, imatrix) + ".gguf");
        std::vector<uint8_t> bytes(expected.size());
        if (imatrix)
            vq::ggml::quantize(*t, reference.values, bytes, importance);
        else
            vq::ggml::quantize(*t, reference.values, bytes);
        QVERIFY2(bytes == expected, firstDifference(bytes, expected).constData());
        // The importance vector changes the bytes of exactly the types ggml passes it to.
        std::vector<uint8_t> other(expected.size());
        if (imatrix)
            vq::ggml::quantize(*t, reference.values, other);
        else
            vq::ggml::quantize(*t, reference.values, other, importance);
        QCOMPARE(other != expected, vq::ggml::traits(*t).usesImportance);
    }

    void unreadableTypesRefuse()
    {
        std::vector<uint8_t> bytes(66);
        std::vector<float> y(256);
        try {
            vq::ggml::dequantize(vq::ggml::GgmlType::IQ2_XXS, bytes, y);
            QFAIL("iq2_xxs decoded");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::Unsupported);
            QVERIFY(QByteArray(e.what()).contains("iq2_xxs"));
            QVERIFY(QByteArray(e.what()).contains("q4_K"));
        }
        std::vector<float> x(256, 1.0f);
        std::vector<uint8_t> out(56);
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::ggml::quantize(vq::ggml::GgmlType::IQ1_M, x, out));
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
        // Super-blocks: 256 values; the importance vector must tile whole rows of whole blocks.
        std::vector<float> x512(512, 1.0f), w200(200, 1.0f), w256(256, 1.0f);
        std::vector<uint8_t> q4k(vq::ggml::storedBytes(BlockType::Q4_K, 512));
        QVERIFY(expectInvalid([&] { vq::ggml::quantize(BlockType::Q4_K, x32, q4k); }));
        QVERIFY(expectInvalid([&] { vq::ggml::quantize(BlockType::Q4_K, x512, q4k, w200); }));
        vq::ggml::quantize(BlockType::Q4_K, x512, q4k, w256);
        vq::ggml::BlockParams params;
        vq::ggml::unpack(BlockType::Q4_K, q4k, params);
        params.mins[3] = 64; // 6 bits
        QVERIFY(expectInvalid([&] { vq::ggml::pack(BlockType::Q4_K, params, q4k); }));
        params.mins.pop_back();
        QVERIFY(expectInvalid([&] { vq::ggml::pack(BlockType::Q4_K, params, q4k); }));
        QVERIFY(expectInvalid([&] { vq::ggml::quantizeParams(BlockType::Q4_K, x512, twoScales, codes); }));
    }
};

QTEST_GUILESS_MAIN(TestGgmlBlocks)
#include "tst_ggmlblocks.moc"
