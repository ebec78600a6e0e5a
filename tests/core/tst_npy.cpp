#include "common/error.h"
#include "common/halffloat.h"
#include "io/npyreader.h"
#include "io/tensorreader.h"
#include "testutil.h"

#include <QTemporaryDir>
#include <QTest>

#include <bit>
#include <cstring>
#include <fstream>

using vq::ErrorKind;

Q_DECLARE_METATYPE(vq::ErrorKind)

// Compare enum names, so a failure prints which kinds differ.
#define COMPARE_ENUM(a, b) QCOMPARE(QString::fromLatin1(vq::nameOf(a)), QString::fromLatin1(vq::nameOf(b)))

using namespace std::string_literals;

namespace {

std::string npyBytes(int major, const std::string& dict, const std::string& data, bool pad = true)
{
    std::string header = dict;
    const size_t preamble = major == 1 ? 10 : 12;
    if (pad) {
        while ((preamble + header.size() + 1) % 64 != 0)
            header += ' ';
        header += '\n';
    }
    std::string out = "\x93NUMPY";
    out += static_cast<char>(major);
    out += '\0';
    const uint32_t len = static_cast<uint32_t>(header.size());
    for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
        out += static_cast<char>((len >> (8 * i)) & 0xffu);
    return out + header + data;
}

template <class T> void appendBytes(std::string& out, T value, bool bigEndian)
{
    char b[sizeof(T)];
    std::memcpy(b, &value, sizeof(T));
    if (bigEndian)
        std::reverse(b, b + sizeof(T));
    out.append(b, sizeof(T));
}

vq::Matrix reference()
{
    return vq::NpyReader(vqtest::dataPath("reference-512x100-f32.npy"))
        .readMatrix("reference-512x100-f32", vq::nullRunControl());
}

bool sameBits(const vq::Matrix& a, const vq::Matrix& b)
{
    return a.rows == b.rows && a.cols == b.cols
        && std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(float)) == 0;
}

} // namespace

class TestNpy : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

    std::string write(const std::string& name, const std::string& bytes)
    {
        const std::string path = m_dir.filePath(QString::fromStdString(name)).toStdString();
        std::ofstream(path, std::ios::binary) << bytes;
        return path;
    }

