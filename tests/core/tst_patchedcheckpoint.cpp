#include "common/error.h"
#include "common/halffloat.h"
#include "export/patchedcheckpoint.h"
#include "exportchecks.h"
#include "io/safetensorsreader.h"
#include "io/safetensorswriter.h"
#include "io/shardedsafetensorsreader.h"
#include "quant/registry.h"
#include "quantchecks.h"
#include "safetensorsfixture.h"
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <functional>
#include <map>

namespace {

using vqtest::expectError;

const std::string kEmbedding = "model.embed_tokens.weight";

// RTN int4 (groups of 20) of a 512 x 100 tensor of a fixture.
vq::QuantizedTable quantize(const std::string& file, const std::string& tensor)
{
    const vq::SafetensorsReader reader(file);
    const vq::Matrix m = reader.readMatrix(tensor, vq::nullRunControl());
    const vq::QuantSpec spec { "rtn", { { "bits", 4 }, { "group", 20 }, { "mode", "sym" } } };
    return vqtest::fitWith(vq::quantizer("rtn"), m, spec, 1, 0);
}

const vq::QuantizedTable& bf16Table()
{
    static const vq::QuantizedTable t = quantize(vqtest::dataPath("table-bf16.safetensors"), kEmbedding);
    return t;
}

std::vector<uint8_t> encoded(vq::DType dtype, const vq::Matrix& m)
{
    std::vector<uint8_t> out;
    for (const float f : m.values) {
        if (dtype == vq::DType::F32) {
            uint8_t b[4];
            std::memcpy(b, &f, 4);
            out.insert(out.end(), b, b + 4);
            continue;
        }
        const uint16_t h = dtype == vq::DType::F16 ? vq::floatToHalf(f) : vq::floatToBf16(f);
        out.push_back(static_cast<uint8_t>(h & 0xff));
        out.push_back(static_cast<uint8_t>(h >> 8));
    }
    return out;
}

std::map<std::string, std::string> metadataOf(const vq::SafetensorsReader& r)
{
    std::map<std::string, std::string> m;
    for (const auto& e : r.metadata())
        m[e.key] = e.value;
    return m;
}

// patched holds the tensors of original with the same names, dtypes, shapes and bytes, except `replaced`,
// whose bytes are the decoded table at the original dtype; and the same __metadata__.
void compareSafetensors(const std::string& original, const std::string& patched, const std::string& replaced,
    const vq::QuantizedTable& table)
{
    const vq::SafetensorsReader a(original);
    const vq::SafetensorsReader b(patched);
    QCOMPARE(b.tensors().size(), a.tensors().size());
    QVERIFY(metadataOf(a) == metadataOf(b));
    for (const vq::TensorInfo& t : a.tensors()) {
        const auto it = std::find_if(
            b.tensors().begin(), b.tensors().end(), [&](const vq::TensorInfo& u) { return u.name == t.name; });
        QVERIFY2(it != b.tensors().end(), t.name.c_str());
        QCOMPARE(it->dtypeName, t.dtypeName);
        QCOMPARE(it->shape, t.shape);
        const auto bytes = b.rawBytes(t.name);
        if (t.name == replaced) {
            const std::vector<uint8_t> expected = encoded(t.dtype, table.decodeAll());
            QVERIFY2(std::equal(bytes.begin(), bytes.end(), expected.begin(), expected.end()), t.name.c_str());
            const auto old = a.rawBytes(t.name);
            QVERIFY(!std::equal(bytes.begin(), bytes.end(), old.begin(), old.end())); // really replaced
        } else {
            const auto old = a.rawBytes(t.name);
            QVERIFY2(std::equal(bytes.begin(), bytes.end(), old.begin(), old.end()), t.name.c_str());
        }
    }
}

// A copy of tests/data/hf-sharded whose embedding shard also holds lm_head.weight (F16) and more metadata.
std::string shardedWithNeighbour(const QString& folder)
{
    const QString src = QString::fromStdString(vqtest::dataPath("hf-sharded"));
    QDir().mkpath(folder);
    for (const QString& name : QDir(src).entryList(QDir::Files))
        QFile::copy(src + QLatin1Char('/') + name, folder + QLatin1Char('/') + name);
    const std::string shard = (folder + QStringLiteral("/model-00002-of-00002.safetensors")).toStdString();
    const vq::SafetensorsReader original(vqtest::dataPath("hf-sharded/model-00002-of-00002.safetensors"));
    const vq::SafetensorsReader neighbour(vqtest::dataPath("table-bf16.safetensors"));
    vq::SafetensorsWriter w(shard);
    w.addMetadata("format", "pt");
    w.addMetadata("note", "a second tensor beside the embedding");
    w.addRawTensor(kEmbedding, "F32", { 512, 100 }, original.rawBytes(kEmbedding));
    w.addRawTensor("lm_head.weight", "F16", { 512, 100 }, neighbour.rawBytes("lm_head.weight"));
    w.write();
    const QByteArray index
        = R"({"metadata": {"total_size": 307600}, "weight_map": {"model.norm.weight": )"
          R"("model-00001-of-00002.safetensors", "model.embed_tokens.weight": )"
          R"("model-00002-of-00002.safetensors", "lm_head.weight": "model-00002-of-00002.safetensors"}})";
    vqtest::writeAll((folder + QStringLiteral("/model.safetensors.index.json")).toStdString(), index);
    return folder.toStdString();
}

QStringList entries(const QString& folder)
{
    return QDir(folder).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
}

} // namespace

