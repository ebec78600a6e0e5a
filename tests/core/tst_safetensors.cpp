#include "common/error.h"
#include "common/halffloat.h"
#include "io/safetensorsreader.h"
#include "npyfixture.h"
#include "safetensorsfixture.h"
#include "testutil.h"

#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

Q_DECLARE_METATYPE(vq::ErrorKind)

namespace {

const std::string kEmbed = "model.embed_tokens.weight";
const std::string kHead = "lm_head.weight";
const std::string kNorm = "model.norm.weight";

bool sameBits(const std::vector<float>& a, const std::vector<float>& b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// The fixture split into its parts, so bad-input rows can rebuild it with one thing changed.
struct FixtureParts {
    QByteArray file;
    QByteArray header;
    QByteArray data;
};

FixtureParts fixtureParts()
{
    FixtureParts p;
    p.file = vqtest::readAll(vqtest::dataPath("table-bf16.safetensors"));
    uint64_t n = 0;
    std::memcpy(&n, p.file.constData(), 8);
    p.header = p.file.mid(8, static_cast<qsizetype>(n));
    p.data = p.file.mid(8 + static_cast<qsizetype>(n));
    return p;
}

QByteArray withHeader(const QByteArray& header)
{
    return vqtest::makeSafetensors(header, fixtureParts().data);
}

QByteArray replacedInHeader(const char* before, const char* after)
{
    QByteArray h = fixtureParts().header;
    const qsizetype at = h.indexOf(before);
    Q_ASSERT(at >= 0);
    h.replace(at, qsizetype(std::strlen(before)), after);
    return withHeader(h);
}

QByteArray withLengthField(uint64_t n)
{
    QByteArray f = fixtureParts().file;
    std::memcpy(f.data(), &n, 8);
    return f;
}

QByteArray floatBytes(const std::vector<float>& v)
{
    return QByteArray(reinterpret_cast<const char*>(v.data()), qsizetype(v.size() * sizeof(float)));
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT
private slots:
    void listsTensorsAndMetadata()
    {
        const std::string path = vqtest::dataPath("table-bf16.safetensors");
        vq::SafetensorsReader r(path);
        QCOMPARE(r.formatName(), std::string("safetensors"));
        QCOMPARE(r.path(), path);
        QCOMPARE(r.tensors().size(), size_t(3));
        // header order, which is also the data order
        const auto& t = r.tensors();
        QCOMPARE(t[0].name, kEmbed);
        QCOMPARE(t[0].dtype, vq::DType::BF16);
        QCOMPARE(t[0].dtypeName, std::string("BF16"));
        QCOMPARE(t[0].shape, (std::vector<int64_t> { 512, 100 }));
        QCOMPARE(t[0].byteSize, uint64_t(102400));
        QCOMPARE(t[0].file, path);
        QCOMPARE(t[1].name, kNorm);
        QCOMPARE(t[1].dtype, vq::DType::F32);
        QCOMPARE(t[1].shape, (std::vector<int64_t> { 100 }));
        QCOMPARE(t[1].byteSize, uint64_t(400));
        QCOMPARE(t[2].name, kHead);
        QCOMPARE(t[2].dtype, vq::DType::F16);
        QCOMPARE(t[2].shape, (std::vector<int64_t> { 512, 100 }));
        QCOMPARE(t[2].byteSize, uint64_t(102400));
        QCOMPARE(r.metadata().size(), size_t(1));
        QCOMPARE(r.metadata()[0].key, std::string("format"));
        QCOMPARE(r.metadata()[0].type, std::string("str"));
        QCOMPARE(r.metadata()[0].value, std::string("pt"));
    }

    void bf16TensorMatchesExpected()
    {
        vq::SafetensorsReader r(vqtest::dataPath("table-bf16.safetensors"));
        const vq::Matrix m = r.readMatrix(kEmbed, vq::nullRunControl());
        const vqtest::NpyF32 expected = vqtest::readNpyF32(vqtest::dataPath("expected-bf16-safetensors.npy"));
        QCOMPARE(m.rows, int64_t(512));
        QCOMPARE(m.cols, int64_t(100));
        QCOMPARE(expected.shape, (std::vector<int64_t> { 512, 100 }));
        QVERIFY(sameBits(m.values, expected.values));
    }

    void f16TensorMatchesReferenceRoundedToHalf()
    {
        vq::SafetensorsReader r(vqtest::dataPath("table-bf16.safetensors"));
        const vq::Matrix m = r.readMatrix(kHead, vq::nullRunControl());
        vqtest::NpyF32 reference = vqtest::readNpyF32(vqtest::dataPath("reference-512x100-f32.npy"));
        for (float& v : reference.values)
            v = vq::roundToHalf(v);
        QCOMPARE(m.rows, int64_t(512));
        QCOMPARE(m.cols, int64_t(100));
        QVERIFY(sameBits(m.values, reference.values));
        // and it really is the rounded table, not the reference itself
        QVERIFY(!sameBits(m.values, vqtest::readNpyF32(vqtest::dataPath("reference-512x100-f32.npy")).values));
    }

    void rawBytesAreTheStoredBytes()
    {
        vq::SafetensorsReader r(vqtest::dataPath("table-bf16.safetensors"));
        const auto raw = r.rawBytes(kNorm);
        QCOMPARE(raw.size(), size_t(400));
        const FixtureParts p = fixtureParts();
        QVERIFY(std::memcmp(raw.data(), p.data.constData() + 102400, 400) == 0);
        float first = 0;
        std::memcpy(&first, raw.data(), 4);
        QCOMPARE(first, 1.0f); // an RMSNorm weight initialised to ones
    }

    void requestsThatMakeNoSenseAreRefused_data()
    {
        QTest::addColumn<QString>("tensor");
        QTest::addColumn<vq::ErrorKind>("kind");
        QTest::newRow("1-D tensor") << QString::fromStdString(kNorm) << vq::ErrorKind::InvalidArgument;
        QTest::newRow("unknown name") << QStringLiteral("model.embed_tokens") << vq::ErrorKind::NotFound;
        QTest::newRow("empty name") << QString() << vq::ErrorKind::NotFound;
    }
    void requestsThatMakeNoSenseAreRefused()
    {
        QFETCH(QString, tensor);
        QFETCH(vq::ErrorKind, kind);
        const std::string path = vqtest::dataPath("table-bf16.safetensors");
        vq::SafetensorsReader r(path);
        try {
            r.readMatrix(tensor.toStdString(), vq::nullRunControl());
            QFAIL("no error");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), kind);
            QCOMPARE(e.path(), path);
        }
    }

