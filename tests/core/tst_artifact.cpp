#include "common/error.h"
#include "common/halffloat.h"
#include "export/artifact.h"
#include "io/safetensorsreader.h"
#include "quant/bitpack.h"
#include "quant/registry.h"
#include "quantchecks.h"
#include "safetensorsfixture.h"
#include "testutil.h"
#include "vq/version.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>

Q_DECLARE_METATYPE(vq::ErrorKind)

namespace {

// The first 1000 rows of the real GloVe table.
const vq::Matrix& glove()
{
    static const vq::Matrix m = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"), 1000);
    return m;
}

vq::QuantizedTable rtnTable(int bits, int group, const char* mode)
{
    const vq::QuantSpec spec { "rtn", { { "bits", bits }, { "group", group }, { "mode", mode } } };
    return vqtest::fitWith(vq::quantizer("rtn"), glove(), spec, 1, 0);
}

// Metrics in the shape RunMetrics::toJson writes: scalars, nested objects and per-token arrays, some of
// whose values are not finite.
nlohmann::json sampleMetrics(int64_t rows)
{
    nlohmann::json relError = nlohmann::json::array();
    nlohmann::json mse = nlohmann::json::array();
    for (int64_t i = 0; i < rows; ++i) {
        relError.push_back(0.001 * static_cast<double>(i) + 1.0 / 3.0);
        mse.push_back(static_cast<double>(i) * 1e-7);
    }
    relError[1] = "inf";
    relError[2] = "nan";
    mse[3] = 7; // an integer: comes back as 7.0, which nlohmann compares equal
    return { { "reconstruction",
                 { { "relMse", 0.0213 }, { "snrDb", "inf" },
                     { "perToken", { { "relError", relError }, { "mse", mse } } } } },
        { "short", { 1, 2, 3 } }, { "label", "x" } };
}

vq::ArtifactContents contentsOf(vq::QuantizedTable t)
{
    vq::ArtifactContents c;
    c.metrics = sampleMetrics(t.rows);
    vq::TableSource source { "/data/glove-20k.npy", "NumPy", "glove-20k", "<f4", { 20000, 100 },
        "xxh64:0123456789abcdef", "only tensor" };
    vq::RunControl control;
    control.seed = 42;
    control.threads = 2;
    c.provenance = vq::makeProvenance(source, control, { { "fit", 1.25 } });
    c.table = std::move(t);
    return c;
}

bool sameFloatBits(const vq::Matrix& a, const vq::Matrix& b)
{
    return a.rows == b.rows && a.cols == b.cols
        && std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(float)) == 0;
}

void expectError(
    const std::function<void()>& fn, vq::ErrorKind kind, const std::string& path, const char* contains = "")
{
    try {
        fn();
        QFAIL("no error thrown");
    } catch (const vq::Error& e) {
        QVERIFY2(e.kind() == kind, (std::string(vq::nameOf(e.kind())) + ": " + e.what()).c_str());
        QCOMPARE(QString::fromStdString(e.path()), QString::fromStdString(path));
        QVERIFY2(std::string(e.what()).find(contains) != std::string::npos, e.what());
    }
}

// ---- direct HDF5 access, to inspect and to damage written files ----

struct H5 {
    hid_t file;
    explicit H5(const std::string& path, bool write = false)
        : file(H5Fopen(path.c_str(), write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT))
    {
    }
    ~H5() { H5Fclose(file); }
};

void setIntAttr(hid_t file, const char* object, const char* name, int64_t value)
{
    const hid_t obj = H5Oopen(file, object, H5P_DEFAULT);
    H5Adelete(obj, name);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate2(obj, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT64, &value);
    H5Aclose(a);
    H5Sclose(space);
    H5Oclose(obj);
}

void setStringAttr(hid_t file, const char* object, const char* name, const std::string& value)
{
    const hid_t obj = H5Oopen(file, object, H5P_DEFAULT);
    H5Adelete(obj, name);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    const char* text = value.c_str();
    H5Awrite(a, type, &text);
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
    H5Oclose(obj);
}

