#include "common/error.h"
#include "common/halffloat.h"
#include "io/safetensorsreader.h"
#include "io/safetensorswriter.h"
#include "npyfixture.h"
#include "safetensorsfixture.h"
#include "testutil.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstring>
#include <limits>

Q_DECLARE_METATYPE(vq::DType)

namespace {

bool sameBits(const std::vector<float>& a, const std::vector<float>& b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

bool sameBytes(std::span<const uint8_t> a, std::span<const uint8_t> b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

// The GloVe rows plus values that exercise rounding: ties, subnormals, overflow, signed zero, Inf, NaN.
std::vector<float> testValues()
{
    std::vector<float> v = vqtest::readNpyF32(vqtest::dataPath("reference-512x100-f32.npy")).values;
    const float specials[] = { 0.0f, -0.0f, 1.0f + 0.00048828125f, 1.0f + 3.0f * 0.00048828125f, 1.00390625f,
        1.01171875f, 6.0e-8f, -3.0e-41f, 65519.0f, 65520.0f, 3.0e38f, std::numeric_limits<float>::infinity(),
        -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN() };
    for (size_t i = 0; i < std::size(specials); ++i)
        v[i] = specials[i];
    return v;
}

float storedAs(vq::DType dtype, float f)
{
    switch (dtype) {
    case vq::DType::F16:
        return vq::halfToFloat(vq::floatToHalf(f));
    case vq::DType::BF16:
        return vq::bf16ToFloat(vq::floatToBf16(f));
    default:
        return f;
    }
}

uint64_t headerLength(const QByteArray& file)
{
    uint64_t n = 0;
    std::memcpy(&n, file.constData(), 8);
    return n;
}

} // namespace

class TestSafetensorsWriter : public QObject {
    Q_OBJECT
private slots:
    void roundTripIsExact_data()
    {
        QTest::addColumn<vq::DType>("dtype");
        QTest::newRow("F32") << vq::DType::F32;
        QTest::newRow("F16") << vq::DType::F16;
        QTest::newRow("BF16") << vq::DType::BF16;
    }
    void roundTripIsExact()
    {
        QFETCH(vq::DType, dtype);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("out.safetensors")).toStdString();
        const std::vector<float> values = testValues();
        const std::vector<float> norm(100, 1.0f);
        {
            vq::SafetensorsWriter w(path);
            w.addMetadata("format", "pt");
            w.addMetadata("vqscope.method", "carvq");
            w.addTensor("model.embed_tokens.weight", dtype, { 512, 100 }, values);
            w.addTensor("model.norm.weight", vq::DType::F32, { 100 }, norm);
            w.write();
        }
        vq::SafetensorsReader r(path);
        QCOMPARE(r.tensors().size(), size_t(2));
        const vq::TensorInfo* t = nullptr;
        for (const auto& info : r.tensors())
            t = info.name == "model.embed_tokens.weight" ? &info : t;
        QVERIFY(t);
        QCOMPARE(t->dtype, dtype);
        QCOMPARE(t->shape, (std::vector<int64_t> { 512, 100 }));
        const vq::Matrix m = r.readMatrix("model.embed_tokens.weight", vq::nullRunControl());
        std::vector<float> expected(values.size());
        for (size_t i = 0; i < values.size(); ++i)
            expected[i] = storedAs(dtype, values[i]);
        QVERIFY(sameBits(m.values, expected));
        QVERIFY(std::isnan(m.values[13]));
        QCOMPARE(r.metadata().size(), size_t(2));
        QCOMPARE(r.metadata()[0].key, std::string("format"));
        QCOMPARE(r.metadata()[1].value, std::string("carvq"));

        // layout as the reference implementation writes it
        const QByteArray file = vqtest::readAll(path);
        const uint64_t n = headerLength(file);
        QCOMPARE((8 + n) % 8, uint64_t(0));
        QVERIFY(file.mid(8, 16).startsWith("{\"__metadata__\":"));
        QVERIFY(file.mid(8, qsizetype(n)).trimmed().endsWith('}'));
        for (char c : file.mid(8, qsizetype(n)).mid(file.mid(8, qsizetype(n)).lastIndexOf('}') + 1))
            QCOMPARE(c, ' ');
        QCOMPARE(uint64_t(file.size()), 8 + n + 400 + 51200 * vq::SafetensorsReader::dtypeSize(vq::nameOf(dtype)));
        // the 4-byte norm goes first when the table is 2-byte, so both stay aligned
        if (dtype != vq::DType::F32)
            QCOMPARE(r.tensors()[0].name, std::string("model.norm.weight"));
    }

    void bytesMatchAnIndependentWriter()
    {
        // The fixture was written by another implementation from the same reference values; rounding to
        // BF16 and F16 must give the very same bytes.
        const std::vector<float> reference = vqtest::readNpyF32(vqtest::dataPath("reference-512x100-f32.npy")).values;
        const std::vector<float> norm(100, 1.0f);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("twin.safetensors")).toStdString();
        vq::SafetensorsWriter w(path);
        w.addMetadata("format", "pt");
        w.addTensor("model.embed_tokens.weight", vq::DType::BF16, { 512, 100 }, reference);
        w.addTensor("model.norm.weight", vq::DType::F32, { 100 }, norm);
        w.addTensor("lm_head.weight", vq::DType::F16, { 512, 100 }, reference);
        w.write();
        vq::SafetensorsReader ours(path);
        vq::SafetensorsReader theirs(vqtest::dataPath("table-bf16.safetensors"));
        for (const auto& t : theirs.tensors())
            QVERIFY2(sameBytes(ours.rawBytes(t.name), theirs.rawBytes(t.name)), t.name.c_str());
    }

