#include "common/error.h"
#include "io/importancevector.h"
#include "testutil.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace {

// A .npy v1.0 file with the given descr and shape text, the header padded as numpy pads it.
std::string npyBytes(const std::string& descr, const std::string& shape, const std::string& data)
{
    std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    while ((10 + header.size() + 1) % 64 != 0)
        header += ' ';
    header += '\n';
    std::string out = "\x93NUMPY";
    out += char(1);
    out += char(0);
    out += char(header.size() & 0xff);
    out += char(header.size() >> 8);
    return out + header + data;
}

template <class T> std::string raw(const std::vector<T>& v)
{
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

} // namespace

// The importance vector parameter of the ggml block methods: what it accepts, what it refuses and how
// the refusal names the file and the problem.
class TestImportanceVector : public QObject {
    Q_OBJECT
private slots:
    void fixture()
    {
        const std::vector<float> w = vq::readImportanceVector(vqtest::dataPath("ggml/imatrix-256.npy"), 256);
        QCOMPARE(w.size(), size_t(256));
        for (float v : w)
            QVERIFY(v > 0 && std::isfinite(v));
    }

    void accepted_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("columns");
        const std::vector<float> f { 0.5f, 0.0f, 2.0f, 1e-3f };
        QTest::newRow("f32 (n,)") << QByteArray::fromStdString(npyBytes("<f4", "(4,)", raw(f))) << 4;
        QTest::newRow("f32 (1, n)") << QByteArray::fromStdString(npyBytes("<f4", "(1, 4)", raw(f))) << 4;
        QTest::newRow("f32 (n, 1), any length") << QByteArray::fromStdString(npyBytes("<f4", "(4, 1)", raw(f))) << -1;
        const std::vector<double> d { 0.5, 0.0, 2.0, 1e-3 };
        QTest::newRow("f64") << QByteArray::fromStdString(npyBytes("<f8", "(4,)", raw(d))) << 4;
        const std::vector<uint16_t> h { 0x3800, 0x0000, 0x4000, 0x1419 }; // 0.5, 0, 2, ~1e-3
        QTest::newRow("f16") << QByteArray::fromStdString(npyBytes("<f2", "(4,)", raw(h))) << 4;
        std::vector<float> swapped(f.size());
        for (size_t i = 0; i < f.size(); ++i) {
            uint32_t u;
            std::memcpy(&u, &f[i], 4);
            u = __builtin_bswap32(u);
            std::memcpy(&swapped[i], &u, 4);
        }
        QTest::newRow("big-endian f32") << QByteArray::fromStdString(npyBytes(">f4", "(4,)", raw(swapped))) << 4;
    }
    void accepted()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, columns);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("w.npy")).toStdString();
        std::ofstream(path, std::ios::binary).write(bytes.constData(), bytes.size());
        const std::vector<float> w = vq::readImportanceVector(path, columns);
        QCOMPARE(w.size(), size_t(4));
        QCOMPARE(w[0], 0.5f);
        QCOMPARE(w[1], 0.0f);
        QCOMPARE(w[2], 2.0f);
        QVERIFY(std::fabs(w[3] - 1e-3f) < 1e-6f);
    }

    void refused_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("message");
        const std::vector<float> f { 0.5f, 1.0f, 2.0f, 3.0f };
        QTest::newRow("wrong length") << QByteArray::fromStdString(npyBytes("<f4", "(4,)", raw(f)))
                                      << int(vq::ErrorKind::InvalidArgument)
                                      << QStringLiteral("holds 4 weights; the table has 8 columns");
        const std::vector<float> m(8, 1.0f);
        QTest::newRow("matrix") << QByteArray::fromStdString(npyBytes("<f4", "(2, 4)", raw(m)))
                                << int(vq::ErrorKind::InvalidArgument) << QStringLiteral("has shape (2, 4)");
        std::vector<float> nan(8, 1.0f);
        nan[5] = std::numeric_limits<float>::quiet_NaN();
        QTest::newRow("NaN") << QByteArray::fromStdString(npyBytes("<f4", "(8,)", raw(nan)))
                             << int(vq::ErrorKind::InvalidArgument) << QStringLiteral("weight 5 is not finite");
        std::vector<float> inf(8, 1.0f);
        inf[0] = std::numeric_limits<float>::infinity();
        QTest::newRow("Inf") << QByteArray::fromStdString(npyBytes("<f4", "(8,)", raw(inf)))
                             << int(vq::ErrorKind::InvalidArgument) << QStringLiteral("weight 0 is not finite");
        std::vector<float> negative(8, 1.0f);
        negative[7] = -0.25f;
        QTest::newRow("negative") << QByteArray::fromStdString(npyBytes("<f4", "(8,)", raw(negative)))
                                  << int(vq::ErrorKind::InvalidArgument) << QStringLiteral("weight 7 is negative");
        const std::vector<int32_t> ints(8, 1);
        QTest::newRow("integers") << QByteArray::fromStdString(npyBytes("<i4", "(8,)", raw(ints)))
                                  << int(vq::ErrorKind::Unsupported) << QStringLiteral("float16/32/64");
        QTest::newRow("truncated") << QByteArray::fromStdString(npyBytes("<f4", "(8,)", raw(f)))
                                   << int(vq::ErrorKind::Truncated) << QString();
        QTest::newRow("not npy") << QByteArray("hello, world") << int(vq::ErrorKind::Malformed) << QString();
    }
    void refused()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, kind);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("weights.npy")).toStdString();
        std::ofstream(path, std::ios::binary).write(bytes.constData(), bytes.size());
        try {
            vq::readImportanceVector(path, 8);
            QFAIL("accepted");
        } catch (const vq::Error& e) {
            QCOMPARE(int(e.kind()), kind);
            QCOMPARE(QString::fromStdString(e.path()), QString::fromStdString(path));
            QVERIFY2(QString::fromUtf8(e.what()).contains(message), e.what());
        }
    }

    void missingFile()
    {
        try {
            vq::readImportanceVector("/nonexistent/weights.npy", 8);
            QFAIL("accepted");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::NotFound);
            QCOMPARE(e.path(), std::string("/nonexistent/weights.npy"));
        }
    }
};

QTEST_GUILESS_MAIN(TestImportanceVector)
#include "tst_importancevector.moc"