class TestPatchedCheckpoint : public QObject {
    Q_OBJECT
private slots:
    void singleFile_data()
    {
        QTest::addColumn<QString>("tensor");
        QTest::newRow("BF16 embedding") << QString::fromStdString(kEmbedding);
        QTest::newRow("F16 head") << QStringLiteral("lm_head.weight");
    }
    void singleFile()
    {
        QFETCH(QString, tensor);
        const std::string source = vqtest::dataPath("table-bf16.safetensors");
        const vq::QuantizedTable table = quantize(source, tensor.toStdString());
        QTemporaryDir dir;
        const std::string out = dir.filePath(QStringLiteral("patched.safetensors")).toStdString();
        std::vector<double> fractions;
        vq::RunControl control;
        vqtest::recordExportProgress(control, fractions);
        const vq::PatchResult r = vq::writePatchedCheckpoint(source, out, table, { tensor.toStdString() }, control);
        QCOMPARE(r.output, out);
        QCOMPARE(r.rewritten, out);
        compareSafetensors(source, out, tensor.toStdString(), table);
        QCOMPARE(fractions.back(), 1.0);
        QVERIFY(std::is_sorted(fractions.begin(), fractions.end()));
        QCOMPARE(entries(dir.path()), QStringList { QStringLiteral("patched.safetensors") });
    }

    void shardedCheckpoint_data()
    {
        QTest::addColumn<bool>("neighbour");
        QTest::addColumn<bool>("viaIndex");
        QTest::newRow("fixture, by index") << false << true;
        QTest::newRow("fixture, by folder") << false << false;
        QTest::newRow("embedding shard with another tensor") << true << true;
    }
    void shardedCheckpoint()
    {
        QFETCH(bool, neighbour);
        QFETCH(bool, viaIndex);
        QTemporaryDir dir;
        const std::string folder
            = neighbour ? shardedWithNeighbour(dir.filePath(QStringLiteral("source"))) : vqtest::dataPath("hf-sharded");
        const std::string shard2 = folder + "/model-00002-of-00002.safetensors";
        const vq::QuantizedTable table = quantize(shard2, kEmbedding);
        const std::string out = dir.filePath(QStringLiteral("patched")).toStdString();
        const std::string source = viaIndex ? folder + "/model.safetensors.index.json" : folder;
        const vq::PatchResult r = vq::writePatchedCheckpoint(source, out, table, { kEmbedding });

        QCOMPARE(r.rewritten, out + "/model-00002-of-00002.safetensors");
        QCOMPARE(r.copied.size(), size_t(4));
        const QStringList names = entries(QString::fromStdString(folder));
        QCOMPARE(entries(QString::fromStdString(out)), names);
        for (const QString& name : names) {
            if (name == QStringLiteral("model-00002-of-00002.safetensors"))
                continue;
            QCOMPARE(
                vqtest::readAll(out + "/" + name.toStdString()), vqtest::readAll(folder + "/" + name.toStdString()));
        }
        compareSafetensors(shard2, out + "/model-00002-of-00002.safetensors", kEmbedding, table);

        // The copy opens as a checkpoint again and the embedding is the decoded table.
        const vq::ShardedSafetensorsReader patched(out + "/model.safetensors.index.json");
        const vq::Matrix e = patched.readMatrix(kEmbedding, vq::nullRunControl());
        const vq::Matrix d = table.decodeAll();
        QVERIFY(std::memcmp(e.values.data(), d.values.data(), d.values.size() * sizeof(float)) == 0);
        QCOMPARE(entries(dir.path()).size(), qsizetype(neighbour ? 2 : 1)); // no temporary folder left
    }