private slots:
    void referenceHeader()
    {
        vq::NpyReader reader(vqtest::dataPath("reference-512x100-f32.npy"));
        QCOMPARE(reader.formatName(), std::string("NumPy"));
        QCOMPARE(reader.tensors().size(), size_t(1));
        const vq::TensorInfo& t = reader.tensors().front();
        QCOMPARE(t.name, std::string("reference-512x100-f32"));
        COMPARE_ENUM(t.dtype, vq::DType::F32);
        QCOMPARE(t.dtypeName, std::string("<f4"));
        QCOMPARE(t.shape, (std::vector<int64_t> { 512, 100 }));
        QCOMPARE(t.byteSize, uint64_t(512 * 100 * 4));
        const vq::Matrix m = reader.readMatrix(t.name, vq::nullRunControl());
        // First GloVe value of "the" (row 0), as numpy prints it.
        QCOMPARE(m.at(0, 0), -0.038194f);
    }

    void f16MatchesReferenceRoundedToHalf()
    {
        const vq::Matrix ref = reference();
        vq::NpyReader reader(vqtest::dataPath("table-f16.npy"));
        COMPARE_ENUM(reader.tensors().front().dtype, vq::DType::F16);
        const vq::Matrix m = reader.readMatrix("table-f16", vq::nullRunControl());
        QCOMPARE(m.rows, int64_t(512));
        QCOMPARE(m.cols, int64_t(100));
        for (size_t i = 0; i < ref.values.size(); ++i)
            QCOMPARE(std::bit_cast<uint32_t>(m.values[i]), std::bit_cast<uint32_t>(vq::roundToHalf(ref.values[i])));
    }

    void fortranMatchesReferenceExactly()
    {
        vq::NpyReader reader(vqtest::dataPath("table-f32-fortran.npy"));
        QVERIFY(reader.header().fortranOrder);
        QVERIFY(sameBits(reader.readMatrix("table-f32-fortran", vq::nullRunControl()), reference()));
    }

    void writtenVariants_data()
    {
        QTest::addColumn<int>("major");
        QTest::addColumn<QString>("descr");
        QTest::addColumn<bool>("fortran");
        QTest::addColumn<QString>("dictStyle");
        QTest::newRow("v1 <f4 C") << 1 << "<f4" << false << "plain";
        QTest::newRow("v2 <f4 C") << 2 << "<f4" << false << "plain";
        QTest::newRow("v3 <f4 C utf8 key order") << 3 << "<f4" << false << "reordered";
        QTest::newRow("v1 >f4 C") << 1 << ">f4" << false << "plain";
        QTest::newRow("v1 >f4 Fortran") << 1 << ">f4" << true << "plain";
        QTest::newRow("v1 >f2 C") << 1 << ">f2" << false << "plain";
        QTest::newRow("v2 <f8 Fortran") << 2 << "<f8" << true << "plain";
        QTest::newRow("v1 >f8 C python2 longs") << 1 << ">f8" << false << "py2";
        QTest::newRow("v1 <f4 double quotes no padding") << 1 << "<f4" << false << "double";
    }
    void writtenVariants()
    {
        QFETCH(int, major);
        QFETCH(QString, descr);
        QFETCH(bool, fortran);
        QFETCH(QString, dictStyle);
        const vq::Matrix ref = reference();
        const int64_t rows = 37, cols = 100; // a slice of the real table, odd row count
        const std::string d = descr.toStdString();
        const bool big = d[0] == '>';
        std::string data;
        for (int64_t a = 0; a < (fortran ? cols : rows); ++a) {
            for (int64_t b = 0; b < (fortran ? rows : cols); ++b) {
                const float v = fortran ? ref.at(b, a) : ref.at(a, b);
                if (d[2] == '2')
                    appendBytes(data, vq::floatToHalf(v), big);
                else if (d[2] == '4')
                    appendBytes(data, v, big);
                else
                    appendBytes(data, static_cast<double>(v), big);
            }
        }
        std::string dict;
        const std::string f = fortran ? "True" : "False";
        if (dictStyle == QLatin1String("plain"))
            dict = "{'descr': '" + d + "', 'fortran_order': " + f + ", 'shape': (37, 100), }";
        else if (dictStyle == QLatin1String("reordered"))
            dict = "{ 'shape' : (37,100) , 'fortran_order':" + f + ",'descr':'" + d + "' , 'w\xc3\xa9': None }";
        else if (dictStyle == QLatin1String("py2"))
            dict = "{'descr': '" + d + "', 'fortran_order': " + f + ", 'shape': (37L, 100L)}";
        else
            dict = "{\"descr\": \"" + d + "\", \"fortran_order\": " + f + ", \"shape\": [37, 100]}";
        const std::string path
            = write("variant.npy", npyBytes(major, dict, data, dictStyle != QLatin1String("double")));
        vq::NpyReader reader(path);
        QCOMPARE(reader.header().majorVersion, major);
        QCOMPARE(reader.tensors().front().shape, (std::vector<int64_t> { rows, cols }));
        const vq::Matrix m = reader.readMatrix("variant", vq::nullRunControl());
        for (int64_t i = 0; i < rows; ++i) {
            for (int64_t j = 0; j < cols; ++j) {
                const float expected = d[2] == '2' ? vq::roundToHalf(ref.at(i, j)) : ref.at(i, j);
                QCOMPARE(std::bit_cast<uint32_t>(m.at(i, j)), std::bit_cast<uint32_t>(expected));
            }
        }
    }

    void listsButRefuses_data()
    {
        QTest::addColumn<QString>("descr");
        QTest::addColumn<QString>("shape");
        QTest::addColumn<int>("itemSize");
        QTest::addColumn<int>("dtype");
        QTest::addColumn<ErrorKind>("kind");
        QTest::newRow("int32 matrix") << "<i4"
                                      << "(2, 3)" << 4 << int(vq::DType::I32) << ErrorKind::Unsupported;
        QTest::newRow("uint8 matrix") << "|u1"
                                      << "(2, 3)" << 1 << int(vq::DType::U8) << ErrorKind::Unsupported;
        QTest::newRow("bool matrix") << "|b1"
                                     << "(2, 3)" << 1 << int(vq::DType::Bool) << ErrorKind::Unsupported;
        QTest::newRow("float vector") << "<f4"
                                      << "(6,)" << 4 << int(vq::DType::F32) << ErrorKind::InvalidArgument;
        QTest::newRow("float 3-d") << "<f4"
                                   << "(1, 2, 3)" << 4 << int(vq::DType::F32) << ErrorKind::InvalidArgument;
    }
    void listsButRefuses()
    {
        QFETCH(QString, descr);
        QFETCH(QString, shape);
        QFETCH(int, itemSize);
        QFETCH(int, dtype);
        QFETCH(ErrorKind, kind);
        const std::string path = write("listed.npy",
            npyBytes(1,
                "{'descr': '" + descr.toStdString() + "', 'fortran_order': False, 'shape': " + shape.toStdString()
                    + "}",
                std::string(static_cast<size_t>(6 * itemSize), '\1')));
        vq::NpyReader reader(path);
        QCOMPARE(int(reader.tensors().front().dtype), dtype);
        try {
            reader.readMatrix("listed", vq::nullRunControl());
            QFAIL("readMatrix accepted the array");
        } catch (const vq::Error& e) {
            COMPARE_ENUM(e.kind(), kind);
            QCOMPARE(e.path(), path);
        }
    }

    void wrongNameIsNotFound()
    {
        vq::NpyReader reader(vqtest::dataPath("table-f16.npy"));
        try {
            reader.readMatrix("weight", vq::nullRunControl());
            QFAIL("accepted a wrong name");
        } catch (const vq::Error& e) {
            COMPARE_ENUM(e.kind(), ErrorKind::NotFound);
            QVERIFY(e.message().find("table-f16") != std::string::npos);
        }
    }

    void badInput_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<ErrorKind>("kind");
        QTest::addColumn<QString>("needle");
        const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        const std::string data(24, '\0');
        const auto row = [](const char* name, const std::string& b, ErrorKind k, const char* needle) {
            QTest::newRow(name) << QByteArray(b.data(), static_cast<qsizetype>(b.size())) << k
                                << QString::fromLatin1(needle);
        };
        row("bad magic", "\x93NUMPX\x01\x00"s + npyBytes(1, ok, data).substr(8), ErrorKind::Malformed, "magic");
        row("too short for magic", std::string("\x93NU"), ErrorKind::Malformed, "magic");
        row("header past end", npyBytes(1, ok, data).substr(0, 40), ErrorKind::Truncated, "header");
        row("header length past end", "\x93NUMPY\x01\x00\xff\x7f{}"s, ErrorKind::Truncated, "header");
        row("version 4", "\x93NUMPY\x04\x00"s + npyBytes(1, ok, data).substr(8), ErrorKind::Unsupported, "version 4.0");
        row("unterminated dict", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", data),
            ErrorKind::Malformed, "parse");
        row("unterminated string", npyBytes(1, "{'descr: <f4}", data), ErrorKind::Malformed, "unterminated");
        row("not a dict", npyBytes(1, "[1, 2, 3]", data), ErrorKind::Malformed, "not a dictionary");
        row("garbage", npyBytes(1, "{'descr': <f4}", data), ErrorKind::Malformed, "parse");
        row("missing shape", npyBytes(1, "{'descr': '<f4', 'fortran_order': False}", data), ErrorKind::Malformed,
            "'shape'");
        row("fortran not bool", npyBytes(1, "{'descr': '<f4', 'fortran_order': 'no', 'shape': (2, 3)}", data),
            ErrorKind::Malformed, "fortran_order");
        row("shape not tuple", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': 6}", data),
            ErrorKind::Malformed, "shape");
        row("negative dim", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3)}", data),
            ErrorKind::Malformed, "shape");
        row("0-d", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ()}", std::string(4, '\0')),
            ErrorKind::Unsupported, "0-d");
        row("object array", npyBytes(1, "{'descr': '|O', 'fortran_order': False, 'shape': (2, 3)}", data),
            ErrorKind::Unsupported, "object");
        row("structured", npyBytes(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 3)}", data),
            ErrorKind::Unsupported, "structured");
        row("complex", npyBytes(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3)}", data),
            ErrorKind::Unsupported, "<c8");
        row("unknown width", npyBytes(1, "{'descr': '<f3', 'fortran_order': False, 'shape': (2, 3)}", data),
            ErrorKind::Unsupported, "<f3");
        row("unicode strings", npyBytes(1, "{'descr': '<U5', 'fortran_order': False, 'shape': (2, 3)}", data),
            ErrorKind::Unsupported, "<U5");
        row("no byte order on f4", npyBytes(1, "{'descr': '|f4', 'fortran_order': False, 'shape': (2, 3)}", data),
            ErrorKind::Malformed, "byte order");
        row("data short", npyBytes(1, ok, data.substr(4)), ErrorKind::Truncated, "needs 24 bytes");
        row("data long", npyBytes(1, ok, data + "xx"), ErrorKind::Malformed, "26 bytes");
        row("shape overflow",
            npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", data),
            ErrorKind::Malformed, "overflow");
        row("huge integer",
            npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 1)}", data),
            ErrorKind::Malformed, "too large");
        row("deep nesting", npyBytes(1, std::string(40, '(') + std::string(40, ')'), data), ErrorKind::Malformed,
            "deep");
        row("empty file", std::string(), ErrorKind::Empty, "empty");
    }
    void badInput()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(ErrorKind, kind);
        QFETCH(QString, needle);
        const std::string path = write("bad.npy", bytes.toStdString());
        try {
            vq::NpyReader reader(path);
            QFAIL("the reader accepted a bad file");
        } catch (const vq::Error& e) {
            COMPARE_ENUM(e.kind(), kind);
            QCOMPARE(e.path(), path);
            if (e.message().find(needle.toStdString()) == std::string::npos)
                QFAIL(qPrintable(
                    QStringLiteral("message lacks '%1': %2").arg(needle, QString::fromStdString(e.message()))));
        }
    }

    void missingFileIsNotFound()
    {
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::NpyReader(m_dir.filePath(QStringLiteral("nope.npy")).toStdString()));
    }

    void progressAndCancel()
    {
        vq::RunControl control;
        double last = -1;
        int calls = 0;
        control.setProgressCallback([&](std::string_view stage, double f) {
            QCOMPARE(stage, std::string_view("read"));
            last = std::max(last, f); // chunks may report out of order
            ++calls;
        });
        vq::NpyReader reader(vqtest::sourcePath("resources/sample/glove-20k.npy"));
        const vq::Matrix m = reader.readMatrix("glove-20k", control);
        QCOMPARE(m.rows, int64_t(20000));
        QCOMPARE(last, 1.0);
        QVERIFY(calls >= 2);
        control.cancel();
        QVERIFY_THROWS_EXCEPTION(vq::Cancelled, reader.readMatrix("glove-20k", control));
    }

    void openTensorFileDispatchesByContent()
    {
        // A .npy under a misleading name is still found by its magic bytes.
        std::ifstream in(vqtest::dataPath("table-f16.npy"), std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const std::string path = write("renamed.bin", bytes);
        const auto reader = vq::openTensorFile(path);
        QCOMPARE(reader->formatName(), std::string("NumPy"));
        QCOMPARE(reader->tensors().front().name, std::string("renamed"));
    }
};

QTEST_GUILESS_MAIN(TestNpy)
#include "tst_npy.moc"
