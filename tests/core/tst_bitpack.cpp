#include "common/error.h"
#include "quant/bitpack.h"

#include <QTest>

#include <cstdint>
#include <random>
#include <vector>

// The artifact's integer arrays: exact byte layouts for a few hand-checked cases, and round trips of
// every value at small widths and of random and extreme values at every width 1..32.
class TestBitPack : public QObject {
    Q_OBJECT
private slots:
    void knownLayouts()
    {
        // 4 bits: first value in the low nibble
        const std::vector<uint32_t> nibbles { 1, 2, 3 };
        QCOMPARE(vq::packUnsigned(nibbles, 4), (std::vector<uint8_t> { 0x21, 0x03 }));
        // 3 bits: 5 = 101, 6 = 110, 7 = 111 -> stream 101 011 111 (LSB first) = bits 0..8
        const std::vector<uint32_t> threes { 5, 6, 7 };
        QCOMPARE(vq::packUnsigned(threes, 3), (std::vector<uint8_t> { 0xf5, 0x01 }));
        // 12 bits: 0xabc, 0x123 -> bytes bc 3a 12
        const std::vector<uint32_t> twelves { 0xabc, 0x123 };
        QCOMPARE(vq::packUnsigned(twelves, 12), (std::vector<uint8_t> { 0xbc, 0x3a, 0x12 }));
        // 1 bit: 1,0,1,1,0,0,0,0,1 -> 0x0d, 0x01
        const std::vector<uint32_t> bits { 1, 0, 1, 1, 0, 0, 0, 0, 1 };
        QCOMPARE(vq::packUnsigned(bits, 1), (std::vector<uint8_t> { 0x0d, 0x01 }));
        // signed 4 bits: -1 -> 0xf, -8 -> 0x8, 7 -> 0x7
        const std::vector<int32_t> signedNibbles { -1, -8, 7 };
        QCOMPARE(vq::packSigned(signedNibbles, 4), (std::vector<uint8_t> { 0x8f, 0x07 }));
        // 32 bits: plain little-endian words
        const std::vector<uint32_t> words { 0x01020304u, 0xffffffffu };
        QCOMPARE(vq::packUnsigned(words, 32), (std::vector<uint8_t> { 4, 3, 2, 1, 0xff, 0xff, 0xff, 0xff }));
        const std::vector<int32_t> signedWords { INT32_MIN, -2 };
        QCOMPARE(vq::unpackSigned(vq::packSigned(signedWords, 32), 32, 2), signedWords);
    }

    void packedBytesRoundsUp()
    {
        QCOMPARE(vq::packedBytes(0, 7), size_t(0));
        QCOMPARE(vq::packedBytes(1, 1), size_t(1));
        QCOMPARE(vq::packedBytes(8, 1), size_t(1));
        QCOMPARE(vq::packedBytes(9, 1), size_t(2));
        QCOMPARE(vq::packedBytes(3, 5), size_t(2));
        QCOMPARE(vq::packedBytes(10, 32), size_t(40));
    }

    void everyValueRoundTrips_data()
    {
        QTest::addColumn<int>("bits");
        for (int b = 1; b <= 14; ++b)
            QTest::addRow("%d bits", b) << b;
    }
    void everyValueRoundTrips()
    {
        QFETCH(int, bits);
        std::vector<uint32_t> u(size_t(1) << bits);
        for (size_t i = 0; i < u.size(); ++i)
            u[i] = static_cast<uint32_t>(i);
        const auto packed = vq::packUnsigned(u, bits);
        QCOMPARE(packed.size(), vq::packedBytes(u.size(), bits));
        QCOMPARE(vq::unpackUnsigned(packed, bits, u.size()), u);

        std::vector<int32_t> s(u.size());
        for (size_t i = 0; i < s.size(); ++i)
            s[i] = static_cast<int32_t>(i) - (int32_t(1) << (bits - 1));
        QCOMPARE(vq::unpackSigned(vq::packSigned(s, bits), bits, s.size()), s);
        QCOMPARE(vq::unpackInts(vq::packInts(s, bits, true), bits, s.size(), true), s);
    }

    void randomAndExtremesRoundTrip_data()
    {
        QTest::addColumn<int>("bits");
        for (int b = 1; b <= 32; ++b)
            QTest::addRow("%d bits", b) << b;
    }
    void randomAndExtremesRoundTrip()
    {
        QFETCH(int, bits);
        const uint64_t top = (uint64_t(1) << bits) - 1;
        std::mt19937_64 rng(static_cast<uint64_t>(bits));
        // Odd count so the stream ends mid-byte for most widths.
        std::vector<uint32_t> u { 0, static_cast<uint32_t>(top), 1, static_cast<uint32_t>(top >> 1) };
        for (int i = 0; i < 997; ++i)
            u.push_back(static_cast<uint32_t>(rng() & top));
        const auto packed = vq::packUnsigned(u, bits);
        QCOMPARE(packed.size(), vq::packedBytes(u.size(), bits));
        QCOMPARE(vq::unpackUnsigned(packed, bits, u.size()), u);
        // Padding bits of the last byte are zero.
        const size_t usedBits = u.size() * static_cast<size_t>(bits);
        if (usedBits % 8)
            QCOMPARE(packed.back() >> (usedBits % 8), 0);

        const int64_t lo = -(int64_t(1) << (bits - 1));
        const int64_t hi = (int64_t(1) << (bits - 1)) - 1;
        std::vector<int32_t> s { static_cast<int32_t>(lo), static_cast<int32_t>(hi), 0 };
        if (bits > 1)
            s.push_back(-1);
        std::uniform_int_distribution<int64_t> dist(lo, hi);
        for (int i = 0; i < 997; ++i)
            s.push_back(static_cast<int32_t>(dist(rng)));
        QCOMPARE(vq::unpackSigned(vq::packSigned(s, bits), bits, s.size()), s);

        // StoredArray-style unsigned ints (held as int32) agree with the uint32 form.
        std::vector<int32_t> asInts(u.begin(), u.end());
        QCOMPARE(vq::packInts(asInts, bits, false), packed);
        QCOMPARE(vq::unpackInts(packed, bits, u.size(), false), asInts);
    }

    void refusesValuesThatDoNotFit()
    {
        const std::vector<uint32_t> u { 3, 16 };
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::packUnsigned(u, 4));
        try {
            vq::packUnsigned(u, 4);
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::InvalidArgument);
            QVERIFY(std::string(e.what()).find("16 at index 1") != std::string::npos);
        }
        const std::vector<int32_t> s { -9 };
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::packSigned(s, 4));
        const std::vector<int32_t> s8 { 8 };
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::packSigned(s8, 4));
        const std::vector<int32_t> negative { -1 };
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::packInts(negative, 8, false));
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::packUnsigned(u, 0));
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::packUnsigned(u, 33));
    }

    void refusesShortInput()
    {
        const std::vector<uint8_t> bytes { 0xff, 0xff };
        QCOMPARE(vq::unpackUnsigned(bytes, 4, 4).size(), size_t(4));
        try {
            vq::unpackUnsigned(bytes, 4, 5);
            QFAIL("expected an error");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::Truncated);
        }
    }
};

QTEST_GUILESS_MAIN(TestBitPack)
#include "tst_bitpack.moc"