    void rawTensorsAreCopiedByteForByte()
    {
        // A patched checkpoint: every tensor copied as stored except the embedding, which is replaced.
        vq::SafetensorsReader source(vqtest::dataPath("table-bf16.safetensors"));
        std::vector<float> replacement(51200);
        for (size_t i = 0; i < replacement.size(); ++i)
            replacement[i] = static_cast<float>(i % 97) / 64.0f;
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("patched.safetensors")).toStdString();
        vq::SafetensorsWriter w(path);
        for (const auto& m : source.metadata())
            w.addMetadata(m.key, m.value);
        for (const auto& t : source.tensors()) {
            if (t.name == "model.embed_tokens.weight")
                w.addTensor(t.name, vq::DType::BF16, t.shape, replacement);
            else
                w.addRawTensor(t.name, t.dtypeName, t.shape, source.rawBytes(t.name));
        }
        w.addRawTensor("unknown.kind", "Q9_K", { 3 }, source.rawBytes("model.norm.weight").first(7));
        w.write();

        vq::SafetensorsReader patched(path);
        QCOMPARE(patched.tensors().size(), size_t(4));
        QVERIFY(sameBytes(patched.rawBytes("lm_head.weight"), source.rawBytes("lm_head.weight")));
        QVERIFY(sameBytes(patched.rawBytes("model.norm.weight"), source.rawBytes("model.norm.weight")));
        QVERIFY(sameBytes(patched.rawBytes("unknown.kind"), source.rawBytes("model.norm.weight").first(7)));
        QCOMPARE(patched.readMatrix("model.embed_tokens.weight", vq::nullRunControl()).values, replacement);
        QCOMPARE(patched.metadata().size(), size_t(1));
    }

    void producerStreamsInOrder()
    {
        // 700000 elements: several conversion chunks; the producer is asked for consecutive ranges.
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("stream.safetensors")).toStdString();
        uint64_t next = 0;
        bool inOrder = true;
        vq::SafetensorsWriter w(path);
        w.addTensor("t", vq::DType::F32, { 7000, 100 }, [&](uint64_t first, std::span<float> out) {
            inOrder = inOrder && first == next;
            next = first + out.size();
            for (size_t i = 0; i < out.size(); ++i)
                out[i] = static_cast<float>(first + i);
        });
        std::vector<double> fractions;
        vq::RunControl control;
        control.setProgressCallback([&](std::string_view stage, double f) {
            if (stage == "write")
                fractions.push_back(f);
        });
        w.write(control);
        QVERIFY(inOrder);
        QCOMPARE(next, uint64_t(700000));
        QVERIFY(fractions.size() >= 4);
        QCOMPARE(fractions.back(), 1.0);
        const vq::Matrix m = vq::SafetensorsReader(path).readMatrix("t", vq::nullRunControl());
        for (int64_t i = 0; i < 700000; i += 12345)
            QCOMPARE(m.values[size_t(i)], static_cast<float>(i));
        QCOMPARE(m.values.back(), 699999.0f);
    }

    void cancelLeavesTheTargetUntouched()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("out.safetensors")).toStdString();
        QVERIFY(vqtest::writeAll(path, "previous export"));
        const std::vector<float> values(1 << 20, 0.5f);
        vq::SafetensorsWriter w(path);
        w.addTensor("t", vq::DType::BF16, { 1 << 10, 1 << 10 }, values);
        vq::RunControl control;
        control.setProgressCallback([&](std::string_view, double f) {
            if (f > 0)
                control.cancel();
        });
        QVERIFY_THROWS_EXCEPTION(vq::Cancelled, w.write(control));
        QCOMPARE(vqtest::readAll(path), QByteArray("previous export"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 1);
    }

    void badDeclarationsAreRefused_data()
    {
        QTest::addColumn<QString>("what");
        QTest::newRow("duplicate name") << QStringLiteral("duplicate");
        QTest::newRow("reserved name") << QStringLiteral("__metadata__");
        QTest::newRow("empty name") << QString();
        QTest::newRow("integer dtype for floats") << QStringLiteral("i32");
        QTest::newRow("too few values") << QStringLiteral("short");
        QTest::newRow("negative dimension") << QStringLiteral("negative");
        QTest::newRow("raw bytes not matching shape") << QStringLiteral("raw");
        QTest::newRow("raw without dtype") << QStringLiteral("rawnodtype");
    }
    void badDeclarationsAreRefused()
    {
        QFETCH(QString, what);
        const std::vector<float> six(6, 1.0f);
        const std::vector<uint8_t> bytes(10, 0);
        const std::string path = "/nonexistent/out.safetensors";
        vq::SafetensorsWriter w(path);
        w.addTensor("a", vq::DType::F32, { 2, 3 }, six);
        try {
            if (what == QStringLiteral("duplicate"))
                w.addTensor("a", vq::DType::F16, { 6 }, six);
            else if (what == QStringLiteral("i32"))
                w.addTensor("b", vq::DType::I32, { 2, 3 }, six);
            else if (what == QStringLiteral("short"))
                w.addTensor("b", vq::DType::F32, { 2, 4 }, six);
            else if (what == QStringLiteral("negative"))
                w.addTensor("b", vq::DType::F32, { -2, -3 }, six);
            else if (what == QStringLiteral("raw"))
                w.addRawTensor("b", "F32", { 2, 3 }, bytes);
            else if (what == QStringLiteral("rawnodtype"))
                w.addRawTensor("b", "", { 10 }, bytes);
            else
                w.addTensor(what.toStdString(), vq::DType::F32, { 6 }, six);
            QFAIL("accepted a bad declaration");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::InvalidArgument);
            QCOMPARE(e.path(), path);
        }
    }

    void unwritableTargetFails()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("missing-folder/out.safetensors")).toStdString();
        const std::vector<float> six(6, 1.0f);
        vq::SafetensorsWriter w(path);
        w.addTensor("a", vq::DType::F32, { 2, 3 }, six);
        try {
            w.write();
            QFAIL("wrote into a missing folder");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::WriteFailed);
            QCOMPARE(e.path(), path);
        }
    }
};

QTEST_GUILESS_MAIN(TestSafetensorsWriter)
#include "tst_safetensorswriter.moc"
