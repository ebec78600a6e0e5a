// Patched GGUF checkpoints (writePatchedGguf, and writePatchedCheckpoint on a GGUF source): outside the
// replaced tensor every byte of the source is kept (key/value section, other tensors), the replaced
// tensor holds the decoded table in the chosen type, vqscope.embedding records the run, the alignment
// of the source is kept, a tied head is reported, and bad requests leave an existing target untouched.
#include "common/error.h"
#include "export/dequantizedexport.h"
#include "export/patchedgguf.h"
#include "exportchecks.h"
#include "ggufchecks.h"
#include "io/embeddingloader.h"
#include "quant/registry.h"
#include "quantchecks.h"
#include "readerchecks.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

namespace {

using vqtest::expectError;

const std::string kEmbedding = "token_embd.weight";
constexpr size_t kHeaderBytes = 24; // magic, version, tensor count, key/value count

// RTN int4 in groups of 4 of the reference table's first cols columns.
vq::QuantizedTable quantized(int64_t cols)
{
    const vq::QuantSpec spec { "rtn", { { "bits", 4 }, { "group", 4 }, { "mode", "sym" } } };
    return vqtest::fitWith(vq::quantizer("rtn"), vqtest::referenceTable(cols), spec, 1, 0);
}

vq::PatchOptions optionsFor(const std::string& type, const std::string& source)
{
    vq::PatchOptions o;
    o.tensorName = kEmbedding;
    o.ggmlType = type;
    o.tableSource.file = source;
    o.tableSource.tensor = kEmbedding;
    o.tableSource.checksum = "xxh64:0123456789abcdef";
    return o;
}

// Where the key/value section of r's file ends (it starts right after the 24-byte header).
size_t keyValuesEnd(const vq::GgufReader& r)
{
    const uint8_t* base = r.rawValue(0).bytes.data() - (kHeaderBytes + 8 + r.metadata()[0].key.size() + 4);
    const auto last = r.rawValue(r.metadata().size() - 1).bytes;
    return size_t(last.data() + last.size() - base);
}

uint64_t u64At(const std::string& bytes, size_t at)
{
    uint64_t v = 0;
    std::memcpy(&v, bytes.data() + at, 8);
    return v;
}

// patched is source with only `replaced` changed: the same header fields and key/value bytes (plus
// vqscope.embedding at the end), the same tensors in the same order, every other tensor's bytes equal,
// and `replaced` holding the decoded table encoded as type.
void compareGguf(const std::string& source, const std::string& patched, const std::string& replaced,
    const vq::ggml::WritableType& type, const vq::QuantizedTable& table)
{
    const vq::GgufReader a(source);
    const vq::GgufReader b(patched);
    const std::string aBytes = vqtest::readAll(source);
    const std::string bBytes = vqtest::readAll(patched);
    QCOMPARE(bBytes.substr(0, 16), aBytes.substr(0, 16)); // magic, version 3, tensor count
    QCOMPARE(u64At(bBytes, 16), u64At(aBytes, 16) + 1);
    const size_t end = keyValuesEnd(a);
    QVERIFY(bBytes.compare(kHeaderBytes, end - kHeaderBytes, aBytes, kHeaderBytes, end - kHeaderBytes) == 0);
    QCOMPARE(b.metadata().size(), a.metadata().size() + 1);
    QCOMPARE(b.metadata().back().key, std::string(vq::kEmbeddingKey));
    QCOMPARE(b.alignment(), a.alignment());

    QCOMPARE(b.tensors().size(), a.tensors().size());
    for (size_t i = 0; i < a.tensors().size(); ++i) {
        const vq::TensorInfo& t = a.tensors()[i];
        QCOMPARE(b.tensors()[i].name, t.name);
        QCOMPARE(b.tensors()[i].shape, t.shape);
        if (t.name == replaced) {
            QCOMPARE(b.ggmlTypeId(t.name), type.id);
            QVERIFY(vqtest::sameBytes(b.tensorBytes(t.name), vqtest::encodedAs(type, table.decodeAll().values)));
            QVERIFY(!vqtest::sameBytes(b.tensorBytes(t.name), a.tensorBytes(t.name))); // really replaced
        } else {
            QCOMPARE(b.ggmlTypeId(t.name), a.ggmlTypeId(t.name));
            QVERIFY2(vqtest::sameBytes(b.tensorBytes(t.name), a.tensorBytes(t.name)), t.name.c_str());
        }
    }
}

nlohmann::json embeddingRecordOf(const std::string& file)
{
    const vq::GgufReader r(file);
    const vq::MetadataEntry* e = vqtest::findKey(r, vq::kEmbeddingKey);
    return e ? nlohmann::json::parse(e->value) : nlohmann::json();
}

QStringList entries(const QString& folder)
{
    return QDir(folder).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
}

} // namespace