std::string readStringAttr(hid_t file, const char* object, const char* name)
{
    const hid_t obj = H5Oopen(file, object, H5P_DEFAULT);
    const hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    char* text = nullptr;
    H5Aread(a, type, &text);
    std::string s = text ? text : "";
    H5free_memory(text);
    H5Tclose(type);
    H5Aclose(a);
    H5Oclose(obj);
    return s;
}

int64_t readIntAttr(hid_t file, const char* object, const char* name)
{
    const hid_t obj = H5Oopen(file, object, H5P_DEFAULT);
    const hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    int64_t v = -1;
    H5Aread(a, H5T_NATIVE_INT64, &v);
    H5Aclose(a);
    H5Oclose(obj);
    return v;
}

// Replaces a dataset by a 1-D uint8 one holding `bytes`, keeping nothing of the old one.
void replaceWithBytes(hid_t file, const char* name, const std::vector<uint8_t>& bytes)
{
    H5Ldelete(file, name, H5P_DEFAULT);
    const hsize_t n = bytes.size();
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t ds = H5Dcreate2(file, name, H5T_STD_U8LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data());
    H5Dclose(ds);
    H5Sclose(space);
}

void copyAttrs(hid_t file, const char* from, const char* to)
{
    // storage, bit_width, shape, element_count, role, label of the original, so only the bytes differ.
    const hid_t src = H5Oopen(file, from, H5P_DEFAULT);
    const hid_t dst = H5Oopen(file, to, H5P_DEFAULT);
    for (const char* name : { "storage", "role", "label" }) {
        const hid_t a = H5Aopen(src, name, H5P_DEFAULT);
        const hid_t type = H5Aget_type(a);
        char* text = nullptr;
        H5Aread(a, type, &text);
        const hid_t space = H5Screate(H5S_SCALAR);
        const hid_t b = H5Acreate2(dst, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(b, type, &text);
        H5free_memory(text);
        H5Aclose(b);
        H5Sclose(space);
        H5Tclose(type);
        H5Aclose(a);
    }
    for (const char* name : { "bit_width", "element_count" }) {
        const hid_t a = H5Aopen(src, name, H5P_DEFAULT);
        int64_t v = 0;
        H5Aread(a, H5T_NATIVE_INT64, &v);
        H5Aclose(a);
        const hid_t space = H5Screate(H5S_SCALAR);
        const hid_t b = H5Acreate2(dst, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(b, H5T_NATIVE_INT64, &v);
        H5Aclose(b);
        H5Sclose(space);
    }
    const hid_t a = H5Aopen(src, "shape", H5P_DEFAULT);
    int64_t dims[8] = {};
    H5Aread(a, H5T_NATIVE_INT64, dims);
    const hid_t space = H5Aget_space(a);
    const hid_t b = H5Acreate2(dst, "shape", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(b, H5T_NATIVE_INT64, dims);
    H5Aclose(b);
    H5Sclose(space);
    H5Aclose(a);
    H5Oclose(dst);
    H5Oclose(src);
}

void setShapeAttr(hid_t file, const char* object, const std::vector<int64_t>& shape)
{
    const hid_t obj = H5Oopen(file, object, H5P_DEFAULT);
    H5Adelete(obj, "shape");
    const hsize_t n = shape.size();
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t a = H5Acreate2(obj, "shape", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT64, shape.data());
    H5Aclose(a);
    H5Sclose(space);
    H5Oclose(obj);
}

// Overwrites element `index` of a dataset with `value`, in raw units of `memType` (uint8 for packed
// codes, the dataset's own 16-bit type for fp16 scales), leaving its size and attributes alone.
template <class T> void patchElement(hid_t file, const char* name, hid_t memType, size_t index, T value)
{
    const hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    const hid_t space = H5Dget_space(ds);
    std::vector<T> values(static_cast<size_t>(H5Sget_simple_extent_npoints(space)));
    H5Dread(ds, memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    values.at(index) = value;
    H5Dwrite(ds, memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Sclose(space);
    H5Dclose(ds);
}

void patchScaleBits(hid_t file, size_t index, uint16_t bits)
{
    const hid_t ds = H5Dopen2(file, "/arrays/scales", H5P_DEFAULT);
    const hid_t type = H5Dget_type(ds);
    H5Dclose(ds);
    patchElement<uint16_t>(file, "/arrays/scales", type, index, bits);
    H5Tclose(type);
}

using Damage = std::function<void(const std::string& path)>;

} // namespace

Q_DECLARE_METATYPE(Damage)

class TestArtifact : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

    void roundTripDecodesIdentically_data()
    {
        QTest::addColumn<int>("bits");
        QTest::addColumn<int>("group");
        QTest::addColumn<QString>("mode");
        QTest::newRow("int4 per row") << 4 << 0 << QStringLiteral("sym");
        QTest::newRow("uint3 g20 asym") << 3 << 20 << QStringLiteral("asym");
        QTest::newRow("int8 g50") << 8 << 50 << QStringLiteral("sym");
        QTest::newRow("int2 g4") << 2 << 4 << QStringLiteral("sym");
        QTest::newRow("uint5 g25 asym") << 5 << 25 << QStringLiteral("asym");
    }
    void roundTripDecodesIdentically()
    {
        QFETCH(int, bits);
        QFETCH(int, group);
        QFETCH(QString, mode);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("run.vq.h5")).toStdString();
        const vq::ArtifactContents in = contentsOf(rtnTable(bits, group, mode.toUtf8().constData()));
        vq::writeArtifact(path, in);
        const vq::ArtifactContents out = vq::readArtifact(path);

        QCOMPARE(out.table.rows, in.table.rows);
        QCOMPARE(out.table.dim, in.table.dim);
        QVERIFY(out.table.spec == in.table.spec);
        QVERIFY(out.table.info == in.table.info);
        const std::string diff = vqtest::arrayDifference(in.table, out.table);
        QVERIFY2(diff.empty(), diff.c_str());
        for (size_t i = 0; i < in.table.arrays.size(); ++i) {
            QCOMPARE(out.table.arrays[i].role, in.table.arrays[i].role);
            QCOMPARE(out.table.arrays[i].label, in.table.arrays[i].label);
        }
        QCOMPARE(out.table.bits().totalBits(), in.table.bits().totalBits());
        QVERIFY(sameFloatBits(out.table.decodeAll(), in.table.decodeAll()));

        QVERIFY2(out.metrics == in.metrics, out.metrics.dump().substr(0, 400).c_str());
        QVERIFY2(out.provenance == in.provenance, out.provenance.dump().c_str());
        QCOMPARE(out.provenance.at("appVersion").get<std::string>(), std::string(vq::kVersion));
        QCOMPARE(out.provenance.at("seed").get<uint64_t>(), uint64_t(42));
        QCOMPARE(out.provenance.at("sourceChecksum").get<std::string>(), std::string("xxh64:0123456789abcdef"));
    }

    // Every registered method's default spec (on the first 96 columns, a width every default group size
    // divides, or 256 columns for methods that need them) survives the artifact bit for bit.
    void everyMethodRoundTrips()
    {
        const vq::Matrix slice = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"), 600, 96);
        QTemporaryDir dir;
        for (const vq::Quantizer* q : vq::allQuantizers()) {
            const vq::QuantizedTable t = vqtest::fitWith(*q, vqtest::realTableFor(*q, slice), { q->name(), {} }, 3, 0);
            const std::string path = dir.filePath(QString::fromStdString(q->name() + ".vq.h5")).toStdString();
            vq::writeArtifact(path, contentsOf(t));
            const vq::ArtifactContents out = vq::readArtifact(path);
            const std::string diff = vqtest::arrayDifference(t, out.table);
            QVERIFY2(diff.empty(), (q->name() + ": " + diff).c_str());
            QVERIFY2(sameFloatBits(out.table.decodeAll(), t.decodeAll()), q->name().c_str());
        }
    }

    // BF16 arrays, nested array names and empty arrays: the storage paths RTN does not produce itself. The
    // RTN scales are replaced by values exact in both fp16 and bf16 (same bit count, same decoding).
    void bf16NestedAndEmptyArraysRoundTrip()
    {
        vq::QuantizedTable t = rtnTable(4, 25, "sym");
        for (vq::StoredArray& a : t.arrays) {
            if (a.name != "scales")
                continue;
            a.type = vq::StorageType::BF16;
            for (float& f : a.floats)
                f = vq::bf16ToFloat(vq::floatToBf16(f));
        }
        t.addArray({ "extra/nested/empty", "other", "", vq::StorageType::F32, 32, { 0, 7 }, {}, {} });
        t.addArray({ "extra/codes", "other", "", vq::StorageType::UInt, 32, { 0 }, {}, {} });
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("bf16.vq.h5")).toStdString();
        vq::writeArtifact(path, contentsOf(t));
        const vq::ArtifactContents out = vq::readArtifact(path);
        const std::string diff = vqtest::arrayDifference(t, out.table);
        QVERIFY2(diff.empty(), diff.c_str());
        QCOMPARE(out.table.array("scales").type, vq::StorageType::BF16);
        QVERIFY(sameFloatBits(out.table.decodeAll(), t.decodeAll()));

        const H5 f(path);
        const hid_t ds = H5Dopen2(f.file, "/arrays/scales", H5P_DEFAULT);
        const hid_t type = H5Dget_type(ds);
        QCOMPARE(H5Tget_class(type), H5T_INTEGER);
        QCOMPARE(H5Tget_size(type), size_t(2));
        std::vector<uint16_t> bits(t.array("scales").floats.size());
        QVERIFY(H5Dread(ds, H5T_NATIVE_UINT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, bits.data()) >= 0);
        for (size_t i = 0; i < bits.size(); ++i)
            QCOMPARE(bits[i], vq::floatToBf16(t.array("scales").floats[i]));
        H5Tclose(type);
        H5Dclose(ds);
    }

    // The documented schema (ARTIFACT.md), read with the plain HDF5 API as a deployment would.
    void fileFollowsTheSchema()
    {
        const vq::ArtifactContents in = contentsOf(rtnTable(3, 20, "asym"));
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("schema.vq.h5")).toStdString();
        vq::writeArtifact(path, in);
        const H5 f(path);
        QVERIFY(f.file >= 0);
        QCOMPARE(readStringAttr(f.file, "/", "format"), std::string("vqscope-artifact"));
        QCOMPARE(readIntAttr(f.file, "/", "version"), int64_t(1));
        QCOMPARE(readStringAttr(f.file, "/", "app_version"), std::string(vq::kVersion));
        QCOMPARE(readIntAttr(f.file, "/", "rows"), int64_t(1000));
        QCOMPARE(readIntAttr(f.file, "/", "dim"), int64_t(100));
        QVERIFY(nlohmann::json::parse(readStringAttr(f.file, "/", "spec")) == in.table.spec.toJson());
        QCOMPARE(readStringAttr(f.file, "/arrays/codes", "storage"), std::string("uint"));
        QCOMPARE(readIntAttr(f.file, "/arrays/codes", "bit_width"), int64_t(3));
        QCOMPARE(readIntAttr(f.file, "/arrays/codes", "element_count"), int64_t(100000));
        QCOMPARE(readStringAttr(f.file, "/arrays/scales", "storage"), std::string("f16"));
        QCOMPARE(readStringAttr(f.file, "/provenance", "sourceFile"), std::string("/data/glove-20k.npy"));
        QCOMPARE(readIntAttr(f.file, "/provenance", "threads"), int64_t(2));

        // Codes: packed little-endian bit stream, exactly bitpack's layout (37500 bytes for 100000 x 3 bits).
        const hid_t codes = H5Dopen2(f.file, "/arrays/codes", H5P_DEFAULT);
        const hid_t space = H5Dget_space(codes);
        QCOMPARE(H5Sget_simple_extent_npoints(space), hssize_t(37500));
        std::vector<uint8_t> bytes(37500);
        QVERIFY(H5Dread(codes, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) >= 0);
        QVERIFY(bytes == vq::packInts(in.table.array("codes").ints, 3, false));
        H5Sclose(space);
        H5Dclose(codes);

        // fp16 is a real IEEE half type: HDF5 itself converts it to float, giving the stored values.
        const hid_t scales = H5Dopen2(f.file, "/arrays/scales", H5P_DEFAULT);
        std::vector<float> asFloat(in.table.array("scales").floats.size());
        QVERIFY(H5Dread(scales, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, asFloat.data()) >= 0);
        QVERIFY(asFloat == in.table.array("scales").floats);
        H5Dclose(scales);

        // Per-token metrics are float64 datasets at their JSON pointer under /metrics.
        const hid_t rel = H5Dopen2(f.file, "/metrics/reconstruction/perToken/relError", H5P_DEFAULT);
        QVERIFY(rel >= 0);
        std::vector<double> values(1000);
        QVERIFY(H5Dread(rel, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
        QCOMPARE(values[0], 1.0 / 3.0);
        QVERIFY(std::isinf(values[1]));
        QVERIFY(std::isnan(values[2]));
        H5Dclose(rel);
        const auto metricsJson = nlohmann::json::parse(readStringAttr(f.file, "/metrics", "json"));
        QVERIFY(!metricsJson.at("reconstruction").contains("perToken"));
        QVERIFY(metricsJson.at("short") == nlohmann::json({ 1, 2, 3 }));
    }

    void damagedArtifactsAreRefused_data()
    {
        QTest::addColumn<Damage>("damage");
        QTest::addColumn<vq::ErrorKind>("kind");
        QTest::addColumn<QString>("contains");
        const auto h5 = [](std::function<void(hid_t)> fn) {
            return Damage([fn](const std::string& path) {
                const H5 f(path, true);
                fn(f.file);
            });
        };
        QTest::newRow("bad version") << h5([](hid_t f) { setIntAttr(f, "/", "version", 2); })
                                     << vq::ErrorKind::Unsupported << QStringLiteral("version 2");
        QTest::newRow("other format") << h5([](hid_t f) { setStringAttr(f, "/", "format", "something-else"); })
                                      << vq::ErrorKind::Unsupported << QStringLiteral("not a vqscope artifact");
        QTest::newRow("no format") << h5([](hid_t f) { H5Adelete(f, "format"); }) << vq::ErrorKind::Unsupported
                                   << QStringLiteral("not a vqscope artifact");
        QTest::newRow("missing array") << h5([](hid_t f) { H5Ldelete(f, "/arrays/scales", H5P_DEFAULT); })
                                       << vq::ErrorKind::Malformed << QStringLiteral("array 'scales' is missing");
        QTest::newRow("missing group") << h5([](hid_t f) { H5Ldelete(f, "/metrics", H5P_DEFAULT); })
                                       << vq::ErrorKind::Malformed << QStringLiteral("missing group /metrics");
        QTest::newRow("missing arrays group") << h5([](hid_t f) { H5Ldelete(f, "/arrays", H5P_DEFAULT); })
                                              << vq::ErrorKind::Malformed << QStringLiteral("missing group /arrays");
        QTest::newRow("unknown method") << h5([](hid_t f) {
            setStringAttr(f, "/", "method", "nosuch");
            setStringAttr(f, "/", "spec", R"({"method":"nosuch","params":{}})");
        }) << vq::ErrorKind::Unsupported << QStringLiteral("unknown quantization method 'nosuch'");
        QTest::newRow("spec does not fit") << h5([](hid_t f) {
            setStringAttr(f, "/", "spec", R"({"method":"rtn","params":{"bits":4,"group":30,"mode":"sym"}})");
        }) << vq::ErrorKind::Malformed << QStringLiteral("does not divide");
        QTest::newRow("spec not JSON") << h5([](hid_t f) { setStringAttr(f, "/", "spec", "{method"); })
                                       << vq::ErrorKind::Malformed << QStringLiteral("spec is not valid JSON");
        QTest::newRow("codes cut short") << h5([](hid_t f) {
            replaceWithBytes(f, "/arrays/tmp", std::vector<uint8_t>(49999, 0));
            copyAttrs(f, "/arrays/codes", "/arrays/tmp");
            H5Ldelete(f, "/arrays/codes", H5P_DEFAULT);
            H5Lmove(f, "/arrays/tmp", f, "/arrays/codes", H5P_DEFAULT, H5P_DEFAULT);
        }) << vq::ErrorKind::Malformed << QStringLiteral("holds 49999 bytes, but 100000 values of 4 bits need 50000");
        QTest::newRow("element count vs shape")
            << h5([](hid_t f) { setIntAttr(f, "/arrays/codes", "element_count", 5); }) << vq::ErrorKind::Malformed
            << QStringLiteral("declares 5 elements");
        QTest::newRow("bit width vs bytes") << h5([](hid_t f) { setIntAttr(f, "/arrays/codes", "bit_width", 3); })
                                            << vq::ErrorKind::Malformed << QStringLiteral("need 37500");
        QTest::newRow("scales of another type")
            << h5([](hid_t f) { setStringAttr(f, "/arrays/scales", "storage", "f32"); }) << vq::ErrorKind::Malformed
            << QStringLiteral("type is not f32");
        QTest::newRow("unknown storage") << h5([](hid_t f) { setStringAttr(f, "/arrays/scales", "storage", "f8"); })
                                         << vq::ErrorKind::Malformed << QStringLiteral("unknown storage type 'f8'");
        QTest::newRow("unlisted dataset") << h5([](hid_t f) {
            replaceWithBytes(f, "/arrays/stray", { 1, 2 });
        }) << vq::ErrorKind::Malformed << QStringLiteral("not listed");
        QTest::newRow("bits differ from estimate") << h5([](hid_t f) {
            setStringAttr(f, "/arrays", "names", R"(["codes","scales","stray"])");
            replaceWithBytes(f, "/arrays/stray", { 1, 2 });
            copyAttrs(f, "/arrays/codes", "/arrays/stray");
            setIntAttr(f, "/arrays/stray", "bit_width", 8);
            setIntAttr(f, "/arrays/stray", "element_count", 2);
            const hid_t ds = H5Oopen(f, "/arrays/stray", H5P_DEFAULT);
            H5Adelete(ds, "shape");
            const hsize_t one = 1;
            const hid_t space = H5Screate_simple(1, &one, nullptr);
            const int64_t two = 2;
            const hid_t a = H5Acreate2(ds, "shape", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
            H5Awrite(a, H5T_NATIVE_INT64, &two);
            H5Aclose(a);
            H5Sclose(space);
            H5Oclose(ds);
        }) << vq::ErrorKind::Malformed << QStringLiteral("hold 416016 bits, but rtn with this spec stores 416000");
        // Tampering that keeps every byte count: only the meaning of the arrays is wrong.
        QTest::newRow("codes transposed") << h5([](hid_t f) {
            setShapeAttr(f, "/arrays/codes", { 100, 1000 });
        }) << vq::ErrorKind::Malformed << QStringLiteral("shape 100 x 1000, not one row of codes per token");
        QTest::newRow("NaN scale") << h5([](hid_t f) { patchScaleBits(f, 7, 0x7e00); }) << vq::ErrorKind::Malformed
                                   << QStringLiteral("'scales' holds nan at element 7");
        QTest::newRow("infinite scale") << h5([](hid_t f) { patchScaleBits(f, 0, 0xfc00); }) << vq::ErrorKind::Malformed
                                        << QStringLiteral("'scales' holds -inf at element 0");
        QTest::newRow("code outside the symmetric range")
            << h5([](hid_t f) { patchElement<uint8_t>(f, "/arrays/codes", H5T_NATIVE_UINT8, 3, 0x88); })
            << vq::ErrorKind::Malformed
            << QStringLiteral("code -8 at element 6 is outside the 4-bit symmetric range -7..7");
        QTest::newRow("truncated") << Damage([](const std::string& path) {
            const QByteArray bytes = vqtest::readAll(path);
            vqtest::writeAll(path, bytes.left(bytes.size() / 2));
        }) << vq::ErrorKind::Truncated
                                   << QString();
        QTest::newRow("not HDF5") << Damage(
            [](const std::string& path) { vqtest::writeAll(path, QByteArray(4096, 'x')); })
                                  << vq::ErrorKind::Malformed << QStringLiteral("not an HDF5 file");
        QTest::newRow("empty") << Damage([](const std::string& path) { vqtest::writeAll(path, {}); })
                               << vq::ErrorKind::Empty << QString();
        QTest::newRow("missing file") << Damage([](const std::string& path) {
            QFile::remove(QString::fromStdString(path));
        }) << vq::ErrorKind::NotFound << QString();
    }
    void damagedArtifactsAreRefused()
    {
        QFETCH(Damage, damage);
        QFETCH(vq::ErrorKind, kind);
        QFETCH(QString, contains);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("damaged.vq.h5")).toStdString();
        vq::writeArtifact(path, contentsOf(rtnTable(4, 0, "sym"))); // 100000 int4 codes, 1000 scales
        vq::readArtifact(path); // intact: reads
        damage(path);
        expectError([&] { vq::readArtifact(path); }, kind, path, contains.toUtf8().constData());
    }

    // A failed write throws WriteFailed naming the target and leaves what was there.
    void failedWritesLeaveTargetsUntouched()
    {
        const vq::ArtifactContents c = contentsOf(rtnTable(4, 0, "sym"));
        QTemporaryDir dir;
        const std::string missing = dir.filePath(QStringLiteral("no/such/folder/x.vq.h5")).toStdString();
        expectError([&] { vq::writeArtifact(missing, c); }, vq::ErrorKind::WriteFailed, missing);
        expectError([&] { vq::writeArtifactSafetensors(missing, c); }, vq::ErrorKind::WriteFailed, missing);
        QVERIFY(!QFile::exists(QString::fromStdString(missing)));

        // A folder where the file should go: the rename fails, the folder and its content stay.
        const std::string folder = dir.filePath(QStringLiteral("occupied.vq.h5")).toStdString();
        QVERIFY(QDir().mkpath(QString::fromStdString(folder + "/inside")));
        expectError([&] { vq::writeArtifact(folder, c); }, vq::ErrorKind::WriteFailed, folder);
        QVERIFY(QDir(QString::fromStdString(folder + "/inside")).exists());

        // An existing artifact survives a refused table byte for byte.
        const std::string existing = dir.filePath(QStringLiteral("existing.vq.h5")).toStdString();
        vq::writeArtifact(existing, c);
        const QByteArray before = vqtest::readAll(existing);
        vq::ArtifactContents bad = c;
        bad.table.arrays[0].ints[0] = 100; // does not fit 4 bits
        expectError(
            [&] { vq::writeArtifact(existing, bad); }, vq::ErrorKind::InvalidArgument, existing, "does not fit");
        QCOMPARE(vqtest::readAll(existing), before);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), qsizetype(1)); // no temporaries
    }

    void cancelLeavesNoFile_data()
    {
        QTest::addColumn<bool>("safetensors");
        QTest::addColumn<bool>("existing");
        QTest::newRow("hdf5, new") << false << false;
        QTest::newRow("hdf5, existing") << false << true;
        QTest::newRow("safetensors, new") << true << false;
        QTest::newRow("safetensors, existing") << true << true;
    }
    void cancelLeavesNoFile()
    {
        QFETCH(bool, safetensors);
        QFETCH(bool, existing);
        const vq::ArtifactContents c = contentsOf(rtnTable(4, 0, "sym"));
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("cancel.out")).toStdString();
        if (existing)
            QVERIFY(vqtest::writeAll(path, "previous content"));
        vq::RunControl control;
        int reports = 0;
        control.setProgressCallback([&](std::string_view stage, double f) {
            QCOMPARE(QString::fromUtf8(stage.data(), stage.size()), QStringLiteral("export"));
            if (++reports == 2 && f < 1.0)
                control.cancel();
        });
        const auto write = [&] {
            if (safetensors)
                vq::writeArtifactSafetensors(path, c, control);
            else
                vq::writeArtifact(path, c, control);
        };
        QVERIFY_THROWS_EXCEPTION(vq::Cancelled, write());
        QCOMPARE(QFile::exists(QString::fromStdString(path)), existing);
        if (existing)
            QCOMPARE(vqtest::readAll(path), QByteArray("previous content"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), qsizetype(existing ? 1 : 0));
    }

    void safetensorsTwinHoldsEveryArray_data()
    {
        QTest::addColumn<int>("bits");
        QTest::addColumn<QString>("mode");
        QTest::addColumn<QString>("codesDtype");
        QTest::newRow("int4") << 4 << QStringLiteral("sym") << QStringLiteral("I8");
        QTest::newRow("uint3") << 3 << QStringLiteral("asym") << QStringLiteral("U8");
        QTest::newRow("uint8") << 8 << QStringLiteral("asym") << QStringLiteral("U8");
    }
    void safetensorsTwinHoldsEveryArray()
    {
        QFETCH(int, bits);
        QFETCH(QString, mode);
        QFETCH(QString, codesDtype);
        const vq::ArtifactContents c = contentsOf(rtnTable(bits, 20, mode.toUtf8().constData()));
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("twin.safetensors")).toStdString();
        vq::writeArtifactSafetensors(path, c);
        const vq::SafetensorsReader r(path);
        std::map<std::string, std::string> meta;
        for (const auto& m : r.metadata())
            meta[m.key] = m.value;
        QCOMPARE(meta.at("format"), std::string("vqscope-artifact"));
        QCOMPARE(meta.at("version"), std::string("1"));
        QVERIFY(nlohmann::json::parse(meta.at("spec")) == c.table.spec.toJson());
        QVERIFY(nlohmann::json::parse(meta.at("provenance")) == c.provenance);
        QVERIFY(nlohmann::json::parse(meta.at("arrays")).size() == c.table.arrays.size());

        const vq::StoredArray& codes = c.table.array("codes");
        const auto& info = *std::find_if(
            r.tensors().begin(), r.tensors().end(), [](const vq::TensorInfo& t) { return t.name == "codes"; });
        QCOMPARE(QString::fromStdString(info.dtypeName), codesDtype);
        QCOMPARE(info.shape, codes.shape);
        const auto raw = r.rawBytes("codes");
        QCOMPARE(raw.size(), codes.ints.size());
        for (size_t i = 0; i < raw.size(); ++i) {
            const int32_t v = codesDtype == QStringLiteral("I8") ? static_cast<int8_t>(raw[i]) : raw[i];
            QCOMPARE(v, codes.ints[i]);
        }
        vq::RunControl control;
        const vq::Matrix scales = r.readMatrix("scales", control);
        QVERIFY(scales.values == c.table.array("scales").floats);
        const auto rel = r.rawBytes("metrics/reconstruction/perToken/relError");
        QCOMPARE(rel.size(), size_t(4000));
        float first = 0;
        std::memcpy(&first, rel.data(), 4);
        QCOMPARE(first, static_cast<float>(1.0 / 3.0));
    }
};

QTEST_GUILESS_MAIN(TestArtifact)
#include "tst_artifact.moc"
