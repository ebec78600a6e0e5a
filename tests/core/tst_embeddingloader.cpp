#include "common/error.h"
#include "common/halffloat.h"
#include "io/embeddingloader.h"
#include "io/npyreader.h"
#include "io/tensorreader.h"
#include "npyfixture.h"
#include "testutil.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

// Compare enum names, so a failure prints which kinds differ.
#define COMPARE_ENUM(a, b) QCOMPARE(QString::fromLatin1(vq::nameOf(a)), QString::fromLatin1(vq::nameOf(b)))

namespace {

struct T {
    const char* name;
    std::vector<int64_t> shape;
    vq::DType dtype = vq::DType::F32;
};

std::vector<vq::TensorInfo> infos(const std::vector<T>& list)
{
    std::vector<vq::TensorInfo> out;
    for (const T& t : list) {
        vq::TensorInfo info;
        info.name = t.name;
        info.shape = t.shape;
        info.dtype = t.dtype;
        out.push_back(info);
    }
    return out;
}

void writeText(const std::string& path, const std::string& text)
{
    std::ofstream(path, std::ios::binary) << text;
}

// A GGUF v3 file without key/values holding 2-D tensors of the given ggml types, data zero-filled.
struct GgufTensor {
    std::string name;
    uint64_t rows, cols;
    uint32_t type;
    uint64_t bytes;
};
void writeGguf(const std::string& path, const std::vector<GgufTensor>& tensors)
{
    std::string out = "GGUF";
    const auto u32 = [&](uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); };
    const auto u64 = [&](uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); };
    u32(3);
    u64(tensors.size());
    u64(0);
    uint64_t offset = 0;
    for (const GgufTensor& t : tensors) {
        u64(t.name.size());
        out += t.name;
        u32(2);
        u64(t.cols);
        u64(t.rows);
        u32(t.type);
        u64(offset);
        offset += (t.bytes + 31) / 32 * 32;
    }
    out.resize((out.size() + 31) / 32 * 32 + offset, '\0');
    std::ofstream(path, std::ios::binary) << out;
}

} // namespace

Q_DECLARE_METATYPE(std::vector<T>)

class TestEmbeddingLoader : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string tmp(const std::string& name) const
    {
        return m_dir.filePath(QString::fromStdString(name)).toStdString();
    }