    void nonFloatDtypesAreListedButNotRead_data()
    {
        QTest::addColumn<QString>("dtype");
        QTest::addColumn<vq::DType>("listedAs");
        QTest::newRow("unknown dtype") << QStringLiteral("Q9_K") << vq::DType::Other;
        QTest::newRow("fp8") << QStringLiteral("F8_E4M3") << vq::DType::Other;
        QTest::newRow("int32") << QStringLiteral("I32") << vq::DType::I32;
        QTest::newRow("bool") << QStringLiteral("BOOL") << vq::DType::Bool;
    }
    void nonFloatDtypesAreListedButNotRead()
    {
        QFETCH(QString, dtype);
        QFETCH(vq::DType, listedAs);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("t.safetensors")).toStdString();
        // 2 x 4 elements; the byte size fits 1-byte and 4-byte types alike when given 8 or 32 bytes
        const uint64_t size = vq::SafetensorsReader::dtypeSize(dtype.toStdString());
        const uint64_t bytes = size == 0 ? 5 : 8 * size; // unknown size: any span is accepted
        const QByteArray header = "{\"x\":{\"dtype\":\"" + dtype.toUtf8() + "\",\"shape\":[2,4],\"data_offsets\":[0,"
            + QByteArray::number(qulonglong(bytes)) + "]}}";
        QVERIFY(vqtest::writeAll(path, vqtest::makeSafetensors(header, QByteArray(qsizetype(bytes), '\1'))));
        vq::SafetensorsReader r(path);
        QCOMPARE(r.tensors().size(), size_t(1));
        QCOMPARE(r.tensors()[0].dtype, listedAs);
        QCOMPARE(r.tensors()[0].dtypeName, dtype.toStdString());
        QCOMPARE(r.tensors()[0].byteSize, bytes);
        try {
            r.readMatrix("x", vq::nullRunControl());
            QFAIL("no error");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::Unsupported);
            QCOMPARE(e.path(), path);
        }
    }

    void f64AtAnOddOffsetLoads()
    {
        // An F64 tensor after a one-byte gap, so it is misaligned.
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("t.safetensors")).toStdString();
        const std::vector<float> f = { 1.5f, -2.0f, 0.25f, 3.0e-5f, 7.0f, -0.0f };
        const std::vector<double> d = { 1.0 / 3.0, -1e300, 2.5, 4.0 };
        QByteArray data = floatBytes(f);
        data.append('\0'); // misalign the F64 tensor
        data.append(reinterpret_cast<const char*>(d.data()), qsizetype(d.size() * sizeof(double)));
        const QByteArray header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                                  "\"c\":{\"dtype\":\"F64\",\"shape\":[2,2],\"data_offsets\":[25,57]}}";
        QVERIFY(vqtest::writeAll(path, vqtest::makeSafetensors(header, data)));
        vq::SafetensorsReader r(path);
        QVERIFY(r.metadata().empty());
        const vq::Matrix a = r.readMatrix("a", vq::nullRunControl());
        const vq::Matrix c = r.readMatrix("c", vq::nullRunControl());
        QVERIFY(sameBits(a.values, f));
        QCOMPARE(c.at(0, 0), static_cast<float>(1.0 / 3.0));
        QCOMPARE(c.at(0, 1), -std::numeric_limits<float>::infinity()); // out of float range
        QCOMPARE(c.at(1, 1), 4.0f);
    }

    void progressReachesOneAndCancelStopsBetweenChunks()
    {
        // 40000 x 64 F32 = 10 MB: three 4 MB chunks.
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("big.safetensors")).toStdString();
        const int64_t rows = 40000, cols = 64;
        std::vector<float> v(static_cast<size_t>(rows * cols));
        for (size_t i = 0; i < v.size(); ++i)
            v[i] = static_cast<float>(i % 1000) * 0.5f;
        const QByteArray header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[40000,64],\"data_offsets\":[0,"
            + QByteArray::number(qulonglong(v.size() * 4)) + "]}}";
        QVERIFY(vqtest::writeAll(path, vqtest::makeSafetensors(header, floatBytes(v))));
        vq::SafetensorsReader r(path);

        std::mutex mutex;
        std::vector<double> fractions;
        {
            vq::RunControl control;
            control.threads = 2;
            control.setProgressCallback([&](std::string_view stage, double fraction) {
                std::lock_guard lock(mutex);
                QCOMPARE(stage, std::string_view("read"));
                fractions.push_back(fraction);
            });
            const vq::Matrix m = r.readMatrix("w", control);
            QVERIFY(sameBits(m.values, v));
        }
        QCOMPARE(fractions.size(), size_t(4)); // start + one per chunk
        QCOMPARE(fractions.front(), 0.0);
        QCOMPARE(*std::max_element(fractions.begin(), fractions.end()), 1.0);

        // Cancel once the first chunk is done: the others are skipped and the call throws.
        vq::RunControl control;
        control.threads = 1;
        int chunkReports = 0;
        control.setProgressCallback([&](std::string_view, double fraction) {
            if (fraction > 0) {
                ++chunkReports;
                control.cancel();
            }
        });
        QVERIFY_THROWS_EXCEPTION(vq::Cancelled, r.readMatrix("w", control));
        QCOMPARE(chunkReports, 1);

        // Already cancelled: nothing is read.
        QVERIFY_THROWS_EXCEPTION(vq::Cancelled, r.readMatrix("w", control));
        QCOMPARE(chunkReports, 1);
    }

    void badFilesAreRefused_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<vq::ErrorKind>("kind");
        const QByteArray file = fixtureParts().file;
        using K = vq::ErrorKind;

        QTest::newRow("empty file") << QByteArray() << K::Empty;
        QTest::newRow("truncated to 1 byte") << file.left(1) << K::Truncated;
        QTest::newRow("truncated to 7 bytes") << file.left(7) << K::Truncated;
        QTest::newRow("truncated after the length") << file.left(8) << K::Truncated;
        QTest::newRow("truncated inside the header") << file.left(100) << K::Truncated;
        QTest::newRow("truncated one byte before the data") << file.left(295) << K::Truncated;
        QTest::newRow("truncated right after the header") << file.left(296) << K::Truncated;
        QTest::newRow("truncated inside the first tensor") << file.left(5000) << K::Truncated;
        QTest::newRow("truncated inside the last tensor") << file.left(150000) << K::Truncated;
        QTest::newRow("truncated by one byte") << file.left(file.size() - 1) << K::Truncated;

        QTest::newRow("header length 2^40") << withLengthField(uint64_t(1) << 40) << K::Malformed;
        QTest::newRow("header length 2^64-1") << withLengthField(~uint64_t(0)) << K::Malformed;
        QTest::newRow("header length just past the end") << withLengthField(uint64_t(file.size() - 7)) << K::Truncated;
        QTest::newRow("header length cuts the JSON") << withLengthField(200) << K::Malformed;
        QTest::newRow("header length zero") << withLengthField(0) << K::Malformed;

        QTest::newRow("not JSON") << withHeader("this is not json") << K::Malformed;
        QTest::newRow("unterminated object") << withHeader("{\"a\":{\"dtype\":\"F32\"") << K::Malformed;
        QTest::newRow("invalid UTF-8") << withHeader("{\"\xff\xfe\":{}}") << K::Malformed;
        QTest::newRow("NUL padding") << withHeader(fixtureParts().header.trimmed() + QByteArray(4, '\0'))
                                     << K::Malformed;
        QTest::newRow("header is an array") << withHeader("[1,2,3]") << K::Malformed;
        QTest::newRow("header is a number") << withHeader("42") << K::Malformed;
        QTest::newRow("header is a string") << withHeader("\"safetensors\"") << K::Malformed;
        QTest::newRow("entry not an object") << withHeader("{\"w\":[0,4]}") << K::Malformed;

        QTest::newRow("missing dtype") << replacedInHeader("\"dtype\":\"BF16\",", "") << K::Malformed;
        QTest::newRow("missing shape") << replacedInHeader("\"shape\":[512,100],", "") << K::Malformed;
        QTest::newRow("missing data_offsets") << replacedInHeader(",\"data_offsets\":[0,102400]", "") << K::Malformed;
        QTest::newRow("dtype not a string") << replacedInHeader("\"BF16\"", "16") << K::Malformed;
        QTest::newRow("shape not an array") << replacedInHeader("[512,100]", "51200") << K::Malformed;
        QTest::newRow("negative dimension") << replacedInHeader("[512,100]", "[-512,-100]") << K::Malformed;
        QTest::newRow("fractional dimension") << replacedInHeader("[512,100]", "[512.5,100]") << K::Malformed;
        QTest::newRow("dimension as string") << replacedInHeader("[512,100]", "[\"512\",100]") << K::Malformed;
        QTest::newRow("shape product overflows")
            << replacedInHeader("[512,100]", "[4294967296,4294967296,4]") << K::Malformed;
        QTest::newRow("offsets with one value") << replacedInHeader("[0,102400]", "[102400]") << K::Malformed;
        QTest::newRow("offsets with three values") << replacedInHeader("[0,102400]", "[0,102400,0]") << K::Malformed;
        QTest::newRow("negative offset") << replacedInHeader("[0,102400]", "[-1,102400]") << K::Malformed;
        QTest::newRow("offsets as strings") << replacedInHeader("[0,102400]", "[\"0\",\"102400\"]") << K::Malformed;
        QTest::newRow("offsets not an array") << replacedInHeader("[0,102400]", "{}") << K::Malformed;
        QTest::newRow("end before begin") << replacedInHeader("[0,102400]", "[102400,0]") << K::Malformed;
        QTest::newRow("end past the data") << replacedInHeader("[102800,205200]", "[102800,205201]") << K::Truncated;
        QTest::newRow("offset near 2^64")
            << replacedInHeader("[0,102400]", "[18446744073709551000,18446744073709551615]") << K::Truncated;
        QTest::newRow("size smaller than shape") << replacedInHeader("[0,102400]", "[0,102398]") << K::Malformed;
        QTest::newRow("size larger than shape") << replacedInHeader("[512,100]", "[511,100]") << K::Malformed;
        QTest::newRow("metadata not an object") << replacedInHeader("{\"format\":\"pt\"}", "\"pt\"") << K::Malformed;
        QTest::newRow("metadata value not a string") << replacedInHeader("\"pt\"", "1") << K::Malformed;

        // Tensors sharing bytes, in header order or not, and a name given twice (JSON keeps the last).
        QTest::newRow("overlapping offsets") << replacedInHeader("[102400,102800]", "[102000,102400]") << K::Malformed;
        QTest::newRow("overlap listed out of order") << replacedInHeader("[102400,102800]", "[0,400]") << K::Malformed;
        QTest::newRow("last tensor overlaps two")
            << replacedInHeader("[102800,205200]", "[102000,204400]") << K::Malformed;
        QTest::newRow("two views of the same bytes")
            << withHeader("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
                          "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}")
            << K::Malformed;
        QTest::newRow("duplicate tensor name")
            << withHeader("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
                          "\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[8,16]}}")
            << K::Malformed;
    }
    void badFilesAreRefused()
    {
        QFETCH(QByteArray, content);
        QFETCH(vq::ErrorKind, kind);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("bad.safetensors")).toStdString();
        QVERIFY(vqtest::writeAll(path, content));
        try {
            vq::SafetensorsReader r(path);
            QFAIL("opened a bad file");
        } catch (const vq::Error& e) {
            QCOMPARE(vq::nameOf(e.kind()), vq::nameOf(kind));
            QCOMPARE(e.path(), path);
            QVERIFY(std::string(e.what()).starts_with(path + ": "));
        }
    }

    void unusablePathsAreRefused_data()
    {
        QTest::addColumn<QString>("what");
        QTest::addColumn<vq::ErrorKind>("kind");
        QTest::newRow("missing file") << QStringLiteral("missing") << vq::ErrorKind::NotFound;
        QTest::newRow("a directory") << QStringLiteral("directory") << vq::ErrorKind::Unreadable;
        QTest::newRow("no permission") << QStringLiteral("unreadable") << vq::ErrorKind::Unreadable;
    }
    void unusablePathsAreRefused()
    {
        QFETCH(QString, what);
        QFETCH(vq::ErrorKind, kind);
        QTemporaryDir dir;
        const std::string fixture = vqtest::dataPath("table-bf16.safetensors");
        std::string path;
        if (what == QStringLiteral("missing")) {
            path = dir.filePath(QStringLiteral("nothing.safetensors")).toStdString();
        } else if (what == QStringLiteral("directory")) {
            path = dir.filePath(QStringLiteral("folder.safetensors")).toStdString();
            QVERIFY(::mkdir(path.c_str(), 0755) == 0);
        } else if (::geteuid() != 0) {
            path = dir.filePath(QStringLiteral("locked.safetensors")).toStdString();
            QVERIFY(vqtest::writeAll(path, vqtest::readAll(fixture)));
            QVERIFY(::chmod(path.c_str(), 0) == 0);
        } else {
            // root reads through chmod 000; a parent that is a file gives ENOTDIR instead
            const std::string parent = dir.filePath(QStringLiteral("plain-file")).toStdString();
            QVERIFY(vqtest::writeAll(parent, vqtest::readAll(fixture)));
            path = parent + "/table.safetensors";
        }
        try {
            vq::SafetensorsReader r(path);
            QFAIL("opened an unusable path");
        } catch (const vq::Error& e) {
            QCOMPARE(vq::nameOf(e.kind()), vq::nameOf(kind));
            QCOMPARE(e.path(), path);
        }
    }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
