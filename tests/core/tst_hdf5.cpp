#include "common/error.h"
#include "io/hdf5handle.h"
#include "io/hdf5lock.h"
#include "io/hdf5reader.h"
#include "npyfixture_gguf.h"
#include "readerchecks.h"
#include "testutil.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace {

using vqtest::findKey;
using vqtest::findTensor;
using vqtest::name;
using vqtest::readAll;
using vqtest::sameBits;
using vqtest::writeBytes;

// Writes HDF5 test files with the C API through the project's handle wrappers.
class H5Writer {
public:
    explicit H5Writer(const std::string& path)
        : m_file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT))
    {
    }
    bool ok() const { return m_file.valid(); }

    void group(const char* path)
    {
        const vq::Hdf5Lock lock;
        vq::Hdf5Group g(H5Gcreate2(m_file.id(), path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    }

    // A dataset of fileType from memory values of memType; chunkRows > 0 adds chunking + gzip.
    void dataset(const char* path, hid_t fileType, hid_t memType, const std::vector<hsize_t>& dims, const void* data,
        hsize_t chunkRows = 0)
    {
        const vq::Hdf5Lock lock;
        vq::Hdf5Dataspace space(H5Screate_simple(int(dims.size()), dims.data(), nullptr));
        vq::Hdf5PropertyList dcpl(H5Pcreate(H5P_DATASET_CREATE));
        if (chunkRows > 0) {
            std::vector<hsize_t> chunk = dims;
            chunk[0] = chunkRows;
            H5Pset_chunk(dcpl.id(), int(chunk.size()), chunk.data());
            H5Pset_deflate(dcpl.id(), 6);
        }
        vq::Hdf5Dataset ds(H5Dcreate2(m_file.id(), path, fileType, space.id(), H5P_DEFAULT, dcpl.id(), H5P_DEFAULT));
        QVERIFY(ds.valid());
        QVERIFY(H5Dwrite(ds.id(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    }

    void vlenStrings(const char* path, const std::vector<std::string>& values, bool utf8)
    {
        const vq::Hdf5Lock lock;
        vq::Hdf5Datatype type(H5Tcopy(H5T_C_S1));
        H5Tset_size(type.id(), H5T_VARIABLE);
        H5Tset_cset(type.id(), utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
        std::vector<const char*> ptrs;
        for (const auto& s : values)
            ptrs.push_back(s.c_str());
        dataset(path, type.id(), type.id(), { hsize_t(values.size()) }, ptrs.data());
    }

    void fixedStrings(const char* path, const std::vector<std::string>& values, size_t width, H5T_str_t pad)
    {
        const vq::Hdf5Lock lock;
        vq::Hdf5Datatype type(H5Tcopy(H5T_C_S1));
        H5Tset_size(type.id(), width);
        H5Tset_strpad(type.id(), pad);
        std::string buf;
        for (const auto& s : values) {
            std::string cell = s;
            cell.resize(width, pad == H5T_STR_SPACEPAD ? ' ' : '\0');
            buf += cell;
        }
        dataset(path, type.id(), type.id(), { hsize_t(values.size()) }, buf.data());
    }

    template <class T>
    void attribute(const char* name, hid_t fileType, hid_t memType, const std::vector<T>& values, bool scalar)
    {
        const vq::Hdf5Lock lock;
        const hsize_t n = values.size();
        vq::Hdf5Dataspace space(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr));
        vq::Hdf5Attribute a(H5Acreate2(m_file.id(), name, fileType, space.id(), H5P_DEFAULT, H5P_DEFAULT));
        QVERIFY(a.valid());
        QVERIFY(H5Awrite(a.id(), memType, values.data()) >= 0);
    }

    void stringAttribute(const char* name, const std::vector<std::string>& values, bool scalar)
    {
        const vq::Hdf5Lock lock;
        vq::Hdf5Datatype type(H5Tcopy(H5T_C_S1));
        H5Tset_size(type.id(), H5T_VARIABLE);
        H5Tset_cset(type.id(), H5T_CSET_UTF8);
        std::vector<const char*> ptrs;
        for (const auto& s : values)
            ptrs.push_back(s.c_str());
        attribute(name, type.id(), type.id(), ptrs, scalar);
    }

    // A dataset that declares dims but holds no written data (chunked when chunk is given, deflated
    // when deflate): what a crafted file claiming a huge table in a few KB looks like.
    void unwritten(
        const char* path, hid_t type, const std::vector<hsize_t>& dims, const std::vector<hsize_t>& chunk, bool deflate)
    {
        const vq::Hdf5Lock lock;
        vq::Hdf5Dataspace space(H5Screate_simple(int(dims.size()), dims.data(), nullptr));
        vq::Hdf5PropertyList dcpl(H5Pcreate(H5P_DATASET_CREATE));
        if (!chunk.empty())
            QVERIFY(H5Pset_chunk(dcpl.id(), int(chunk.size()), chunk.data()) >= 0);
        if (deflate)
            H5Pset_deflate(dcpl.id(), 6);
        vq::Hdf5Dataset ds(H5Dcreate2(m_file.id(), path, type, space.id(), H5P_DEFAULT, dcpl.id(), H5P_DEFAULT));
        QVERIFY(ds.valid());
    }

private:
    vq::Hdf5Lock m_lock;
    vq::Hdf5File m_file;
};

// IEEE binary16 as an HDF5 type (h5py writes numpy float16 this way).
vq::Hdf5Datatype halfType()
{
    vq::Hdf5Datatype t(H5Tcopy(H5T_IEEE_F32LE));
    H5Tset_fields(t.id(), 15, 10, 5, 0, 10);
    H5Tset_size(t.id(), 2);
    H5Tset_ebias(t.id(), 15);
    return t;
}

} // namespace

class TestHdf5 : public QObject {
    Q_OBJECT
private slots:
    void fixture()
    {
        const vq::Hdf5Reader r(vqtest::dataPath("table.h5"));
        QCOMPARE(r.formatName(), std::string("HDF5"));
        QCOMPARE(r.tensors().size(), size_t(3));
        const vq::TensorInfo* w = findTensor(r, "/model/embed_tokens/weight");
        QVERIFY(w);
        QCOMPARE(name(w->dtype), name(vq::DType::F32));
        QCOMPARE(w->dtypeName, std::string("H5T_IEEE_F32LE"));
        QCOMPARE(w->shape, (std::vector<int64_t> { 512, 100 }));
        QVERIFY(w->byteSize > 0 && w->byteSize < 512 * 100 * 4); // gzip-compressed
        const vq::TensorInfo* norm = findTensor(r, "/model/norm/weight");
        QVERIFY(norm);
        QCOMPARE(norm->shape, (std::vector<int64_t> { 100 }));
        const vq::TensorInfo* vocab = findTensor(r, "/vocab");
        QVERIFY(vocab);
        QCOMPARE(name(vocab->dtype), name(vq::DType::String));
        QCOMPARE(vocab->dtypeName, std::string("H5T_STRING (variable, UTF-8)"));

        const vq::Matrix m = r.readMatrix("/model/embed_tokens/weight", vq::nullRunControl());
        const auto ref = vqtest::readNpyF32(vqtest::dataPath("reference-512x100-f32.npy"));
        QVERIFY2(ref.error.empty(), ref.error.c_str());
        QCOMPARE(m.rows, int64_t(512));
        QCOMPARE(m.cols, int64_t(100));
        QVERIFY(sameBits(m.values, ref.values));

        std::string source;
        const auto tokens = r.embeddedTokens(&source);
        QCOMPARE(source, std::string("/vocab"));
        vqtest::checkGloveTokens(tokens, 512);
    }

    void readErrors_data()
    {
        QTest::addColumn<QString>("dataset");
        QTest::addColumn<vq::ErrorKind>("kind");
        QTest::newRow("1-D float") << "/model/norm/weight" << vq::ErrorKind::InvalidArgument;
        QTest::newRow("1-D strings") << "/vocab" << vq::ErrorKind::InvalidArgument;
        QTest::newRow("missing") << "/model/embed_tokens/bias" << vq::ErrorKind::NotFound;
        QTest::newRow("relative name") << "model/embed_tokens/weight" << vq::ErrorKind::NotFound;
    }
    void readErrors()
    {
        QFETCH(QString, dataset);
        QFETCH(vq::ErrorKind, kind);
        const vq::Hdf5Reader r(vqtest::dataPath("table.h5"));
        try {
            r.readMatrix(dataset.toStdString(), vq::nullRunControl());
            QFAIL("read without an error");
        } catch (const vq::Error& e) {
            QCOMPARE(name(e.kind()), name(kind));
            QCOMPARE(e.path(), vqtest::dataPath("table.h5"));
            QVERIFY2(e.message().find(dataset.toStdString()) != std::string::npos, e.what());
        }
    }

    // A file with every kind of dataset and attribute the reader distinguishes.
    void syntheticFile()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("synthetic.h5")).toStdString();
        const std::vector<int32_t> ints = { 1, 2, 3, 4, 5, 6 };
        const std::vector<double> f64 = { 0.1, -2.5, 1e-3, 3.0, 4.0, 1e30 };
        const std::vector<float> half = { 1.5f, -2.0f, 0.25f, 65504.0f };
        const std::vector<float> be = { 1.0f, -1.0f, 0.5f, 7.0f };
        const std::vector<float> cube(24, 1.0f);
        const std::vector<uint8_t> bytes = { 1, 2, 3 };
        {
            H5Writer w(path);
            QVERIFY(w.ok());
            w.group("/g");
            w.dataset("/ints", H5T_STD_I32LE, H5T_NATIVE_INT32, { 2, 3 }, ints.data());
            w.dataset("/g/f64", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, { 3, 2 }, f64.data(), 1);
            const vq::Hdf5Datatype h = halfType();
            w.dataset("/g/half", h.id(), H5T_NATIVE_FLOAT, { 2, 2 }, half.data());
            w.dataset("/g/be", H5T_IEEE_F32BE, H5T_NATIVE_FLOAT, { 2, 2 }, be.data());
            w.dataset("/cube", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, { 2, 3, 4 }, cube.data());
            w.dataset("/bytes", H5T_STD_U8LE, H5T_NATIVE_UINT8, { 3 }, bytes.data());
            w.vlenStrings("/aaa", { "not", "preferred" }, true);
            w.fixedStrings("/g/tokens", { "ab", "c", "" }, 4, H5T_STR_NULLPAD);
            w.fixedStrings("/g/spaced", { "x", "yz" }, 3, H5T_STR_SPACEPAD);
            w.stringAttribute("model", { "glove" }, true);
            w.attribute<int64_t>("version", H5T_STD_I64LE, H5T_NATIVE_INT64, { 3 }, true);
            w.attribute<float>("scales", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, { 0.5f, 0.25f, 2.0f }, false);
            w.stringAttribute("names", { "a", "b" }, false);
        }
        const vq::Hdf5Reader r(path);

        struct Expect {
            const char* name;
            vq::DType dtype;
            const char* dtypeName;
            std::vector<int64_t> shape;
        };
        const Expect expected[] = {
            { "/aaa", vq::DType::String, "H5T_STRING (variable, UTF-8)", { 2 } },
            { "/bytes", vq::DType::U8, "H5T_STD_U8LE", { 3 } },
            { "/cube", vq::DType::F32, "H5T_IEEE_F32LE", { 2, 3, 4 } },
            { "/g/be", vq::DType::F32, "H5T_IEEE_F32BE", { 2, 2 } },
            { "/g/f64", vq::DType::F64, "H5T_IEEE_F64LE", { 3, 2 } },
            { "/g/half", vq::DType::F16, "H5T_FLOAT 16LE", { 2, 2 } },
            { "/g/spaced", vq::DType::String, "H5T_STRING (3 bytes, ASCII)", { 2 } },
            { "/g/tokens", vq::DType::String, "H5T_STRING (4 bytes, ASCII)", { 3 } },
            { "/ints", vq::DType::I32, "H5T_STD_I32LE", { 2, 3 } },
        };
        QCOMPARE(r.tensors().size(), std::size(expected));
        for (size_t i = 0; i < std::size(expected); ++i) {
            const vq::TensorInfo& t = r.tensors()[i];
            QCOMPARE(t.name, std::string(expected[i].name)); // visited in name order
            QCOMPARE(name(t.dtype), name(expected[i].dtype));
            QCOMPARE(t.dtypeName, std::string(expected[i].dtypeName));
            QCOMPARE(t.shape, expected[i].shape);
        }

        const vq::Matrix m64 = r.readMatrix("/g/f64", vq::nullRunControl());
        for (size_t i = 0; i < f64.size(); ++i)
            QCOMPARE(m64.values[i], static_cast<float>(f64[i]));
        QVERIFY(sameBits(r.readMatrix("/g/half", vq::nullRunControl()).values, half));
        QVERIFY(sameBits(r.readMatrix("/g/be", vq::nullRunControl()).values, be));

        QCOMPARE(name(vqtest::readErrorKind(r, "/ints")), name(vq::ErrorKind::Unsupported));
        QCOMPARE(name(vqtest::readErrorKind(r, "/cube")), name(vq::ErrorKind::InvalidArgument));

        std::string source;
        QCOMPARE(r.embeddedTokens(&source), (std::vector<std::string> { "ab", "c", "" }));
        QCOMPARE(source, std::string("/g/tokens"));
        QCOMPARE(r.readStrings("/g/spaced"), (std::vector<std::string> { "x", "yz" }));
        QCOMPARE(r.readStrings("/aaa"), (std::vector<std::string> { "not", "preferred" }));

        const std::pair<const char*, std::pair<const char*, const char*>> attrs[] = {
            { "model", { "str", "glove" } },
            { "version", { "i64", "3" } },
            { "scales", { "arr[f32,3]", "[0.5, 0.25, 2]" } },
            { "names", { "arr[str,2]", "[\"a\", \"b\"]" } },
        };
        QCOMPARE(r.metadata().size(), std::size(attrs));
        for (const auto& [key, tv] : attrs) {
            const vq::MetadataEntry* e = findKey(r, key);
            QVERIFY2(e, key);
            QCOMPARE(e->type, std::string(tv.first));
            QCOMPARE(e->value, std::string(tv.second));
        }
    }

    // 1300 x 2048 float32 reads in blocks of 512 rows (about 4 MiB): progress per block, and a cancel
    // raised after the first block stops the read.
    void progressAndCancel()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("big.h5")).toStdString();
        const hsize_t rows = 1300, cols = 2048;
        std::vector<float> values(rows * cols);
        for (size_t i = 0; i < values.size(); ++i)
            values[i] = static_cast<float>(i % 1001) * 0.25f;
        {
            H5Writer w(path);
            QVERIFY(w.ok());
            w.dataset("/big", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, { rows, cols }, values.data(), 128);
        }
        const vq::Hdf5Reader r(path);
        vq::RunControl control;
        std::vector<double> fractions;
        control.setProgressCallback([&](std::string_view stage, double f) {
            QCOMPARE(stage, std::string_view("read"));
            fractions.push_back(f);
        });
        const vq::Matrix m = r.readMatrix("/big", control);
        QVERIFY(sameBits(m.values, values));
        QCOMPARE(fractions, (std::vector<double> { 0.0, 512.0 / 1300, 1024.0 / 1300, 1.0 }));

        vqtest::checkCancelsAfterFirstChunk(r, "/big");
    }

    void badInput_data()
    {
        vqtest::addBadInputColumns();
        const std::string real = readAll(vqtest::dataPath("table.h5"));
        const auto row = vqtest::addBadInputRow;
        row("empty", "", vq::ErrorKind::Empty, "empty");
        row("text", "just some text, not HDF5\n", vq::ErrorKind::Malformed, "not an HDF5 file");
        row("gguf", readAll(vqtest::dataPath("table-q4_0.gguf")), vq::ErrorKind::Malformed, "not an HDF5 file");
        std::string badSignature = real;
        badSignature[1] = 'X';
        row("signature corrupted", badSignature, vq::ErrorKind::Malformed, "not an HDF5 file");
        for (size_t cut : { size_t(4), size_t(200), size_t(5000), size_t(100000), real.size() - 1 })
            row("cut at " + std::to_string(cut), real.substr(0, cut),
                cut < 8 ? vq::ErrorKind::Malformed : vq::ErrorKind::Truncated,
                cut < 8 ? "not an HDF5 file" : "truncated");
    }
    void badInput() { vqtest::checkRefusesBytesRow<vq::Hdf5Reader>(QStringLiteral("bad.h5")); }

    // Compressed chunks overwritten with garbage: the file opens, the read fails with a typed error.
    void corruptChunkData()
    {
        std::string bytes = readAll(vqtest::dataPath("table.h5"));
        for (size_t i = 60000; i < 60400; ++i)
            bytes[i] = static_cast<char>(i * 37);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("corrupt.h5")).toStdString();
        writeBytes(path, bytes);
        const vq::Hdf5Reader r(path);
        try {
            r.readMatrix("/model/embed_tokens/weight", vq::nullRunControl());
            QFAIL("read corrupt chunks without an error");
        } catch (const vq::Error& e) {
            QCOMPARE(name(e.kind()), name(vq::ErrorKind::Unreadable));
            QVERIFY2(e.message().find("/model/embed_tokens/weight") != std::string::npos, e.what());
        }
    }

    // Declared extents the file does not store, or that no memory could hold, are refused before
    // anything is allocated (10^9 x 100 floats in a file of a few KB).
    void declaredSizesBeyondStorageAreRefused_data()
    {
        QTest::addColumn<int>("kind"); // 0 contiguous, 1 chunked, 2 chunked + deflate, 3 vlen strings
        QTest::addColumn<qulonglong>("rows");
        QTest::addColumn<qulonglong>("cols");
        QTest::addColumn<vq::ErrorKind>("error");
        QTest::addColumn<QString>("message");
        const auto invalid = vq::ErrorKind::InvalidArgument;
        const auto malformed = vq::ErrorKind::Malformed;
        const QString stores = QStringLiteral("but the file stores 0 bytes");
        const QString memory = QStringLiteral("of memory, more than the");
        QTest::newRow("contiguous 10^6 x 100, nothing stored") << 0 << 1000000ull << 100ull << malformed << stores;
        QTest::newRow("contiguous 10^9 x 100") << 0 << 1000000000ull << 100ull << invalid << memory;
        QTest::newRow("chunked 10^6 x 100, no chunk written") << 1 << 1000000ull << 100ull << malformed << stores;
        QTest::newRow("chunked 2^20 x 2^20") << 1 << (1ull << 20) << (1ull << 20) << invalid << memory;
        QTest::newRow("deflated 10^6 x 100, no chunk written")
            << 2 << 1000000ull << 100ull << malformed << QStringLiteral("too few for any filter to expand");
        QTest::newRow("vlen vocabulary of 10^6, nothing stored") << 3 << 1000000ull << 0ull << malformed << stores;
        QTest::newRow("vlen vocabulary of 2^40") << 3 << (1ull << 40) << 0ull << invalid << memory;
    }
    void declaredSizesBeyondStorageAreRefused()
    {
        QFETCH(int, kind);
        QFETCH(qulonglong, rows);
        QFETCH(qulonglong, cols);
        QFETCH(vq::ErrorKind, error);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("claims.h5")).toStdString();
        {
            H5Writer w(path);
            QVERIFY(w.ok());
            if (kind == 3) {
                vq::Hdf5Datatype type(H5Tcopy(H5T_C_S1));
                H5Tset_size(type.id(), H5T_VARIABLE);
                w.unwritten("/vocab", type.id(), { rows }, { 4096 }, false);
            } else {
                const std::vector<hsize_t> chunk = kind == 0
                    ? std::vector<hsize_t> {}
                    : std::vector<hsize_t> { 1024, std::min<hsize_t>(cols, 1024) };
                w.unwritten("/weight", H5T_IEEE_F32LE, { rows, cols }, chunk, kind == 2);
            }
        }
        QVERIFY(QFileInfo(QString::fromStdString(path)).size() < 100000);
        const vq::Hdf5Reader r(path);
        try {
            if (kind == 3)
                r.readStrings("/vocab");
            else
                r.readMatrix("/weight", vq::nullRunControl());
            QFAIL("read a dataset the file does not hold");
        } catch (const vq::Error& e) {
            QCOMPARE(name(e.kind()), name(error));
            QCOMPARE(e.path(), path);
            QVERIFY2(e.message().find(message.toStdString()) != std::string::npos, e.what());
        }
    }

    void missingPathAndDirectory()
    {
        vqtest::checkMissingPathAndDirectory<vq::Hdf5Reader>(QStringLiteral("missing.h5"));
    }
};

QTEST_GUILESS_MAIN(TestHdf5)
#include "tst_hdf5.moc"