private slots:
    void pick_data()
    {
        QTest::addColumn<std::vector<T>>("tensors");
        QTest::addColumn<QString>("chosen");
        QTest::addColumn<QString>("order");
        QTest::addColumn<QString>("reason");
        using vq::DType;
        QTest::newRow("HF LLaMA-3") << std::vector<T> { { "lm_head.weight", { 128256, 4096 }, DType::BF16 },
            { "model.layers.0.mlp.down_proj.weight", { 4096, 14336 }, DType::BF16 },
            { "model.embed_tokens.weight", { 128256, 4096 }, DType::BF16 }, { "model.norm.weight", { 4096 } } }
                                    << "model.embed_tokens.weight"
                                    << "model.embed_tokens.weight,lm_head.weight,model.layers.0.mlp.down_proj.weight"
                                    << "name matches model.embed_tokens.weight";
        QTest::newRow("GGUF") << std::vector<T> { { "output.weight", { 32000, 4096 }, DType::Q8_0 },
            { "token_embd.weight", { 32000, 4096 }, DType::Q4_0 },
            { "blk.0.ffn_down.weight", { 4096, 11008 }, DType::Other }, { "output_norm.weight", { 4096 } } }
                              << "token_embd.weight"
                              << "token_embd.weight,output.weight"
                              << "name matches token_embd.weight";
        QTest::newRow("GPT-2") << std::vector<T> { { "transformer.wpe.weight", { 1024, 768 } },
            { "transformer.h.0.mlp.c_fc.weight", { 768, 3072 } }, { "transformer.wte.weight", { 50257, 768 } } }
                               << "transformer.wte.weight"
                               << "transformer.wte.weight,transformer.wpe.weight,transformer.h.0.mlp.c_fc.weight"
                               << "name matches transformer.wte.weight";
        QTest::newRow("BLOOM") << std::vector<T> { { "word_embeddings_layernorm.weight", { 1024 } },
            { "h.0.mlp.dense_4h_to_h.weight", { 1024, 4096 } }, { "word_embeddings.weight", { 250880, 1024 } } }
                               << "word_embeddings.weight"
                               << "word_embeddings.weight,h.0.mlp.dense_4h_to_h.weight"
                               << "name matches word_embeddings.weight";
        QTest::newRow("LLaMA original") << std::vector<T> { { "output.weight", { 32000, 4096 } },
            { "tok_embeddings.weight", { 32000, 4096 } }, { "layers.0.attention.wq.weight", { 4096, 4096 } } }
                                        << "tok_embeddings.weight"
                                        << "tok_embeddings.weight,output.weight,layers.0.attention.wq.weight"
                                        << "name matches tok_embeddings.weight";
        QTest::newRow("HDF5 path") << std::vector<T> { { "/model/norm/weight", { 100 } },
            { "/model/embed_tokens/weight", { 512, 100 } } }
                                   << "/model/embed_tokens/weight"
                                   << "/model/embed_tokens/weight"
                                   << "name matches model.embed_tokens.weight";
        QTest::newRow("substring, positions excluded")
            << std::vector<T> { { "vision.embeddings.position_embedding.weight", { 4096, 1152 } },
                   { "model.language_model.embed_tokens.weight", { 262144, 2560 } } }
            << "model.language_model.embed_tokens.weight"
            << "model.language_model.embed_tokens.weight,vision.embeddings.position_embedding.weight"
            << "name contains \"embed_tokens\"";
        QTest::newRow("largest with rows > cols") << std::vector<T> { { "projection", { 100, 300 } },
            { "small", { 500, 100 } }, { "glove-20k", { 20000, 100 } } }
                                                  << "glove-20k"
                                                  << "glove-20k,small,projection"
                                                  << "more rows than columns (20000 x 100)";
        QTest::newRow("head loses a size tie")
            << std::vector<T> { { "lm_head.weight", { 1000, 64 } }, { "table", { 1000, 64 } } } << "table"
            << "table,lm_head.weight"
            << "more rows than columns";
        QTest::newRow("only wide tensors") << std::vector<T> { { "a", { 10, 20 } }, { "b", { 30, 40 } } } << "b"
                                           << "b,a"
                                           << "none has more rows than columns";
        QTest::newRow("nothing loadable")
            << std::vector<T> { { "ids", { 100, 2 }, DType::I64 }, { "v", { 100 } } } << ""
            << ""
            << "";
    }
    void pick()
    {
        QFETCH(std::vector<T>, tensors);
        QFETCH(QString, chosen);
        QFETCH(QString, order);
        QFETCH(QString, reason);
        const vq::EmbeddingCandidates c = vq::pickEmbedding(infos(tensors));
        QCOMPARE(QString::fromStdString(c.chosen), chosen);
        QStringList names;
        for (const auto& n : c.names)
            names << QString::fromStdString(n);
        QCOMPARE(names.join(QLatin1Char(',')), order);
        if (!QString::fromStdString(c.reason).contains(reason))
            QFAIL(qPrintable(QString::fromStdString(c.reason)));
        QCOMPARE(c.reason.empty(), reason.isEmpty());
    }

    void loadsTheSample()
    {
        vq::RunControl control;
        QStringList stages;
        control.setProgressCallback([&](std::string_view stage, double) {
            const QString s = QString::fromUtf8(stage.data(), static_cast<qsizetype>(stage.size()));
            if (stages.isEmpty() || stages.back() != s)
                stages << s;
        });
        const vq::EmbeddingTable t
            = vq::loadEmbedding(vqtest::sourcePath("resources/sample/glove-20k.npy"), {}, control);
        QCOMPARE(t.rows(), int64_t(20000));
        QCOMPARE(t.dim(), int64_t(100));
        QCOMPARE(t.tokens.size(), size_t(20000));
        QCOMPARE(t.tokens[0], std::string("the"));
        QCOMPARE(t.tokens[1], std::string(","));
        QCOMPARE(t.tokenSource, std::string("glove-20k.vocab.txt"));
        QCOMPARE(t.source.format, std::string("NumPy"));
        QCOMPARE(t.source.tensor, std::string("glove-20k"));
        QCOMPARE(t.source.dtype, std::string("<f2"));
        QCOMPARE(t.source.storedShape, (std::vector<int64_t> { 20000, 100 }));
        QVERIFY(t.source.selectionReason.find("more rows than columns") != std::string::npos);
        QVERIFY(!t.tiedHead.has_value());
        QCOMPARE(t.nanCount, int64_t(0));
        QCOMPARE(t.infCount, int64_t(0));
        QCOMPARE(t.source.checksum, vq::tableChecksum(t.values));
        QCOMPARE(stages,
            (QStringList { QStringLiteral("open"), QStringLiteral("read"), QStringLiteral("tokens"),
                QStringLiteral("checksum") }));

        // The bundled sample is the float32 GloVe table rounded to float16: its first 512 rows are the
        // float32 reference of the format fixtures, rounded.
        const vq::Matrix f32 = vq::NpyReader(vqtest::dataPath("reference-512x100-f32.npy"))
                                   .readMatrix("reference-512x100-f32", vq::nullRunControl());
        QCOMPARE(f32.rows, int64_t(512));
        QCOMPARE(f32.cols, t.dim());
        for (size_t i = 0; i < f32.values.size(); ++i) {
            if (vq::roundToHalf(f32.values[i]) != t.values.values[i])
                QFAIL(qPrintable(QStringLiteral("value %1 differs").arg(i)));
        }
    }

    void checksumKnownAnswers()
    {
        // Expected values from an independent XXH64 implementation over the little-endian float bytes
        // (and the published XXH64 of the empty input).
        QCOMPARE(vq::tableChecksum(vq::Matrix()), std::string("xxh64:ef46db3751d8e999"));
        vq::Matrix m(2, 3);
        m.values = { 1, 2, 3, 4, 5, 6 };
        QCOMPARE(vq::tableChecksum(m), std::string("xxh64:cb9aefe4e48aa842"));
        m.values[5] = std::nextafter(6.0f, 7.0f);
        QVERIFY(vq::tableChecksum(m) != std::string("xxh64:cb9aefe4e48aa842"));
        const vq::EmbeddingTable ref
            = vq::loadEmbedding(vqtest::dataPath("reference-512x100-f32.npy"), {}, vq::nullRunControl());
        QCOMPARE(ref.source.checksum, std::string("xxh64:6be8f067245cad09"));
    }

    void countsNanAndInf()
    {
        std::vector<float> v(6 * 4, 0.5f);
        v[1] = std::numeric_limits<float>::quiet_NaN();
        v[7] = std::numeric_limits<float>::quiet_NaN();
        v[8] = -std::numeric_limits<float>::quiet_NaN();
        v[9] = std::numeric_limits<float>::infinity();
        v[23] = -std::numeric_limits<float>::infinity();
        vqtest::writeNpyF32(tmp("bad-values.npy"), 6, 4, v);
        const vq::EmbeddingTable t = vq::loadEmbedding(tmp("bad-values.npy"), {}, vq::nullRunControl());
        QCOMPARE(t.nanCount, int64_t(3));
        QCOMPARE(t.infCount, int64_t(2));
        QVERIFY(std::isnan(t.values.at(0, 1))); // values are kept as stored
    }

    void overrideByName()
    {
        vq::LoadOptions options;
        options.tensor = "table-f16";
        const vq::EmbeddingTable t
            = vq::loadEmbedding(vqtest::dataPath("table-f16.npy"), options, vq::nullRunControl());
        QCOMPARE(t.source.tensor, std::string("table-f16"));
        QCOMPARE(t.source.selectionReason, std::string("requested by name"));
        QCOMPARE(t.rows(), int64_t(512));
        QVERIFY(t.tokens.empty()); // no sidecar beside the fixture
        QCOMPARE(t.tokenSource, std::string());
    }

    void wrongOverrideListsCandidates()
    {
        vq::LoadOptions options;
        options.tensor = "model.embed_tokens.weight";
        try {
            vq::loadEmbedding(vqtest::dataPath("table-f16.npy"), options, vq::nullRunControl());
            QFAIL("accepted an unknown tensor name");
        } catch (const vq::Error& e) {
            COMPARE_ENUM(e.kind(), vq::ErrorKind::NotFound);
            QCOMPARE(e.path(), vqtest::dataPath("table-f16.npy"));
            QVERIFY(e.message().find("'model.embed_tokens.weight'") != std::string::npos);
            QVERIFY(e.message().find("candidates: table-f16") != std::string::npos);
        }
    }

    void tokenCountMismatch_data()
    {
        QTest::addColumn<QString>("vocab");
        QTest::addColumn<QString>("source");
        QTest::addColumn<QString>("last");
        QTest::newRow("fewer tokens") << "a\nb\r\nc\n"
                                      << "short.txt (3 of 5 rows)"
                                      << "";
        QTest::newRow("more tokens") << "a\nb\nc\nd\ne\nf\ng"
                                     << "short.txt (first 5 of 7 tokens)"
                                     << "e";
        QTest::newRow("exact, no final newline") << "a\nb\nc\n \ne"
                                                 << "short.txt"
                                                 << "e";
    }
    void tokenCountMismatch()
    {
        QFETCH(QString, vocab);
        QFETCH(QString, source);
        QFETCH(QString, last);
        vqtest::writeNpyF32(tmp("five.npy"), 5, 2, std::vector<float>(10, 1.0f));
        writeText(tmp("short.txt"), vocab.toStdString());
        vq::LoadOptions options;
        options.vocabFile = tmp("short.txt");
        const vq::EmbeddingTable t = vq::loadEmbedding(tmp("five.npy"), options, vq::nullRunControl());
        QCOMPARE(t.tokens.size(), size_t(5));
        QCOMPARE(QString::fromStdString(t.tokenSource), source);
        QCOMPARE(t.tokens[1], std::string("b"));
        QCOMPARE(QString::fromStdString(t.tokens[4]), last);
    }

    void missingVocabFile()
    {
        vq::LoadOptions options;
        options.vocabFile = tmp("absent.txt");
        try {
            vq::loadEmbedding(vqtest::dataPath("table-f16.npy"), options, vq::nullRunControl());
            QFAIL("accepted a missing vocab file");
        } catch (const vq::Error& e) {
            COMPARE_ENUM(e.kind(), vq::ErrorKind::NotFound);
            QCOMPARE(e.path(), tmp("absent.txt"));
        }
    }

    void configDecidesTiedHead_data()
    {
        QTest::addColumn<QString>("config");
        QTest::addColumn<int>("tied"); // -1 unknown
        QTest::addColumn<QString>("reason");
        QTest::newRow("tied") << R"({"tie_word_embeddings": true})" << 1 << "config.json tie_word_embeddings=true";
        QTest::newRow("untied") << R"({"tie_word_embeddings": false})" << 0 << "config.json tie_word_embeddings=false";
        QTest::newRow("nested text_config")
            << R"({"text_config": {"tie_word_embeddings": true}})" << 1 << "config.json tie_word_embeddings=true";
        QTest::newRow("key absent") << R"({"hidden_size": 2})" << -1 << "NumPy files do not describe";
        QTest::newRow("not json") << "{oops" << -1 << "NumPy files do not describe";
    }
    void configDecidesTiedHead()
    {
        QFETCH(QString, config);
        QFETCH(int, tied);
        QFETCH(QString, reason);
        QTemporaryDir dir;
        const std::string folder = dir.path().toStdString();
        vqtest::writeNpyF32(folder + "/t.npy", 3, 2, std::vector<float>(6, 0.25f));
        writeText(folder + "/config.json", config.toStdString());
        const vq::EmbeddingTable t = vq::loadEmbedding(folder + "/t.npy", {}, vq::nullRunControl());
        QCOMPARE(t.tiedHead.has_value() ? int(*t.tiedHead) : -1, tied);
        if (!QString::fromStdString(t.tiedReason).startsWith(reason))
            QFAIL(t.tiedReason.c_str());
    }

    void cancelledLoadThrows()
    {
        vq::RunControl control;
        control.cancel();
        QVERIFY_THROWS_EXCEPTION(
            vq::Cancelled, vq::loadEmbedding(vqtest::sourcePath("resources/sample/glove-20k.npy"), {}, control));
    }

    void unrecognisedAndFolders()
    {
        writeText(tmp("notes.txt"), "hello, this is not a checkpoint");
        try {
            vq::openTensorFile(tmp("notes.txt"));
            QFAIL("opened a text file");
        } catch (const vq::Error& e) {
            COMPARE_ENUM(e.kind(), vq::ErrorKind::Malformed);
            QCOMPARE(e.path(), tmp("notes.txt"));
            QCOMPARE(e.message(),
                std::string("not a recognised checkpoint format (expected safetensors, GGUF, HDF5 or NumPy)"));
        }
        QTemporaryDir empty;
        try {
            vq::openTensorFile(empty.path().toStdString());
            QFAIL("opened an empty folder");
        } catch (const vq::Error& e) {
            COMPARE_ENUM(e.kind(), vq::ErrorKind::NotFound);
            QCOMPARE(e.path(), empty.path().toStdString());
        }
        try {
            vq::openTensorFile(tmp("missing.npy"));
            QFAIL("opened a missing file");
        } catch (const vq::Error& e) {
            COMPARE_ENUM(e.kind(), vq::ErrorKind::NotFound);
        }
        // A damaged file named .npy is explained by the NumPy reader, not called unknown.
        writeText(tmp("damaged.npy"), "PK\x03\x04 not numpy");
        try {
            vq::openTensorFile(tmp("damaged.npy"));
            QFAIL("opened a damaged .npy");
        } catch (const vq::Error& e) {
            QVERIFY(e.message().find("\\x93NUMPY") != std::string::npos);
        }
    }

    // Every ggml block type ggml's own fixtures hold opens as a table, decoded bit for bit.
    void ggmlBlockTypes_data()
    {
        QTest::addColumn<QString>("stem");
        QTest::addColumn<QString>("dtype");
        for (const char* stem : { "q4_1", "q5_0", "q5_1", "q2_k", "q3_k", "q4_k-imatrix", "q5_k", "q6_k", "iq4_nl",
                 "iq4_xs-imatrix", "tq1_0", "tq2_0" }) {
            const std::string type = std::string(stem).substr(0, std::string(stem).find('-'));
            QTest::newRow(stem) << QString::fromLatin1(
                stem) << QString::fromStdString(type.back() == 'k' ? type.substr(0, type.size() - 1) + "K" : type);
        }
    }
    void ggmlBlockTypes()
    {
        QFETCH(QString, stem);
        QFETCH(QString, dtype);
        const vq::EmbeddingTable t = vq::loadEmbedding(
            vqtest::dataPath("ggml/table-" + stem.toStdString() + ".gguf"), {}, vq::nullRunControl());
        QCOMPARE(QString::fromStdString(t.source.tensor), QStringLiteral("token_embd.weight"));
        QCOMPARE(QString::fromStdString(t.source.dtype), dtype);
        const std::string expectedPath = vqtest::dataPath("ggml/expected-" + stem.toStdString() + ".npy");
        const vq::Matrix want
            = vq::NpyReader(expectedPath)
                  .readMatrix(std::filesystem::path(expectedPath).stem().string(), vq::nullRunControl());
        QCOMPARE(t.rows(), int64_t(128));
        QCOMPARE(t.dim(), int64_t(256));
        QVERIFY(std::memcmp(t.values.values.data(), want.values.data(), want.values.size() * sizeof(float)) == 0);
        QCOMPARE(t.tokens.size(), size_t(128));
        QCOMPARE(t.tokens[0], std::string("the"));
    }

    // An embedding in a type vqscope cannot decode is named, with its type and the readable types,
    // instead of silently loading another tensor.
    void unreadableEmbeddingRefused()
    {
        const std::string path = tmp("iq2.gguf");
        writeGguf(path,
            { { "token_embd.weight", 64, 256, 16, 64 * 66 }, { "output.weight", 64, 256, 0, 64 * 256 * 4 },
                { "blk.0.attn_q.weight", 256, 256, 16, 256 * 66 } });
        const std::unique_ptr<vq::TensorReader> reader = vq::openTensorFile(path);
        const vq::EmbeddingCandidates c = vq::pickEmbedding(reader->tensors());
        QCOMPARE(c.chosen, std::string("output.weight"));
        QCOMPARE(c.unreadable, std::string("token_embd.weight"));
        try {
            vq::loadEmbedding(path, {}, vq::nullRunControl());
            QFAIL("loaded");
        } catch (const vq::Error& e) {
            COMPARE_ENUM(e.kind(), vq::ErrorKind::Unsupported);
            QCOMPARE(e.path(), path);
            const QString what = QString::fromUtf8(e.what());
            QVERIFY2(what.contains(QStringLiteral("the embedding tensor 'token_embd.weight' is iq2_xxs")), e.what());
            QVERIFY2(what.contains(QStringLiteral("readable ggml types: f32, f16, q4_0")), e.what());
            QVERIFY2(what.contains(QStringLiteral("candidates: output.weight")), e.what());
        }
        // Asked for by name, the readable head loads; the unreadable one is refused with the same reason.
        vq::LoadOptions options;
        options.tensor = "output.weight";
        QCOMPARE(vq::loadEmbedding(path, options, vq::nullRunControl()).rows(), int64_t(64));
        options.tensor = "blk.0.attn_q.weight";
        try {
            vq::loadEmbedding(path, options, vq::nullRunControl());
            QFAIL("loaded");
        } catch (const vq::Error& e) {
            QVERIFY2(
                QString::fromUtf8(e.what()).contains(QStringLiteral("'blk.0.attn_q.weight' is iq2_xxs")), e.what());
        }
        // A readable tensor with a known name wins over an unreadable one with a weaker name.
        std::vector<vq::TensorInfo> both = reader->tensors();
        both[1].name = "tok_embeddings.weight";
        QCOMPARE(vq::pickEmbedding(both).unreadable, std::string());
    }

    void otherFormats_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("tensor");
        QTest::addColumn<QString>("expected"); // .npy holding the values after loading
        QTest::addColumn<int>("tied"); // -1 unknown
        QTest::addColumn<QString>("tiedReason");
        QTest::addColumn<QString>("tokenSource");
        QTest::newRow("safetensors bf16")
            << "table-bf16.safetensors"
            << "safetensors"
            << "model.embed_tokens.weight"
            << "expected-bf16-safetensors.npy" << 0 << "lm_head.weight present (separate output head)"
            << "";
        QTest::newRow("sharded folder") << "hf-sharded"
                                        << "safetensors (sharded)"
                                        << "model.embed_tokens.weight"
                                        << "reference-512x100-f32.npy" << 1 << "config.json tie_word_embeddings=true"
                                        << "tokenizer.json";
        QTest::newRow("sharded index") << "hf-sharded/model.safetensors.index.json"
                                       << "safetensors (sharded)"
                                       << "model.embed_tokens.weight"
                                       << "reference-512x100-f32.npy" << 1 << "config.json tie_word_embeddings=true"
                                       << "tokenizer.json";
        QTest::newRow("GGUF f32") << "table-f32.gguf"
                                  << "GGUF v3"
                                  << "token_embd.weight"
                                  << "reference-512x100-f32.npy" << 1 << "no output.weight tensor"
                                  << "GGUF tokenizer.ggml.tokens";
        QTest::newRow("GGUF bf16") << "table-bf16.gguf"
                                   << "GGUF v3"
                                   << "token_embd.weight"
                                   << "expected-bf16.npy" << 1 << "no output.weight tensor"
                                   << "GGUF tokenizer.ggml.tokens";
        QTest::newRow("GGUF q4_0") << "table-q4_0.gguf"
                                   << "GGUF v3"
                                   << "token_embd.weight"
                                   << "expected-q4_0.npy" << 1 << "no output.weight tensor"
                                   << "GGUF tokenizer.ggml.tokens";
        QTest::newRow("HDF5") << "table.h5"
                              << "HDF5"
                              << "/model/embed_tokens/weight"
                              << "reference-512x100-f32.npy" << -1 << "HDF5 files do not describe an output head"
                              << "/vocab";
    }
    void otherFormats()
    {
        QFETCH(QString, path);
        QFETCH(QString, format);
        QFETCH(QString, tensor);
        QFETCH(QString, expected);
        QFETCH(int, tied);
        QFETCH(QString, tiedReason);
        QFETCH(QString, tokenSource);
        const vq::EmbeddingTable t = vq::loadEmbedding(vqtest::dataPath(path.toStdString()), {}, vq::nullRunControl());
        QCOMPARE(QString::fromStdString(t.source.format), format);
        QCOMPARE(QString::fromStdString(t.source.tensor), tensor);
        QVERIFY(t.source.selectionReason.find("known embedding name") != std::string::npos);
        const std::string expectedPath = vqtest::dataPath(expected.toStdString());
        const vq::Matrix want
            = vq::NpyReader(expectedPath)
                  .readMatrix(std::filesystem::path(expectedPath).stem().string(), vq::nullRunControl());
        QCOMPARE(t.rows(), want.rows);
        QCOMPARE(t.dim(), want.cols);
        QVERIFY(std::memcmp(t.values.values.data(), want.values.data(), want.values.size() * sizeof(float)) == 0);
        QCOMPARE(t.tiedHead.has_value() ? int(*t.tiedHead) : -1, tied);
        QCOMPARE(QString::fromStdString(t.tiedReason), tiedReason);
        QCOMPARE(QString::fromStdString(t.tokenSource), tokenSource);
        if (!tokenSource.isEmpty()) {
            QCOMPARE(t.tokens.size(), size_t(512));
            QCOMPARE(t.tokens[0], std::string("the"));
            QCOMPARE(t.tokens[511], vq::readVocabFile(vqtest::sourcePath("resources/sample/glove-20k.vocab.txt"))[511]);
        } else {
            QVERIFY(t.tokens.empty());
        }
    }

    void overrideAndWrongNameInSafetensors()
    {
        vq::LoadOptions options;
        options.tensor = "lm_head.weight";
        const vq::EmbeddingTable t
            = vq::loadEmbedding(vqtest::dataPath("table-bf16.safetensors"), options, vq::nullRunControl());
        QCOMPARE(t.source.tensor, std::string("lm_head.weight"));
        QCOMPARE(t.source.dtype, std::string("F16"));
        options.tensor = "model.norm.weight";
        try {
            vq::loadEmbedding(vqtest::dataPath("table-bf16.safetensors"), options, vq::nullRunControl());
            QFAIL("loaded a 1-D tensor as a table");
        } catch (const vq::Error& e) {
            COMPARE_ENUM(e.kind(), vq::ErrorKind::InvalidArgument);
            QVERIFY(e.message().find("candidates: model.embed_tokens.weight, lm_head.weight") != std::string::npos);
        }
    }

    // A stray file beside the table is not read whole: too large, a line too long, too many lines.
    void oversizedVocabFilesAreRefused_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("message");
        QTest::newRow("one line over the limit") << QByteArray("a\n") + QByteArray(int(vq::kMaxVocabLineBytes) + 1, 'x')
                                                 << QStringLiteral("line 2 has 4097 bytes: not a token (limit 4096)");
        QTest::newRow("too many lines") << QByteArray(int(vq::kMaxVocabLines) + 1, '\n')
                                        << QStringLiteral("has more than 2097152 lines: not a vocabulary");
        QTest::newRow("too many bytes") << QByteArray(int(vq::kMaxVocabFileBytes) + 1, 'y')
                                        << QStringLiteral("token file of 67108865 bytes is larger than");
    }
    void oversizedVocabFilesAreRefused()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, message);
        writeText(tmp("big.vocab.txt"), content.toStdString());
        try {
            vq::readVocabFile(tmp("big.vocab.txt"));
            QFAIL("read an oversized token file");
        } catch (const vq::Error& e) {
            COMPARE_ENUM(e.kind(), vq::ErrorKind::InvalidArgument);
            QCOMPARE(e.path(), tmp("big.vocab.txt"));
            QVERIFY2(e.message().find(message.toStdString()) != std::string::npos, e.what());
        }
    }

    // A table with no rows or no columns is refused at load, naming the file and the tensor.
    void emptyTablesAreRefused_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::newRow("0 x 64") << 0 << 64;
        QTest::newRow("64 x 0") << 64 << 0;
    }
    void emptyTablesAreRefused()
    {
        QFETCH(int, rows);
        QFETCH(int, cols);
        vqtest::writeNpyF32(tmp("empty.npy"), rows, cols, {});
        try {
            vq::loadEmbedding(tmp("empty.npy"), {}, vq::nullRunControl());
            QFAIL("loaded an empty table");
        } catch (const vq::Error& e) {
            COMPARE_ENUM(e.kind(), vq::ErrorKind::InvalidArgument);
            QCOMPARE(e.path(), tmp("empty.npy"));
            const std::string shape = std::to_string(rows) + " x " + std::to_string(cols);
            QVERIFY2(e.message().find("is an empty table (" + shape + ")") != std::string::npos, e.what());
        }
    }

    void readVocabFileKeepsLines()
    {
        writeText(tmp("v.txt"), "the\r\n\n  spaced \n\xc3\xa9t\xc3\xa9");
        const auto tokens = vq::readVocabFile(tmp("v.txt"));
        QCOMPARE(tokens, (std::vector<std::string> { "the", "", "  spaced ", "\xc3\xa9t\xc3\xa9" }));
    }
};

QTEST_GUILESS_MAIN(TestEmbeddingLoader)
#include "tst_embeddingloader.moc"
