#include "common/error.h"
#include "quant/tokenweights.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace {

std::string writeFile(const QTemporaryDir& dir, const char* name, const QByteArray& content)
{
    const QString path = dir.filePath(QString::fromLatin1(name));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    f.write(content);
    return path.toStdString();
}

// A .npy v1 file: header dict padded so the data starts at byte 64, then the raw element bytes.
QByteArray npy(const char* descr, const char* shape, const QByteArray& data)
{
    QByteArray dict = QByteArray("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    dict = dict.leftJustified(64 - 10 - 1, ' ') + '\n';
    QByteArray out("\x93NUMPY\x01\x00", 8);
    out.append(static_cast<char>(dict.size() & 0xff));
    out.append(static_cast<char>(dict.size() >> 8));
    return out + dict + data;
}

template <class T> QByteArray rawBytes(std::initializer_list<T> values, bool bigEndian = false)
{
    QByteArray out;
    for (const T v : values) {
        QByteArray b(reinterpret_cast<const char*>(&v), sizeof(T));
        if (bigEndian)
            std::reverse(b.begin(), b.end());
        out += b;
    }
    return out;
}

double mean(const std::vector<float>& v)
{
    return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

} // namespace

class TestTokenWeights : public QObject {
    Q_OBJECT
private slots:
    void countsAreNormalisedToMeanOne()
    {
        QTemporaryDir dir;
        const auto path = writeFile(dir, "counts.txt", "1\n3\n0\n4\n");
        QCOMPARE(vq::loadTokenWeights(path, 4), (std::vector<float> { 0.5f, 1.5f, 0.0f, 2.0f }));
        // CRLF, spaces, exponents, no final newline
        const auto crlf = writeFile(dir, "crlf.txt", " 2 \r\n1e1\r\n\t8");
        QCOMPARE(vq::loadTokenWeights(crlf, 3), (std::vector<float> { 0.3f, 1.5f, 1.2f }));
    }

    void refusesBadFiles_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("needle");
        const int malformed = static_cast<int>(vq::ErrorKind::Malformed);
        const int invalid = static_cast<int>(vq::ErrorKind::InvalidArgument);
        QTest::newRow("negative") << QByteArray("1\n2\n-3\n") << 3 << malformed << QStringLiteral("line 3: -3");
        QTest::newRow("nan") << QByteArray("nan\n2\n") << 2 << malformed << QStringLiteral("line 1: nan");
        QTest::newRow("inf") << QByteArray("1\ninf\n") << 2 << malformed << QStringLiteral("line 2: inf");
        QTest::newRow("text") << QByteArray("1\nthe 5\n") << 2 << malformed << QStringLiteral("line 2: 'the 5'");
        QTest::newRow("trailing junk") << QByteArray("1x\n") << 1 << malformed << QStringLiteral("line 1");
        QTest::newRow("blank line") << QByteArray("1\n\n2\n") << 3 << malformed << QStringLiteral("line 2 is empty");
        QTest::newRow("too few") << QByteArray("1\n2\n") << 3 << invalid
                                 << QStringLiteral("2 lines of counts, the table has 3 rows");
        QTest::newRow("too many") << QByteArray("1\n2\n3\n4\n") << 3 << invalid << QStringLiteral("4 lines");
        QTest::newRow("all zero") << QByteArray("0\n0\n") << 2 << invalid << QStringLiteral("zero");
        QTest::newRow("empty") << QByteArray() << 2 << static_cast<int>(vq::ErrorKind::Empty)
                               << QStringLiteral("empty");
    }
    void refusesBadFiles()
    {
        QFETCH(QByteArray, content);
        QFETCH(int, rows);
        QFETCH(int, kind);
        QFETCH(QString, needle);
        QTemporaryDir dir;
        const auto path = writeFile(dir, "counts.txt", content);
        try {
            vq::loadTokenWeights(path, rows);
            QFAIL("expected an error");
        } catch (const vq::Error& e) {
            QCOMPARE(static_cast<int>(e.kind()), kind);
            QCOMPARE(e.path(), path);
            QVERIFY2(std::string(e.what()).find(needle.toStdString()) != std::string::npos, e.what());
        }
    }

    void refusesMissingFilesAndDirectories()
    {
        QTemporaryDir dir;
        const std::string missing = dir.filePath(QStringLiteral("nope.txt")).toStdString();
        try {
            vq::loadTokenWeights(missing, 3);
            QFAIL("expected an error");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::NotFound);
            QCOMPARE(e.path(), missing);
        }
        try {
            vq::loadTokenWeights(dir.path().toStdString(), 3);
            QFAIL("expected an error");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::Unreadable);
        }
    }

    void countsInMemory()
    {
        QCOMPARE(vq::tokenWeightsFromCounts({ 2, 6 }, 2, "mem"), (std::vector<float> { 0.5f, 1.5f }));
        try {
            vq::tokenWeightsFromCounts({ 1, -1 }, 2, "counts.npy");
            QFAIL("expected an error");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::Malformed);
            QCOMPARE(e.path(), std::string("counts.npy"));
            QVERIFY2(std::string(e.what()).find("index 1") != std::string::npos, e.what());
        }
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::tokenWeightsFromCounts({ 1, 1 }, 3, "mem"));
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::tokenWeightsFromCounts({ std::nan("") }, 1, "mem"));
    }

    void zipfPrior()
    {
        // s = 1 on 3 rows: 1, 1/2, 1/3 scaled by 3 / (11/6)
        const auto f = vq::zipfTokenWeights(3, 1.0);
        QCOMPARE(f, (std::vector<float> { 18.0f / 11.0f, 9.0f / 11.0f, 6.0f / 11.0f }));
        QCOMPARE(vq::zipfTokenWeights(4, 0.0), (std::vector<float>(4, 1.0f)));
        // a GloVe-sized table: mean 1 and strictly decreasing
        const auto big = vq::zipfTokenWeights(20000, 1.07);
        QVERIFY(std::fabs(mean(big) - 1.0) < 1e-6);
        for (size_t i = 1; i < big.size(); ++i)
            QVERIFY(big[i] < big[i - 1]);
        // f_0 / f_t = (t + 1)^s
        QVERIFY(std::fabs(big[0] / big[999] - std::pow(1000.0, 1.07)) < 1e-3 * std::pow(1000.0, 1.07));
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::zipfTokenWeights(10, -0.5));
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::zipfTokenWeights(10, std::nan("")));
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::zipfTokenWeights(0, 1.0));
    }
    void npyCounts()
    {
        QTemporaryDir dir;
        const auto i8 = writeFile(dir, "i8.npy", npy("<i8", "(4,)", rawBytes<int64_t>({ 1, 3, 0, 4 })));
        QCOMPARE(vq::loadTokenWeights(i8, 4), (std::vector<float> { 0.5f, 1.5f, 0.0f, 2.0f }));
        const auto f4be = writeFile(dir, "f4.npy", npy(">f4", "(1, 2)", rawBytes<float>({ 2.0f, 6.0f }, true)));
        QCOMPARE(vq::loadTokenWeights(f4be, 2), (std::vector<float> { 0.5f, 1.5f }));
        const auto u2 = writeFile(dir, "u2.npy", npy("<u2", "(2, 1)", rawBytes<uint16_t>({ 60000, 20000 })));
        QCOMPARE(vq::loadTokenWeights(u2, 2), (std::vector<float> { 1.5f, 0.5f }));

        const auto negative = writeFile(dir, "neg.npy", npy("<i4", "(3,)", rawBytes<int32_t>({ 1, 2, -7 })));
        try {
            vq::loadTokenWeights(negative, 3);
            QFAIL("expected an error");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::Malformed);
            QCOMPARE(e.path(), negative);
            QVERIFY2(std::string(e.what()).find("index 2") != std::string::npos, e.what());
        }
        const auto matrix = writeFile(dir, "m.npy", npy("<f4", "(2, 2)", rawBytes<float>({ 1, 2, 3, 4 })));
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::loadTokenWeights(matrix, 4));
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::loadTokenWeights(i8, 5)); // wrong length
        const auto truncated = writeFile(dir, "t.npy", npy("<f4", "(3,)", rawBytes<float>({ 1, 2 })));
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::loadTokenWeights(truncated, 3));
    }
};

QTEST_GUILESS_MAIN(TestTokenWeights)
#include "tst_tokenweights.moc"