class TestPatchedGguf : public QObject {
    Q_OBJECT
private slots:
    void replacesOnlyTheEmbedding_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("type");
        QTest::addColumn<int>("cols");
        QTest::newRow("f16 source, f16") << "table-f16.gguf"
                                         << "f16" << 100;
        QTest::newRow("f32 source, bf16") << "table-f32.gguf"
                                          << "bf16" << 100;
        QTest::newRow("bf16 source, f32") << "table-bf16.gguf"
                                          << "f32" << 100;
        QTest::newRow("q8_0 source, q4_0") << "table-q8_0.gguf"
                                           << "q4_0" << 96;
        QTest::newRow("q4_0 source, q8_0") << "table-q4_0.gguf"
                                           << "q8_0" << 96;
    }
    void replacesOnlyTheEmbedding()
    {
        QFETCH(QString, file);
        QFETCH(QString, type);
        QFETCH(int, cols);
        const std::string source = vqtest::dataPath(file.toStdString());
        const vq::QuantizedTable table = quantized(cols);
        QTemporaryDir dir;
        const std::string out = dir.filePath(QStringLiteral("patched.gguf")).toStdString();
        std::vector<double> fractions;
        vq::RunControl control;
        vqtest::recordExportProgress(control, fractions);
        // Through the general entry point: a GGUF source is recognised by its content.
        const vq::PatchResult r
            = vq::writePatchedCheckpoint(source, out, table, optionsFor(type.toStdString(), source), control);
        QCOMPARE(r.output, out);
        QVERIFY(r.tiedHead); // the fixtures have no output.weight
        QVERIFY(fractions.size() >= 2);
        QCOMPARE(fractions.front(), 0.0);
        QCOMPARE(fractions.back(), 1.0);
        QVERIFY(std::is_sorted(fractions.begin(), fractions.end()));
        compareGguf(source, out, kEmbedding, vq::ggml::requireWritableType(type.toStdString(), out), table);
        if (QTest::currentTestFailed())
            return;

        const nlohmann::json record = embeddingRecordOf(out);
        QCOMPARE(record.value("method", ""), std::string("rtn"));
        QCOMPARE(record.value("storedAs", ""), type.toStdString());
        QCOMPARE(record.value("bitsPerParam", 0.0), table.bits().bitsPerParam());
        QCOMPARE(record.value("sourceChecksum", ""), std::string("xxh64:0123456789abcdef"));
        QCOMPARE(record.value("sourceFile", ""), file.toStdString());
        QCOMPARE(record["spec"]["group"].get<int>(), 4);
        QVERIFY(!record.value("appVersion", "").empty());

        // The loader reads it as it reads the fixtures: tokens kept, general.file_type left alone.
        const vq::EmbeddingTable loaded = vq::loadEmbedding(out, {}, vq::nullRunControl());
        QCOMPARE(loaded.tokens.size(), size_t(512));
        QCOMPARE(loaded.tokens[1], std::string(","));
        const vq::GgufReader original(source);
        const vq::GgufReader patched(out);
        QCOMPARE(vqtest::findKey(patched, "general.file_type")->value,
            vqtest::findKey(original, "general.file_type")->value);
    }

    // A source with a non-default alignment and an output head: the alignment is kept (every tensor
    // starts on it), and the head is reported as separate. Patching a patched file replaces the record.
    void keepsAlignmentAndRecordsOnce_data()
    {
        QTest::addColumn<int>("alignment");
        QTest::newRow("64") << 64;
        QTest::newRow("8") << 8;
    }
    void keepsAlignmentAndRecordsOnce()
    {
        QFETCH(int, alignment);
        QTemporaryDir dir;
        const std::string source = dir.filePath(QStringLiteral("aligned.gguf")).toStdString();
        const vq::GgufReader fixture(vqtest::dataPath("table-f16.gguf"));
        vq::GgufWriter w(source);
        vqtest::copyGguf(fixture, w);
        w.add("general.alignment", vq::GgufValue::u32(uint32_t(alignment)));
        const std::vector<uint8_t> head(size_t(3 * 100 * 2), 0x3c); // f16 1.0-ish, 3 x 100
        w.addRawTensor("output.weight", { 3, 100 }, 1, head);
        w.write();

        const vq::QuantizedTable table = quantized(100);
        const std::string once = dir.filePath(QStringLiteral("once.gguf")).toStdString();
        const vq::PatchResult r = vq::writePatchedGguf(source, once, table, optionsFor("f16", source));
        QVERIFY(!r.tiedHead);
        compareGguf(source, once, kEmbedding, *vq::ggml::findWritableType("f16"), table);
        if (QTest::currentTestFailed())
            return;
        const vq::GgufReader a(once);
        QCOMPARE(a.alignment(), uint64_t(alignment));
        QCOMPARE(a.dataOffset() % uint64_t(alignment), uint64_t(0));
        QCOMPARE(uint64_t(vqtest::readAll(once).size()) % uint64_t(alignment), uint64_t(0));

        // Again, on the patched file: the record is replaced in place, not added twice.
        const std::string twice = dir.filePath(QStringLiteral("twice.gguf")).toStdString();
        vq::writePatchedGguf(once, twice, table, optionsFor("bf16", once));
        const vq::GgufReader b(twice);
        QCOMPARE(b.metadata().size(), a.metadata().size());
        QCOMPARE(embeddingRecordOf(twice).value("storedAs", ""), std::string("bf16"));
        QCOMPARE(b.tensors().size(), size_t(3));
        QVERIFY(vqtest::sameBytes(b.tensorBytes("output.weight"), head));
    }

    void badRequestsLeaveTheTargetUntouched()
    {
        const std::string f16 = vqtest::dataPath("table-f16.gguf");
        const vq::QuantizedTable table = quantized(100);
        QTemporaryDir dir;
        const std::string out = dir.filePath(QStringLiteral("keep.gguf")).toStdString();
        vqtest::writeBytes(out, "old bytes");

        vq::PatchOptions wrongName = optionsFor("f16", f16);
        wrongName.tensorName = "no.such.tensor";
        expectError([&] { vq::writePatchedGguf(f16, out, table, wrongName); }, vq::ErrorKind::NotFound, f16,
            "no tensor named \"no.such.tensor\"");
        expectError([&] { vq::writePatchedGguf(f16, out, quantized(96), optionsFor("f16", f16)); },
            vq::ErrorKind::InvalidArgument, f16, "is not 512 x 96 like the quantized table");
        expectError([&] { vq::writePatchedGguf(f16, out, table, optionsFor("q8_0", f16)); },
            vq::ErrorKind::InvalidArgument, out, "rows of 100 values; q8_0 stores whole blocks of 32");
        expectError([&] { vq::writePatchedGguf(f16, out, table, optionsFor("q9_K", f16)); }, vq::ErrorKind::Unsupported,
            out, "writable types are f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0");
        expectError([&] { vq::writePatchedGguf(f16, f16, table, optionsFor("f16", f16)); },
            vq::ErrorKind::InvalidArgument, f16, "the output file is the source file");
        const std::string truncated = dir.filePath(QStringLiteral("cut.gguf")).toStdString();
        vqtest::writeBytes(truncated, vqtest::readAll(f16).substr(0, 5000));
        expectError([&] { vq::writePatchedGguf(truncated, out, table, optionsFor("f16", truncated)); },
            vq::ErrorKind::Truncated, truncated);

        vq::RunControl control;
        int reports = 0;
        vqtest::cancelAtReport(control, 2, reports);
        QVERIFY_THROWS_EXCEPTION(vq::Cancelled, vq::writePatchedGguf(f16, out, table, optionsFor("f16", f16), control));
        QCOMPARE(vqtest::readAll(out), std::string("old bytes"));
        QCOMPARE(entries(dir.path()), QStringList({ QStringLiteral("cut.gguf"), QStringLiteral("keep.gguf") }));
    }
};

QTEST_GUILESS_MAIN(TestPatchedGguf)
#include "tst_patchedgguf.moc"