    void intoAnEmptyFolder()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("empty"));
        QVERIFY(QDir().mkpath(out));
        const std::string source = vqtest::dataPath("hf-sharded");
        vq::writePatchedCheckpoint(source, out.toStdString(),
            quantize(source + "/model-00002-of-00002.safetensors", kEmbedding), { kEmbedding });
        QCOMPARE(entries(out).size(), qsizetype(5));
    }

    void refusals()
    {
        QTemporaryDir dir;
        const std::string single = vqtest::dataPath("table-bf16.safetensors");
        const std::string sharded = vqtest::dataPath("hf-sharded");
        const std::string outFile = dir.filePath(QStringLiteral("existing.safetensors")).toStdString();
        QVERIFY(vqtest::writeAll(outFile, "existing"));

        expectError([&] { vq::writePatchedCheckpoint(single, outFile, bf16Table(), { "no.such.tensor" }); },
            vq::ErrorKind::NotFound, single, "no.such.tensor");
        expectError([&] { vq::writePatchedCheckpoint(single, outFile, bf16Table(), { "model.norm.weight" }); },
            vq::ErrorKind::InvalidArgument, single, "is not 512 x 100");
        vq::QuantizedTable smaller = quantize(single, kEmbedding);
        smaller.rows = 500;
        expectError([&] { vq::writePatchedCheckpoint(single, outFile, smaller, { kEmbedding }); },
            vq::ErrorKind::InvalidArgument, single, "is not 500 x 100");
        expectError([&] { vq::writePatchedCheckpoint(single, single, bf16Table(), { kEmbedding }); },
            vq::ErrorKind::InvalidArgument, single, "is the source");
        QCOMPARE(vqtest::readAll(outFile), QByteArray("existing"));

        const std::string missing = dir.filePath(QStringLiteral("no/folder/x.safetensors")).toStdString();
        expectError([&] { vq::writePatchedCheckpoint(single, missing, bf16Table(), { kEmbedding }); },
            vq::ErrorKind::WriteFailed, missing);
        const std::string missingFolder = dir.filePath(QStringLiteral("no/folder/out")).toStdString();
        expectError([&] { vq::writePatchedCheckpoint(sharded, missingFolder, bf16Table(), { kEmbedding }); },
            vq::ErrorKind::WriteFailed, missingFolder);

        // A non-empty output folder is refused, not replaced; so is a file where the folder should go.
        const QString occupied = dir.filePath(QStringLiteral("occupied"));
        QVERIFY(QDir().mkpath(occupied));
        QVERIFY(vqtest::writeAll((occupied + QStringLiteral("/mine.txt")).toStdString(), "mine"));
        expectError([&] { vq::writePatchedCheckpoint(sharded, occupied.toStdString(), bf16Table(), { kEmbedding }); },
            vq::ErrorKind::WriteFailed, occupied.toStdString(), "not empty");
        QCOMPARE(entries(occupied), QStringList { QStringLiteral("mine.txt") });
        expectError([&] { vq::writePatchedCheckpoint(sharded, outFile, bf16Table(), { kEmbedding }); },
            vq::ErrorKind::WriteFailed, outFile, "not a folder");
        expectError([&] { vq::writePatchedCheckpoint(sharded, sharded, bf16Table(), { kEmbedding }); },
            vq::ErrorKind::InvalidArgument, sharded, "is the source folder");
        QCOMPARE(vqtest::readAll(outFile), QByteArray("existing"));

        const std::string nowhere = dir.filePath(QStringLiteral("nothing-here")).toStdString();
        expectError([&] { vq::writePatchedCheckpoint(nowhere, outFile, bf16Table(), { kEmbedding }); },
            vq::ErrorKind::NotFound, nowhere);
        QCOMPARE(
            entries(dir.path()), QStringList({ QStringLiteral("existing.safetensors"), QStringLiteral("occupied") }));
    }

    void cancelLeavesNothing_data()
    {
        QTest::addColumn<bool>("folder");
        QTest::addColumn<bool>("existing");
        QTest::newRow("file, new") << false << false;
        QTest::newRow("file, existing") << false << true;
        QTest::newRow("folder, new") << true << false;
        QTest::newRow("folder, existing empty") << true << true;
    }
    void cancelLeavesNothing()
    {
        QFETCH(bool, folder);
        QFETCH(bool, existing);
        QTemporaryDir dir;
        const std::string out = dir.filePath(QStringLiteral("out")).toStdString();
        if (existing && folder)
            QVERIFY(QDir().mkpath(QString::fromStdString(out)));
        if (existing && !folder)
            QVERIFY(vqtest::writeAll(out, "keep"));
        const std::string source = folder ? vqtest::dataPath("hf-sharded") : vqtest::dataPath("table-bf16.safetensors");
        const vq::QuantizedTable table = folder
            ? quantize(vqtest::dataPath("hf-sharded/model-00002-of-00002.safetensors"), kEmbedding)
            : bf16Table();
        vq::RunControl control;
        int reports = 0;
        vqtest::cancelAtReport(control, 2, reports);
        QVERIFY_THROWS_EXCEPTION(
            vq::Cancelled, vq::writePatchedCheckpoint(source, out, table, { kEmbedding }, control));
        QCOMPARE(entries(dir.path()), existing ? QStringList { QStringLiteral("out") } : QStringList {});
        if (existing && folder)
            QVERIFY(entries(QString::fromStdString(out)).isEmpty());
        if (existing && !folder)
            QCOMPARE(vqtest::readAll(out), QByteArray("keep"));
    }
};

QTEST_GUILESS_MAIN(TestPatchedCheckpoint)
#include "tst_patchedcheckpoint.moc"
