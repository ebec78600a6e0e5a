#include "common/error.h"
#include "common/halffloat.h"
#include "export/dequantizedexport.h"
#include "exportchecks.h"
#include "io/ggufreader.h"
#include "io/npyreader.h"
#include "io/safetensorsreader.h"
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
#include <nlohmann/json.hpp>

Q_DECLARE_METATYPE(vq::DType)

namespace {

using vqtest::expectError;

// RTN int4 in groups of 25 on the first 1000 GloVe rows.
const vq::QuantizedTable& table()
{
    static const vq::QuantizedTable t = [] {
        const vq::Matrix m = vqtest::readNpySlice(vqtest::sharedPath("glove-20k.npy"), 1000);
        const vq::QuantSpec spec { "rtn", { { "bits", 4 }, { "group", 25 }, { "mode", "sym" } } };
        return vqtest::fitWith(vq::quantizer("rtn"), m, spec, 1, 0);
    }();
    return t;
}

const vq::Matrix& decoded()
{
    static const vq::Matrix m = table().decodeAll();
    return m;
}

float storedAs(vq::DType dtype, float f)
{
    if (dtype == vq::DType::F16)
        return vq::roundToHalf(f);
    if (dtype == vq::DType::BF16)
        return vq::bf16ToFloat(vq::floatToBf16(f));
    return f;
}

// "" when m holds exactly the decoded table rounded to dtype, else the first difference.
std::string differenceFromDecoded(const vq::Matrix& m, vq::DType dtype)
{
    if (m.rows != decoded().rows || m.cols != decoded().cols)
        return "shape " + std::to_string(m.rows) + " x " + std::to_string(m.cols);
    for (size_t i = 0; i < m.values.size(); ++i) {
        const float expected = storedAs(dtype, decoded().values[i]);
        if (std::memcmp(&expected, &m.values[i], sizeof(float)) != 0)
            return "element " + std::to_string(i) + ": " + std::to_string(m.values[i]) + " instead of "
                + std::to_string(expected);
    }
    return {};
}

vq::TableSource gloveSource()
{
    return { "/data/glove-20k.npy", "NumPy", "glove-20k", "<f4", { 20000, 100 }, "xxh64:1", "" };
}

} // namespace

class TestDequantizedExport : public QObject {
    Q_OBJECT
private slots:
    void npyHoldsTheDecodedTable_data()
    {
        QTest::addColumn<vq::DType>("dtype");
        QTest::addColumn<int>("blockRows");
        QTest::newRow("f32, blocks of 100") << vq::DType::F32 << 100;
        QTest::newRow("f32, blocks of 7") << vq::DType::F32 << 7;
        QTest::newRow("f32, one block") << vq::DType::F32 << 5000;
        QTest::newRow("f16, blocks of 64") << vq::DType::F16 << 64;
    }
    void npyHoldsTheDecodedTable()
    {
        QFETCH(vq::DType, dtype);
        QFETCH(int, blockRows);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("decoded.npy")).toStdString();
        vq::DequantizedExportOptions options;
        options.dtype = dtype;
        options.blockRows = blockRows;
        std::vector<double> fractions;
        vq::RunControl control;
        vqtest::recordExportProgress(control, fractions);
        vq::exportDequantizedNpy(path, table(), options, control);

