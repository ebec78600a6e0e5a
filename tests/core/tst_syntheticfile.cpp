// writeSyntheticTable: the generated table written as .npy or .safetensors reads back through the
// loader as exactly the generator's values (rounded to the stored precision), and bad requests are
// refused before anything is allocated or written.
#include "common/error.h"
#include "common/halffloat.h"
#include "io/embeddingloader.h"
#include "io/safetensorsreader.h"
#include "synth/syntheticfile.h"

#include <QTemporaryDir>
#include <QTest>
#include <nlohmann/json.hpp>

#include <filesystem>

namespace {

vq::Matrix generated(const vq::SyntheticSpec& spec)
{
    return vq::generateSyntheticTable(spec, vq::nullRunControl());
}

float rounded(float v, vq::DType dtype)
{
    switch (dtype) {
    case vq::DType::F16:
        return vq::roundToHalf(v);
    case vq::DType::BF16:
        return vq::bf16ToFloat(vq::floatToBf16(v));
    default:
        return v;
    }
}

} // namespace

class TestSyntheticFile : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private slots:
    void roundTrip_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("dtype");
        QTest::newRow("npy f32") << QStringLiteral("t.npy") << int(vq::DType::F32);
        QTest::newRow("npy f16") << QStringLiteral("t16.npy") << int(vq::DType::F16);
        QTest::newRow("safetensors bf16") << QStringLiteral("t.safetensors") << int(vq::DType::BF16);
        QTest::newRow("safetensors f32") << QStringLiteral("t32.safetensors") << int(vq::DType::F32);
    }
    void roundTrip()
    {
        QFETCH(QString, name);
        QFETCH(int, dtype);
        const std::string path = m_dir.filePath(name).toStdString();
        const vq::SyntheticSpec spec = vq::syntheticSpecFor(300, 48, 7);
        std::vector<std::string> stages;
        vq::RunControl control;
        control.setProgressCallback([&](std::string_view stage, double) {
            if (stages.empty() || stages.back() != stage)
                stages.emplace_back(stage);
        });
        vq::writeSyntheticTable(path, spec, vq::DType(dtype), control);
        QCOMPARE(stages, (std::vector<std::string> { "generate", "export" }));

        const vq::EmbeddingTable table = vq::loadEmbedding(path, {}, vq::nullRunControl());
        QCOMPARE(table.rows(), int64_t(300));
        QCOMPARE(table.dim(), int64_t(48));
        const vq::Matrix expected = generated(spec);
        for (size_t i = 0; i < expected.values.size(); ++i)
            QCOMPARE(table.values.values[i], rounded(expected.values[i], vq::DType(dtype)));
        if (name.endsWith(QStringLiteral(".safetensors"))) {
            QCOMPARE(table.source.tensor, std::string("model.embed_tokens.weight"));
            const vq::SafetensorsReader reader(path);
            std::string text;
            for (const vq::MetadataEntry& m : reader.metadata())
                if (m.key == "vqscope.synthetic")
                    text = m.value;
            const auto meta = nlohmann::json::parse(text);
            QCOMPARE(meta.at("rows").get<int>(), 300);
            QCOMPARE(meta.at("seed").get<int>(), 7);
        }
    }

    void narrowTablesGetFittedStructure()
    {
        // The library's defaults ask for 64 shared directions and 6 outlier columns; a 16-column table
        // gets at most 16 and 2, so it can be generated at all.
        const vq::SyntheticSpec spec = vq::syntheticSpecFor(100, 16, 1);
        QCOMPARE(spec.rank, 16);
        QCOMPARE(spec.outlierDims, 2);
        QCOMPARE(vq::syntheticSpecFor(100, 4096, 1).rank, vq::SyntheticSpec().rank);
        QCOMPARE(generated(spec).values.size(), size_t(1600));
    }

    void refusals_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<qint64>("rows");
        QTest::addColumn<qint64>("dim");
        QTest::addColumn<int>("dtype");
        QTest::addColumn<QString>("needle");
        QTest::newRow("extension") << QStringLiteral("t.gguf") << qint64(10) << qint64(8) << int(vq::DType::F32)
                                   << QStringLiteral(".npy or .safetensors");
        QTest::newRow("npy bf16") << QStringLiteral("t.npy") << qint64(10) << qint64(8) << int(vq::DType::BF16)
                                  << QStringLiteral(".npy holds F32 or F16");
        QTest::newRow("absurd size") << QStringLiteral("t.npy") << qint64(1) << qint64(1) << int(vq::DType::F32)
                                     << QStringLiteral("at most 1073741824");
        QTest::newRow("no rows") << QStringLiteral("t.npy") << qint64(0) << qint64(8) << int(vq::DType::F32)
                                 << QStringLiteral("at least 1");
    }
    void refusals()
    {
        QFETCH(QString, name);
        QFETCH(qint64, rows);
        QFETCH(qint64, dim);
        QFETCH(int, dtype);
        QFETCH(QString, needle);
        vq::SyntheticSpec spec = vq::syntheticSpecFor(rows, dim, 1);
        if (QTest::currentDataTag() == QByteArray("absurd size")) {
            spec.rows = int64_t(1) << 40; // 2^40 x 2^20 values: refused before any allocation
            spec.dim = int64_t(1) << 20;
        }
        const std::string path = m_dir.filePath(QStringLiteral("refused-") + name).toStdString();
        try {
            vq::writeSyntheticTable(path, spec, vq::DType(dtype), vq::nullRunControl());
            QFAIL("expected a refusal");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::InvalidArgument);
            QCOMPARE(e.path(), path);
            QVERIFY2(std::string(e.what()).find(needle.toStdString()) != std::string::npos, e.what());
        }
        QVERIFY(!std::filesystem::exists(path));
    }

    void cancelLeavesNoFile()
    {
        const std::string path = m_dir.filePath(QStringLiteral("cancelled.npy")).toStdString();
        vq::RunControl control;
        control.cancel();
        QVERIFY_THROWS_EXCEPTION(
            vq::Cancelled, vq::writeSyntheticTable(path, vq::syntheticSpecFor(5000, 64, 1), vq::DType::F32, control));
        QVERIFY(!std::filesystem::exists(path));
    }
};

QTEST_GUILESS_MAIN(TestSyntheticFile)
#include "tst_syntheticfile.moc"
