// GgufWriter: files gguf-py wrote are reproduced byte for byte, every writable type reads back through
// GgufReader, key/values of every GGUF value type, alignment, streaming, and bad declarations, cancel
// and I/O failures that leave an existing target untouched.
#include "common/error.h"
#include "common/halffloat.h"
#include "exportchecks.h"
#include "ggufchecks.h"
#include "io/embeddingloader.h"
#include "readerchecks.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <limits>
#include <map>

namespace {

using vqtest::expectError;

const std::string kEmbedding = "token_embd.weight";

std::string pathIn(const QTemporaryDir& dir, const char* name)
{
    return dir.filePath(QString::fromLatin1(name)).toStdString();
}

// A writer producing values row-major from m.
vq::GgufWriter::Producer producerOf(const vq::Matrix& m)
{
    return [&m](uint64_t first, std::span<float> out) {
        std::memcpy(out.data(), m.values.data() + first, out.size_bytes());
    };
}

std::vector<uint8_t> bytesOf(std::initializer_list<int> bytes)
{
    std::vector<uint8_t> out;
    for (int b : bytes)
        out.push_back(static_cast<uint8_t>(b));
    return out;
}

} // namespace

class TestGgufWriter : public QObject {
    Q_OBJECT
private slots:
    // Every key/value copied raw, the embedding re-encoded from the reference table: the whole file is the
    // one gguf-py wrote, byte for byte (header, tensor infos, offsets, padding, data).
    void reproducesGgufPyFixtures_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("type");
        QTest::addColumn<int>("cols");
        QTest::newRow("f32") << "table-f32.gguf"
                             << "f32" << 100;
        QTest::newRow("f16") << "table-f16.gguf"
                             << "f16" << 100;
        QTest::newRow("bf16") << "table-bf16.gguf"
                              << "bf16" << 100;
        QTest::newRow("q8_0") << "table-q8_0.gguf"
                              << "q8_0" << 96;
        QTest::newRow("q4_0") << "table-q4_0.gguf"
                              << "q4_0" << 96;
    }
    void reproducesGgufPyFixtures()
    {
        QFETCH(QString, file);
        QFETCH(QString, type);
        QFETCH(int, cols);
        const std::string fixture = vqtest::dataPath(file.toStdString());
        const vq::GgufReader reader(fixture);
        const vq::Matrix reference = vqtest::referenceTable(cols);
        QTemporaryDir dir;
        const std::string out = pathIn(dir, "copy.gguf");
        vq::GgufWriter writer(out);
        vqtest::copyGguf(reader, writer, [&](const vq::TensorInfo& t) {
            if (t.name != kEmbedding)
                return false;
            writer.addTensor(
                t.name, t.shape, vq::ggml::requireWritableType(type.toStdString(), out), producerOf(reference));
            return true;
        });
        writer.write();
        const std::string expected = vqtest::readAll(fixture);
        const std::string written = vqtest::readAll(out);
        QCOMPARE(written.size(), expected.size());
        QVERIFY(written == expected);
    }

    // Each writable type round-trips through GgufReader and the table loader: the type, the shape, the
    // stored bytes, and the values ggml's dequantization gives for those bytes.
    void everyWritableTypeReadsBack_data()
    {
        QTest::addColumn<QString>("type");
        for (const vq::ggml::WritableType& t : vq::ggml::writableTypes())
            QTest::newRow(std::string(t.name).c_str()) << QString::fromLatin1(t.name.data(), qsizetype(t.name.size()));
    }
    void everyWritableTypeReadsBack()
    {
        QFETCH(QString, type);
        const vq::ggml::WritableType& t = vq::ggml::requireWritableType(type.toStdString(), "");
        // 256 columns: whole blocks of every ggml block size (32 and 256).
        vq::Matrix m(64, 256);
        const vq::Matrix ref = vqtest::referenceTable(100);
        for (int64_t r = 0; r < m.rows; ++r)
            for (int64_t c = 0; c < m.cols; ++c)
                m.at(r, c) = ref.at((r * 7 + c / 100) % ref.rows, c % 100) * (1.0f + 0.01f * float(c / 100));
        QTemporaryDir dir;
        const std::string out = pathIn(dir, "t.gguf");
        vq::GgufWriter writer(out);
        writer.add("general.architecture", vq::GgufValue::string("llama"));
        writer.addTensor(kEmbedding, { m.rows, m.cols }, t, producerOf(m));
        writer.write();

        const vq::GgufReader reader(out);
        QCOMPARE(reader.formatName(), std::string("GGUF v3"));
        const vq::TensorInfo* info = vqtest::findTensor(reader, kEmbedding);
        QVERIFY(info);
        QCOMPARE(QString::fromStdString(info->dtypeName).toLower(), type.toLower());
        QCOMPARE(info->shape, (std::vector<int64_t> { 64, 256 }));
        QCOMPARE(reader.ggmlTypeId(kEmbedding), t.id);
        const std::vector<uint8_t> expected = vqtest::encodedAs(t, m.values);
        QVERIFY(vqtest::sameBytes(reader.tensorBytes(kEmbedding), expected));
        QCOMPARE(info->byteSize, uint64_t(expected.size()));

        // The table loader (the path that reads the fixtures) gives the decoded values.
        const vq::EmbeddingTable loaded = vq::loadEmbedding(out, {}, vq::nullRunControl());
        QCOMPARE(loaded.source.tensor, kEmbedding);
        QCOMPARE(loaded.storedBitsPerValue, t.bitsPerValue());
        QCOMPARE(loaded.values.rows, int64_t(64));
        double err = 0, norm = 0;
        for (size_t i = 0; i < m.values.size(); ++i) {
            err += std::pow(double(loaded.values.values[i]) - m.values[i], 2);
            norm += std::pow(double(m.values[i]), 2);
        }
        // Measured relative squared errors on this table; the bounds are about twice those. The ternary
        // types scale each block of 256 by its largest magnitude, so most values of a bell-shaped row
        // round to zero (0.715 measured); their bound is 0.8. A type without a measured bound fails here.
        const std::map<std::string_view, double> bounds { { "f32", 0.0 }, { "f16", 1e-7 }, { "bf16", 6e-6 },
            { "q4_0", 2.5e-2 }, { "q4_1", 1.8e-2 }, { "q5_0", 6e-3 }, { "q5_1", 4.5e-3 }, { "q8_0", 1e-4 },
            { "q2_K", 0.24 }, { "q3_K", 6e-2 }, { "q4_K", 1.6e-2 }, { "q5_K", 4e-3 }, { "q6_K", 9e-4 },
            { "iq4_nl", 1.6e-2 }, { "iq4_xs", 1.7e-2 }, { "tq1_0", 0.8 }, { "tq2_0", 0.8 } };
        QVERIFY2(bounds.count(t.name), "no measured error bound for this type");
        const double bound = bounds.at(t.name);
        QVERIFY2(err / norm <= bound, QByteArray::number(err / norm).constData());
        if (t.name != "f32")
            QVERIFY(err > 0); // a lossy type really rounds
    }

    // Every GGUF value type, nested arrays included, as GgufReader renders it and byte for byte raw.
    void keyValuesOfEveryType()
    {
        using V = vq::GgufValue;
        const std::vector<std::string> words { "a", "b\"c", "\xc3\xa9t\xc3\xa9" };
        const std::vector<V> inner1 { V::u8(1), V::u8(2) };
        const std::vector<V> inner2 { V::u8(3) };
        const std::vector<V> nested { V::array(vq::GgufType::U8, inner1), V::array(vq::GgufType::U8, inner2) };
        const std::vector<V> floats { V::f32(0.5f), V::f32(-2.0f) };
        const std::vector<std::pair<std::string, V>> values {
            { "k.u8", V::u8(200) },
            { "k.i8", V::i8(-100) },
            { "k.u16", V::u16(60000) },
            { "k.i16", V::i16(-30000) },
            { "k.u32", V::u32(4000000000u) },
            { "k.i32", V::i32(-2000000000) },
            { "k.f32", V::f32(0.25f) },
            { "k.bool", V::boolean(true) },
            { "k.str", V::string("hello \xe2\x9c\x93") },
            { "k.u64", V::u64(18000000000000000000ull) },
            { "k.i64", V::i64(-9000000000000000000ll) },
            { "k.f64", V::f64(-1.5) },
            { "k.arr.str", V::stringArray(words) },
            { "k.arr.f32", V::array(vq::GgufType::F32, floats) },
            { "k.arr.arr", V::array(vq::GgufType::Array, nested) },
            { "k.arr.empty", V::array(vq::GgufType::I64, {}) },
        };
        QTemporaryDir dir;
        const std::string out = pathIn(dir, "kv.gguf");
        vq::GgufWriter writer(out);
        for (const auto& [k, v] : values)
            writer.add(k, v);
        writer.write();

        const vq::GgufReader reader(out);
        QCOMPARE(reader.tensors().size(), size_t(0));
        QCOMPARE(reader.metadata().size(), values.size());
        const std::vector<std::pair<std::string, std::string>> rendered {
            { "u8", "200" },
            { "i8", "-100" },
            { "u16", "60000" },
            { "i16", "-30000" },
            { "u32", "4000000000" },
            { "i32", "-2000000000" },
            { "f32", "0.25" },
            { "bool", "true" },
            { "str", "hello \xe2\x9c\x93" },
            { "u64", "18000000000000000000" },
            { "i64", "-9000000000000000000" },
            { "f64", "-1.5" },
            { "arr[str,3]", "[\"a\", \"b\\\"c\", \"\xc3\xa9t\xc3\xa9\"]" },
            { "arr[f32,2]", "[0.5, -2]" },
            { "arr[arr,2]", "[[1, 2], [3]]" },
            { "arr[i64,0]", "[]" },
        };
        for (size_t i = 0; i < values.size(); ++i) {
            const vq::MetadataEntry& e = reader.metadata()[i];
            QCOMPARE(e.key, values[i].first);
            QCOMPARE(e.type, rendered[i].first);
            QCOMPARE(e.value, rendered[i].second);
            const vq::GgufReader::RawValue raw = reader.rawValue(i);
            QCOMPARE(raw.type, values[i].second.typeId());
            QVERIFY(vqtest::sameBytes(raw.bytes, values[i].second.bytes()));
        }
        // The exact encoding of a scalar and of a string.
        QCOMPARE(V::u16(0x1234).bytes(), bytesOf({ 0x34, 0x12 }));
        QCOMPARE(V::string("ab").bytes(), bytesOf({ 2, 0, 0, 0, 0, 0, 0, 0, 'a', 'b' }));
        // The header: magic, version 3, no tensors, 16 key/values.
        const std::string bytes = vqtest::readAll(out);
        QCOMPARE(bytes.substr(0, 24), std::string("GGUF\x03\0\0\0\0\0\0\0\0\0\0\0\x10\0\0\0\0\0\0\0", 24));
    }

    // general.alignment sets where every tensor starts; the padding is zeros and each tensor ends padded.
    void alignment_data()
    {
        QTest::addColumn<int>("alignment"); // 0: no key (GGUF's default, 32)
        QTest::newRow("default") << 0;
        QTest::newRow("64") << 64;
        QTest::newRow("1") << 1;
        QTest::newRow("256") << 256;
    }
    void alignment()
    {
        QFETCH(int, alignment);
        const uint64_t a = alignment == 0 ? 32 : uint64_t(alignment);
        vq::Matrix t1(3, 32), t2(1, 3), t3(2, 5);
        for (auto* m : { &t1, &t2, &t3 })
            for (size_t i = 0; i < m->values.size(); ++i)
                m->values[i] = float(i) * 0.5f - float(m->rows);
        QTemporaryDir dir;
        const std::string out = pathIn(dir, "aligned.gguf");
        vq::GgufWriter writer(out);
        writer.add("general.architecture", vq::GgufValue::string("llama"));
        if (alignment)
            writer.add("general.alignment", vq::GgufValue::u32(uint32_t(alignment)));
        QCOMPARE(writer.alignment(), a);
        const auto& f32 = *vq::ggml::findWritableType("f32");
        const auto& f16 = *vq::ggml::findWritableType("F16");
        const auto& q8 = *vq::ggml::findWritableType("q8_0");
        writer.addTensor("a", { 3, 32 }, q8, producerOf(t1)); // 102 bytes
        writer.addTensor("b", { 3 }, f32, producerOf(t2)); // 12 bytes
        writer.addTensor("c", { 2, 5 }, f16, producerOf(t3)); // 20 bytes
        writer.write();

        const vq::GgufReader reader(out);
        QCOMPARE(reader.alignment(), a);
        QCOMPARE(reader.dataOffset() % a, uint64_t(0));
        const auto pad = [a](uint64_t n) { return (n + a - 1) / a * a; };
        const std::string bytes = vqtest::readAll(out);
        QCOMPARE(uint64_t(bytes.size()), reader.dataOffset() + pad(102) + pad(12) + pad(20));
        // Each tensor at its aligned offset, holding its own bytes; everything between is zeros.
        uint64_t at = reader.dataOffset();
        const std::vector<std::pair<std::string, std::vector<uint8_t>>> expected {
            { "a", vqtest::encodedAs(q8, t1.values) },
            { "b", vqtest::encodedAs(f32, t2.values) },
            { "c", vqtest::encodedAs(f16, t3.values) },
        };
        for (const auto& [name, data] : expected) {
            const auto stored = reader.tensorBytes(name);
            QVERIFY(vqtest::sameBytes(stored, data));
            QVERIFY(std::memcmp(bytes.data() + at, data.data(), data.size()) == 0);
            for (uint64_t i = at + data.size(); i < at + pad(data.size()); ++i)
                QCOMPARE(int(bytes[i]), 0);
            at += pad(data.size());
        }
        const vq::Matrix c = reader.readMatrix("c", vq::nullRunControl());
        for (size_t i = 0; i < c.values.size(); ++i)
            QCOMPARE(c.values[i], vq::roundToHalf(t3.values[i]));
    }

    // Producers are called in order, a chunk of whole rows at a time: the output is never held whole.
    // The encoding does not depend on the thread count.
    void streamsInChunks()
    {
        vq::Matrix m(1100, 4096);
        for (size_t i = 0; i < m.values.size(); ++i)
            m.values[i] = std::sin(float(i) * 0.001f);
        QTemporaryDir dir;
        std::vector<std::string> files;
        for (int threads : { 1, 2 }) {
            const std::string out = pathIn(dir, threads == 1 ? "one.gguf" : "two.gguf");
            std::vector<std::pair<uint64_t, size_t>> calls;
            vq::GgufWriter writer(out);
            writer.addTensor(kEmbedding, { m.rows, m.cols }, *vq::ggml::findWritableType("q4_0"),
                [&](uint64_t first, std::span<float> values) {
                    calls.emplace_back(first, values.size());
                    std::memcpy(values.data(), m.values.data() + first, values.size_bytes());
                });
            vq::RunControl control;
            control.threads = threads;
            std::vector<double> fractions;
            control.setProgressCallback([&](std::string_view stage, double f) {
                QCOMPARE(QString::fromUtf8(stage.data(), qsizetype(stage.size())), QStringLiteral("write"));
                fractions.push_back(f);
            });
            writer.write(control);
            QVERIFY(calls.size() >= 2);
            uint64_t next = 0;
            for (const auto& [first, size] : calls) {
                QCOMPARE(first, next);
                QCOMPARE(size % 4096, size_t(0));
                QVERIFY(size <= (size_t(1) << 22));
                next += size;
            }
            QCOMPARE(next, uint64_t(m.values.size()));
            QVERIFY(fractions.size() >= 3);
            QCOMPARE(fractions.back(), 1.0);
            QVERIFY(std::is_sorted(fractions.begin(), fractions.end()));
            files.push_back(vqtest::readAll(out));
        }
        QVERIFY(files[0] == files[1]);
        const vq::GgufReader reader(pathIn(dir, "one.gguf"));
        QVERIFY(vqtest::sameBytes(
            reader.tensorBytes(kEmbedding), vqtest::encodedAs(*vq::ggml::findWritableType("q4_0"), m.values)));
    }

    void badDeclarations()
    {
        const std::string path = "/nonexistent/x.gguf";
        vq::GgufWriter w(path);
        const auto& f32 = *vq::ggml::findWritableType("f32");
        const auto& q8 = *vq::ggml::findWritableType("q8_0");
        const auto produce = [](uint64_t, std::span<float> out) { std::fill(out.begin(), out.end(), 0.0f); };
        w.add("a", vq::GgufValue::u8(1));
        expectError([&] { w.add("a", vq::GgufValue::u8(2)); }, vq::ErrorKind::InvalidArgument, path, "twice");
        expectError([&] { w.add("", vq::GgufValue::u8(2)); }, vq::ErrorKind::InvalidArgument, path, "empty");
        expectError([&] { w.add("general.alignment", vq::GgufValue::u32(48)); }, vq::ErrorKind::InvalidArgument, path,
            "48 is not a power of two");
        expectError([&] { w.add("general.alignment", vq::GgufValue::u64(64)); }, vq::ErrorKind::InvalidArgument, path,
            "must be a u32");
        QCOMPARE(w.alignment(), uint64_t(32));
        w.set("a", vq::GgufValue::u8(3)); // in place
        w.addTensor("t", { 2, 4 }, f32, produce);
        expectError([&] { w.addTensor("t", { 2, 4 }, f32, produce); }, vq::ErrorKind::InvalidArgument, path, "twice");
        expectError(
            [&] {
                w.addTensor(std::string(64, 'n'), { 2, 4 }, f32, produce);
            },
            vq::ErrorKind::InvalidArgument, path, "1 to 63 bytes");
        expectError([&] { w.addTensor("d0", {}, f32, produce); }, vq::ErrorKind::InvalidArgument, path, "0 dimensions");
        expectError(
            [&] {
                w.addTensor("d5", { 1, 1, 1, 1, 1 }, f32, produce);
            },
            vq::ErrorKind::InvalidArgument, path, "1 to 4");
        expectError(
            [&] {
                w.addTensor("neg", { -1, 4 }, f32, produce);
            },
            vq::ErrorKind::InvalidArgument, path, "impossible shape");
        expectError(
            [&] {
                w.addTensor("q", { 2, 100 }, q8, produce);
            },
            vq::ErrorKind::InvalidArgument, path, "rows of 100 values; q8_0 stores whole blocks of 32");
        expectError([&] { w.addTensor("none", { 2, 4 }, f32, {}); }, vq::ErrorKind::InvalidArgument, path, "no data");
        const std::vector<uint8_t> bytes(30);
        expectError(
            [&] {
                w.addRawTensor("raw", { 2, 4 }, f32.id, bytes);
            },
            vq::ErrorKind::InvalidArgument, path, "30 bytes do not hold");
        // A type this build cannot encode is named, with the list of the ones it can.
        expectError([&] { vq::ggml::requireWritableType("q9_K", path); }, vq::ErrorKind::Unsupported, path,
            ("cannot write tensors of type 'q9_K'; writable types are " + vq::ggml::writableTypeList()).c_str());
        QVERIFY(vq::ggml::writableTypeList().starts_with("f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q2_K"));
        QVERIFY(!vq::ggml::findWritableType("q9_K"));
        QCOMPARE(vq::ggml::findWritableType("BF16")->id, uint32_t(30));
        // Raw tensors of types the writer cannot encode (here id 36, which ggml removed) are copied as
        // they are, unchecked: they come from a file that was read.
        w.addRawTensor("k", { 1, 256 }, 36, std::vector<uint8_t>(144));
        // Nothing was written: the folder does not exist.
        expectError([&] { w.write(); }, vq::ErrorKind::WriteFailed, path);
    }

    void cancelAndFailuresLeaveTargetsUntouched()
    {
        QTemporaryDir dir;
        const std::string out = pathIn(dir, "keep.gguf");
        vqtest::writeBytes(out, "old bytes");
        vq::Matrix m(1100, 4096); // two chunks
        vq::GgufWriter writer(out);
        writer.addTensor(kEmbedding, { m.rows, m.cols }, *vq::ggml::findWritableType("f32"), producerOf(m));
        vq::RunControl control;
        int reports = 0;
        vqtest::cancelAtReport(control, 2, reports);
        QVERIFY_THROWS_EXCEPTION(vq::Cancelled, writer.write(control));
        QCOMPARE(reports, 2); // stopped at the chunk that saw the cancel
        QCOMPARE(vqtest::readAll(out), std::string("old bytes"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), qsizetype(1));
        expectError([&] { writer.write(); }, vq::ErrorKind::InvalidArgument, out, "already written");

        // A producer that fails midway: the error comes through, the target stays.
        vq::GgufWriter failing(out);
        failing.addTensor(
            kEmbedding, { m.rows, m.cols }, *vq::ggml::findWritableType("f16"), [](uint64_t first, std::span<float>) {
                if (first > 0)
                    throw vq::Error(vq::ErrorKind::Unreadable, "source.bin", "read error");
            });
        expectError([&] { failing.write(); }, vq::ErrorKind::Unreadable, "source.bin", "read error");
        QCOMPARE(vqtest::readAll(out), std::string("old bytes"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), qsizetype(1));
    }
};

QTEST_GUILESS_MAIN(TestGgufWriter)
#include "tst_ggufwriter.moc"