        const QByteArray bytes = vqtest::readAll(path);
        const QByteArray expectedHeader = QByteArray("{'descr': '") + (dtype == vq::DType::F16 ? "<f2" : "<f4")
            + "', 'fortran_order': False, 'shape': (1000, 100), }";
        QCOMPARE(bytes.mid(10, expectedHeader.size()), expectedHeader);
        const int dataStart = 10 + (static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8));
        QCOMPARE(dataStart % 64, 0);
        QCOMPARE(bytes.size(), dataStart + 100000 * (dtype == vq::DType::F16 ? 2 : 4));
        QCOMPARE(bytes[dataStart - 1], '\n');

        const vq::NpyReader reader(path);
        const std::string diff = differenceFromDecoded(reader.readMatrix("decoded", vq::nullRunControl()), dtype);
        QVERIFY2(diff.empty(), diff.c_str());
        QVERIFY(fractions.size() >= 2);
        QCOMPARE(fractions.front(), 0.0);
        QCOMPARE(fractions.back(), 1.0);
        QVERIFY(std::is_sorted(fractions.begin(), fractions.end()));
    }

    void safetensorsHoldsTheDecodedTable_data()
    {
        QTest::addColumn<vq::DType>("dtype");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("expectedName");
        QTest::newRow("f32, source name") << vq::DType::F32 << QString() << QStringLiteral("glove-20k");
        QTest::newRow("f16, own name") << vq::DType::F16 << QStringLiteral("model.embed_tokens.weight")
                                       << QStringLiteral("model.embed_tokens.weight");
        QTest::newRow("bf16") << vq::DType::BF16 << QString() << QStringLiteral("glove-20k");
    }
    void safetensorsHoldsTheDecodedTable()
    {
        QFETCH(vq::DType, dtype);
        QFETCH(QString, name);
        QFETCH(QString, expectedName);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("decoded.safetensors")).toStdString();
        vq::DequantizedExportOptions options;
        options.dtype = dtype;
        options.tensorName = name.toStdString();
        options.blockRows = 300;
        vq::exportDequantizedSafetensors(path, table(), gloveSource(), options);

        const vq::SafetensorsReader reader(path);
        QCOMPARE(reader.tensors().size(), size_t(1));
        QCOMPARE(QString::fromStdString(reader.tensors()[0].name), expectedName);
        QCOMPARE(reader.tensors()[0].dtype, dtype);
        const std::string diff
            = differenceFromDecoded(reader.readMatrix(expectedName.toStdString(), vq::nullRunControl()), dtype);
        QVERIFY2(diff.empty(), diff.c_str());
        std::map<std::string, std::string> meta;
        for (const auto& m : reader.metadata())
            meta[m.key] = m.value;
        QCOMPARE(meta.at("format"), std::string("pt"));
        QCOMPARE(meta.at("vqscope.spec"), table().spec.toJson().dump());
        QCOMPARE(meta.at("vqscope.sourceChecksum"), std::string("xxh64:1"));
    }

    // A standalone GGUF: token_embd.weight in the chosen type, the tokens, and the record of the run.
    void ggufHoldsTheDecodedTable_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<bool>("tokens");
        QTest::newRow("f16, tokens") << "f16" << true;
        QTest::newRow("bf16") << "bf16" << false;
        QTest::newRow("f32") << "f32" << false;
    }
    void ggufHoldsTheDecodedTable()
    {
        QFETCH(QString, type);
        QFETCH(bool, tokens);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("decoded.gguf")).toStdString();
        vq::DequantizedExportOptions options;
        options.ggmlType = type.toStdString();
        options.blockRows = 300;
        if (tokens)
            for (int i = 0; i < 1000; ++i)
                options.tokens.push_back("token " + std::to_string(i));
        std::vector<double> fractions;
        vq::RunControl control;
        vqtest::recordExportProgress(control, fractions);
        vq::exportDequantizedGguf(path, table(), gloveSource(), options, control);
        QCOMPARE(fractions.back(), 1.0);
        QVERIFY(std::is_sorted(fractions.begin(), fractions.end()));

        const vq::GgufReader reader(path);
        QCOMPARE(reader.tensors().size(), size_t(1));
        const vq::TensorInfo& t = reader.tensors()[0];
        QCOMPARE(t.name, std::string("token_embd.weight"));
        QCOMPARE(QString::fromStdString(t.dtypeName), type);
        const vq::DType dtype = type == QStringLiteral("f16") ? vq::DType::F16
            : type == QStringLiteral("bf16")                  ? vq::DType::BF16
                                                              : vq::DType::F32;
        const std::string diff = differenceFromDecoded(reader.readMatrix(t.name, vq::nullRunControl()), dtype);
        QVERIFY2(diff.empty(), diff.c_str());
        std::string source;
        const std::vector<std::string> back = reader.embeddedTokens(&source);
        QCOMPARE(back, options.tokens);
        std::map<std::string, std::string> meta;
        for (const auto& m : reader.metadata())
            meta[m.key] = m.value;
        QCOMPARE(meta.at("general.architecture"), std::string("vqscope"));
        QCOMPARE(meta.at("general.name"), std::string("vqscope rtn embedding"));
        const nlohmann::json record = nlohmann::json::parse(meta.at(vq::kEmbeddingKey));
        QCOMPARE(record.value("storedAs", ""), type.toStdString());
        QCOMPARE(record.value("sourceFile", ""), std::string("glove-20k.npy"));
        QCOMPARE(record.value("sourceChecksum", ""), std::string("xxh64:1"));
        QCOMPARE(record.value("bitsPerParam", 0.0), table().bits().bitsPerParam());

        // Types and tokens that do not fit are refused before anything is written.
        options.ggmlType = "q8_0"; // rows of 100 values
        expectError([&] { vq::exportDequantizedGguf(path, table(), gloveSource(), options); },
            vq::ErrorKind::InvalidArgument, path, "q8_0 stores whole blocks of 32");
        options.ggmlType = "q9_1";
        expectError([&] { vq::exportDequantizedGguf(path, table(), gloveSource(), options); },
            vq::ErrorKind::Unsupported, path, "writable types are");
        options.ggmlType = "f16";
        options.tokens = { "a", "b" };
        expectError([&] { vq::exportDequantizedGguf(path, table(), gloveSource(), options); },
            vq::ErrorKind::InvalidArgument, path, "2 token strings for a table of 1000 rows");
    }

    void tensorNameDefaultsToEmbedding()
    {
        QCOMPARE(vq::dequantizedTensorName({}, vq::TableSource {}), std::string("embedding"));
        QCOMPARE(vq::dequantizedTensorName({}, gloveSource()), std::string("glove-20k"));
    }

    void cancelLeavesNoFile_data()
    {
        QTest::addColumn<bool>("npy");
        QTest::addColumn<bool>("existing");
        QTest::newRow("npy, new") << true << false;
        QTest::newRow("npy, existing") << true << true;
        QTest::newRow("safetensors, new") << false << false;
        QTest::newRow("safetensors, existing") << false << true;
        QTest::newRow("gguf, existing") << false << true;
    }
    void cancelLeavesNoFile()
    {
        QFETCH(bool, npy);
        QFETCH(bool, existing);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("out")).toStdString();
        if (existing)
            QVERIFY(vqtest::writeAll(path, "keep me"));
        vq::DequantizedExportOptions options;
        options.blockRows = 100;
        vq::RunControl control;
        int reports = 0;
        vqtest::cancelAtReport(control, 3, reports);
        const bool gguf = QByteArray(QTest::currentDataTag()).startsWith("gguf");
        const auto run = [&] {
            if (npy)
                vq::exportDequantizedNpy(path, table(), options, control);
            else if (gguf)
                vq::exportDequantizedGguf(path, table(), gloveSource(), options, control);
            else
                vq::exportDequantizedSafetensors(path, table(), gloveSource(), options, control);
        };
        QVERIFY_THROWS_EXCEPTION(vq::Cancelled, run());
        QVERIFY(reports < 6); // stopped within a block of the cancel
        QCOMPARE(QFile::exists(QString::fromStdString(path)), existing);
        if (existing)
            QCOMPARE(vqtest::readAll(path), QByteArray("keep me"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), qsizetype(existing ? 1 : 0));
    }

    void failuresLeaveTargetsUntouched()
    {
        QTemporaryDir dir;
        const std::string missing = dir.filePath(QStringLiteral("missing/decoded.npy")).toStdString();
        expectError([&] { vq::exportDequantizedNpy(missing, table()); }, vq::ErrorKind::WriteFailed, missing);
        expectError([&] { vq::exportDequantizedSafetensors(missing, table(), gloveSource()); },
            vq::ErrorKind::WriteFailed, missing);

        const std::string existing = dir.filePath(QStringLiteral("existing.npy")).toStdString();
        QVERIFY(vqtest::writeAll(existing, "old bytes"));
        vq::DequantizedExportOptions bf16;
        bf16.dtype = vq::DType::BF16; // NumPy has no bfloat16
        expectError(
            [&] { vq::exportDequantizedNpy(existing, table(), bf16); }, vq::ErrorKind::InvalidArgument, existing);
        vq::DequantizedExportOptions q8;
        q8.dtype = vq::DType::Q8_0;
        expectError([&] { vq::exportDequantizedSafetensors(existing, table(), gloveSource(), q8); },
            vq::ErrorKind::InvalidArgument, existing);
        QCOMPARE(vqtest::readAll(existing), QByteArray("old bytes"));

        // A folder in the way of the file: the rename fails, the folder stays.
        const std::string folder = dir.filePath(QStringLiteral("folder.npy")).toStdString();
        QVERIFY(QDir().mkpath(QString::fromStdString(folder)));
        expectError([&] { vq::exportDequantizedNpy(folder, table()); }, vq::ErrorKind::WriteFailed, folder);
        QVERIFY(QFileInfo(QString::fromStdString(folder)).isDir());
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), qsizetype(1));
    }
};

QTEST_GUILESS_MAIN(TestDequantizedExport)
#include "tst_dequantizedexport.moc"
