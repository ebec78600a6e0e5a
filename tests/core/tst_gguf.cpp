#include "common/error.h"
#include "common/halffloat.h"
#include "io/ggmlblocks.h"
#include "io/ggufreader.h"
#include "npyfixture_gguf.h"
#include "readerchecks.h"
#include "testutil.h"

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace {

using vqtest::findKey;
using vqtest::findTensor;
using vqtest::name;
using vqtest::readAll;
using vqtest::sameBits;

// Little-endian byte strings for hand-made GGUF files.
std::string u32(uint32_t v)
{
    return std::string(reinterpret_cast<const char*>(&v), 4);
}
std::string u64(uint64_t v)
{
    return std::string(reinterpret_cast<const char*>(&v), 8);
}
std::string gstr(const std::string& s)
{
    return u64(s.size()) + s;
}
std::string kv(const std::string& key, uint32_t type, const std::string& value)
{
    return gstr(key) + u32(type) + value;
}

constexpr uint32_t kU32 = 4, kStr = 8, kArr = 9;

struct Tensor {
    std::string name;
    std::vector<uint64_t> ne; // fastest first, as stored
    uint32_t type = 0;
    uint64_t offset = 0;
};

// A small valid GGUF file, every part of which a test row can change.
struct GgufSpec {
    std::string magic = "GGUF";
    uint32_t version = 3;
    std::optional<uint64_t> tensorCount; // default: tensors.size()
    std::optional<uint64_t> kvCount; // default: kvs.size()
    std::vector<std::string> kvs = {
        kv("general.architecture", kStr, gstr("llama")),
        kv("tokenizer.ggml.tokens", kArr, u32(kStr) + u64(2) + gstr("a") + gstr("bc")),
    };
    std::vector<Tensor> tensors = { { "t", { 4, 2 }, 0, 0 } }; // f32 2x4
    uint64_t alignment = 32;
    std::string data = std::string(32, '\0');

    std::string bytes() const
    {
        std::string out
            = magic + u32(version) + u64(tensorCount.value_or(tensors.size())) + u64(kvCount.value_or(kvs.size()));
        for (const auto& k : kvs)
            out += k;
        for (const auto& t : tensors) {
            out += gstr(t.name) + u32(static_cast<uint32_t>(t.ne.size()));
            for (uint64_t d : t.ne)
                out += u64(d);
            out += u32(t.type) + u64(t.offset);
        }
        out.resize((out.size() + alignment - 1) / alignment * alignment, '\0');
        return out + data;
    }
};

std::string writeFile(const QTemporaryDir& dir, const std::string& name, const std::string& bytes)
{
    const std::string path = dir.filePath(QString::fromStdString(name)).toStdString();
    vqtest::writeBytes(path, bytes);
    return path;
}

} // namespace

class TestGguf : public QObject {
    Q_OBJECT
private slots:
    void fixtures_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("dtype");
        QTest::addColumn<QString>("dtypeName");
        QTest::addColumn<int>("cols");
        QTest::addColumn<qulonglong>("byteSize");
        QTest::addColumn<QString>("expected"); // "" = the reference itself, "fp16" = reference through fp16
        QTest::addColumn<uint>("fileType");
        QTest::newRow("f32") << "table-f32.gguf" << int(vq::DType::F32) << "f32" << 100 << 204800ull << "" << 0u;
        QTest::newRow("f16") << "table-f16.gguf" << int(vq::DType::F16) << "f16" << 100 << 102400ull << "fp16" << 1u;
        QTest::newRow("bf16") << "table-bf16.gguf" << int(vq::DType::BF16) << "bf16" << 100 << 102400ull
                              << "expected-bf16.npy" << 32u;
        QTest::newRow("q8_0") << "table-q8_0.gguf" << int(vq::DType::Q8_0) << "q8_0" << 96 << 52224ull
                              << "expected-q8_0.npy" << 7u;
        QTest::newRow("q4_0") << "table-q4_0.gguf" << int(vq::DType::Q4_0) << "q4_0" << 96 << 27648ull
                              << "expected-q4_0.npy" << 2u;
    }
    void fixtures()
    {
        QFETCH(QString, file);
        QFETCH(int, dtype);
        QFETCH(QString, dtypeName);
        QFETCH(int, cols);
        QFETCH(qulonglong, byteSize);
        QFETCH(QString, expected);
        QFETCH(uint, fileType);

        const vq::GgufReader r(vqtest::dataPath(file.toStdString()));
        QCOMPARE(r.formatName(), std::string("GGUF v3"));
        QCOMPARE(r.alignment(), uint64_t(32));
        QCOMPARE(r.tensors().size(), size_t(2));
        const vq::TensorInfo* t = findTensor(r, "token_embd.weight");
        QVERIFY(t);
        QCOMPARE(int(t->dtype), dtype); // int: see name()
        QCOMPARE(QString::fromStdString(t->dtypeName), dtypeName);
        // GGUF stores dims [cols, 512] fastest first; listed slowest first.
        QCOMPARE(t->shape, (std::vector<int64_t> { 512, cols }));
        QCOMPARE(t->byteSize, uint64_t(byteSize));
        QCOMPARE(t->file, r.path());
        const vq::TensorInfo* norm = findTensor(r, "output_norm.weight");
        QVERIFY(norm);
        QCOMPARE(norm->shape, (std::vector<int64_t> { cols }));

        const vq::MetadataEntry* ft = findKey(r, "general.file_type");
        QVERIFY(ft);
        QCOMPARE(ft->type, std::string("u32"));
        QCOMPARE(ft->value, std::to_string(fileType));

        const vq::Matrix m = r.readMatrix("token_embd.weight", vq::nullRunControl());
        QCOMPARE(m.rows, int64_t(512));
        QCOMPARE(m.cols, int64_t(cols));
        const auto ref = vqtest::readNpyF32(vqtest::dataPath("reference-512x100-f32.npy"));
        QVERIFY2(ref.error.empty(), ref.error.c_str());
        std::vector<float> want;
        if (expected.isEmpty()) {
            want = ref.values;
        } else if (expected == QLatin1String("fp16")) {
            want = ref.values;
            for (float& v : want)
                v = vq::roundToHalf(v);
        } else {
            const auto npy = vqtest::readNpyF32(vqtest::dataPath(expected.toStdString()));
            QVERIFY2(npy.error.empty(), npy.error.c_str());
            QCOMPARE(npy.cols, int64_t(cols));
            want = npy.values;
        }
        QVERIFY(sameBits(m.values, want));
        if (!expected.isEmpty())
            QVERIFY(!sameBits(m.values, ref.leftColumns(cols))); // lossy types really differ from the source
    }

    // ggml's own files (tests/data/ggml): every block type, listed with ggml's name, read bit for bit as
    // ggml's to_float decodes it.
    void ggmlFixtures_data()
    {
        QTest::addColumn<QString>("stem");
        QTest::addColumn<QString>("dtypeName");
        QTest::addColumn<int>("dtype");
        QTest::addColumn<qulonglong>("byteSize");
        using D = vq::DType;
        const std::tuple<const char*, const char*, D, qulonglong> types[] = {
            { "q4_0", "q4_0", D::Q4_0, 18432 },
            { "q4_1", "q4_1", D::Q4_1, 20480 },
            { "q5_0", "q5_0", D::Q5_0, 22528 },
            { "q5_1", "q5_1", D::Q5_1, 24576 },
            { "q8_0", "q8_0", D::Q8_0, 34816 },
            { "q2_k", "q2_K", D::Q2_K, 10752 },
            { "q3_k", "q3_K", D::Q3_K, 14080 },
            { "q4_k", "q4_K", D::Q4_K, 18432 },
            { "q5_k", "q5_K", D::Q5_K, 22528 },
            { "q6_k", "q6_K", D::Q6_K, 26880 },
            { "iq4_nl", "iq4_nl", D::IQ4_NL, 18432 },
            { "iq4_xs", "iq4_xs", D::IQ4_XS, 17408 },
        };
        for (const auto& [stem, typeName, dtype, bytes] : types)
            for (const char* suffix : { "", "-imatrix" }) {
                const std::string s = std::string(stem) + suffix;
                QTest::newRow(s.c_str()) << QString::fromStdString(s) << typeName << int(dtype) << bytes;
            }
        QTest::newRow("tq1_0") << "tq1_0"
                               << "tq1_0" << int(D::TQ1_0) << 6912ull;
        QTest::newRow("tq2_0") << "tq2_0"
                               << "tq2_0" << int(D::TQ2_0) << 8448ull;
    }
    void ggmlFixtures()
    {
        QFETCH(QString, stem);
        QFETCH(QString, dtypeName);
        QFETCH(int, dtype);
        QFETCH(qulonglong, byteSize);
        const vq::GgufReader r(vqtest::dataPath("ggml/table-" + stem.toStdString() + ".gguf"));
        QCOMPARE(r.tensors().size(), size_t(1));
        const vq::TensorInfo* t = findTensor(r, "token_embd.weight");
        QVERIFY(t);
        QCOMPARE(QString::fromStdString(t->dtypeName), dtypeName);
        QCOMPARE(int(t->dtype), dtype);
        QVERIFY(vq::isLoadableFloat(t->dtype));
        QCOMPARE(t->shape, (std::vector<int64_t> { 128, 256 }));
        QCOMPARE(t->byteSize, uint64_t(byteSize));
        const vq::Matrix m = r.readMatrix("token_embd.weight", vq::nullRunControl());
        const auto want = vqtest::readNpyF32(vqtest::dataPath("ggml/expected-" + stem.toStdString() + ".npy"));
        QVERIFY2(want.error.empty(), want.error.c_str());
        QCOMPARE(m.rows, want.rows);
        QCOMPARE(m.cols, want.cols);
        QVERIFY(sameBits(m.values, want.values));
        QCOMPARE(r.embeddedTokens(nullptr).size(), size_t(128));
    }

    void metadataRendering()
    {
        const vq::GgufReader r(vqtest::dataPath("table-q8_0.gguf"));
        QCOMPARE(r.metadata().size(), size_t(5));
        const vq::MetadataEntry* tokens = findKey(r, "tokenizer.ggml.tokens");
        QVERIFY(tokens);
        QCOMPARE(tokens->type, std::string("arr[str,512]"));
        QCOMPARE(tokens->value, std::string("[\"the\", \",\", \".\", \"of\", \"to\", \"and\", \"in\", \"\\\"\", ...]"));
        const vq::MetadataEntry* name = findKey(r, "general.name");
        QVERIFY(name);
        QCOMPARE(name->type, std::string("str"));
        QCOMPARE(name->value, std::string("glove-512 fixture"));
    }

    void tokensMatchVocab()
    {
        const vq::GgufReader r(vqtest::dataPath("table-f16.gguf"));
        std::string source = "stale";
        const auto tokens = r.embeddedTokens(&source);
        QCOMPARE(source, std::string("GGUF tokenizer.ggml.tokens"));
        vqtest::checkGloveTokens(tokens, 512);
    }

    // The codec, fed the reference's first 96 columns, must write the very bytes gguf-py wrote.
    void codecReproducesFileBlocks_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<bool>("q8");
        QTest::newRow("q8_0") << "table-q8_0.gguf" << true;
        QTest::newRow("q4_0") << "table-q4_0.gguf" << false;
    }
    void codecReproducesFileBlocks()
    {
        QFETCH(QString, file);
        QFETCH(bool, q8);
        const vq::GgufReader r(vqtest::dataPath(file.toStdString()));
        const auto stored = r.tensorBytes("token_embd.weight");
        const auto ref = vqtest::readNpyF32(vqtest::dataPath("reference-512x100-f32.npy"));
        QVERIFY2(ref.error.empty(), ref.error.c_str());
        const auto mine
            = vq::ggml::quantize(q8 ? vq::ggml::BlockType::Q8_0 : vq::ggml::BlockType::Q4_0, ref.leftColumns(96));
        QCOMPARE(mine.size(), stored.size());
        QVERIFY(std::memcmp(mine.data(), stored.data(), mine.size()) == 0);
    }

    void readErrors()
    {
        const vq::GgufReader r(vqtest::dataPath("table-f32.gguf"));
        QCOMPARE(name(vqtest::readErrorKind(r, "no.such.tensor")), name(vq::ErrorKind::NotFound));
        QCOMPARE(name(vqtest::readErrorKind(r, "output_norm.weight")), name(vq::ErrorKind::InvalidArgument));
    }

    void progressAndCancel()
    {
        const vq::GgufReader r(vqtest::dataPath("table-q4_0.gguf"));
        vq::RunControl control;
        std::atomic<int> calls { 0 };
        std::atomic<bool> sawEnd { false };
        std::atomic<bool> otherStage { false };
        control.setProgressCallback([&](std::string_view stage, double f) {
            ++calls;
            if (stage != "read")
                otherStage = true;
            if (f == 1.0)
                sawEnd = true;
        });
        const vq::Matrix m = r.readMatrix("token_embd.weight", control);
        QCOMPARE(m.rows, int64_t(512));
        QVERIFY(calls >= 2);
        QVERIFY(sawEnd);
        QVERIFY(!otherStage);

        vq::RunControl cancelled;
        cancelled.cancel();
        QVERIFY_THROWS_EXCEPTION(vq::Cancelled, r.readMatrix("token_embd.weight", cancelled));
    }

    // 1024 x 1024 f32 is four 1 MiB chunks: progress comes per chunk and a cancel raised after the
    // first one stops the read.
    void cancelBetweenChunks()
    {
        QTemporaryDir dir;
        GgufSpec spec;
        spec.tensors = { { "big", { 1024, 1024 }, 0, 0 } };
        spec.data = std::string(size_t(1024) * 1024 * 4, '\0');
        for (size_t i = 0; i < 1024 * 1024; ++i) {
            const float v = static_cast<float>(i % 977) * 0.5f;
            std::memcpy(spec.data.data() + 4 * i, &v, 4);
        }
        const vq::GgufReader r(writeFile(dir, "big.gguf", spec.bytes()));

        vq::RunControl plain;
        plain.threads = 2;
        std::mutex mutex;
        std::vector<double> fractions;
        plain.setProgressCallback([&](std::string_view, double f) {
            const std::lock_guard lock(mutex);
            fractions.push_back(f);
        });
        const vq::Matrix m = r.readMatrix("big", plain);
        QCOMPARE(m.at(1023, 1023), static_cast<float>((1024 * 1024 - 1) % 977) * 0.5f);
        QCOMPARE(m.at(300, 7), static_cast<float>((300 * 1024 + 7) % 977) * 0.5f);
        std::sort(fractions.begin(), fractions.end());
        QCOMPARE(fractions, (std::vector<double> { 0.0, 0.25, 0.5, 0.75, 1.0 }));

        vqtest::checkCancelsAfterFirstChunk(r, "big", 1);
    }

    // A hand-made file exercising every value type, v2, a custom alignment and a type we only list.
    void syntheticFile()
    {
        QTemporaryDir dir;
        GgufSpec spec;
        spec.version = 2;
        spec.alignment = 64;
        spec.kvs = {
            kv("general.alignment", kU32, u32(64)),
            kv("u8", 0, std::string(1, char(200))),
            kv("i8", 1, std::string(1, char(-5))),
            kv("u16", 2, std::string("\x34\x12", 2)),
            kv("i16", 3, std::string("\xff\xff", 2)),
            kv("i32", 5, u32(static_cast<uint32_t>(-7))),
            kv("f32", 6, u32(0x3f000000u)),
            kv("bool", 7, std::string(1, '\1')),
            kv("u64", 10, u64(1ull << 40)),
            kv("i64", 11, u64(static_cast<uint64_t>(-3))),
            kv("f64", 12, u64(0x3ff8000000000000ull)),
            kv("nested", kArr, u32(kArr) + u64(2) + u32(kU32) + u64(2) + u32(1) + u32(2) + u32(kU32) + u64(1) + u32(3)),
            kv("many", kArr, u32(kU32) + u64(10) + std::string(40, '\0')),
        };
        std::string data(64, '\0');
        const float values[] = { 1.5f, -2.0f, 0.25f, 8.0f, -0.5f, 3.0f, 7.0f, -1.0f };
        std::memcpy(data.data(), values, sizeof(values));
        data += std::string(66, '\x11'); // one iq2_xxs row of 256 values
        spec.tensors = { { "t", { 4, 2 }, 0, 0 }, { "k", { 256, 1 }, 16, 64 } };
        spec.data = data;
        const std::string path = writeFile(dir, "synthetic.gguf", spec.bytes());

        const vq::GgufReader r(path);
        QCOMPARE(r.formatName(), std::string("GGUF v2"));
        QCOMPARE(r.alignment(), uint64_t(64));
        QCOMPARE(r.dataOffset() % 64, uint64_t(0));
        const std::pair<const char*, const char*> expect[] = {
            { "u8", "200" },
            { "i8", "-5" },
            { "u16", "4660" },
            { "i16", "-1" },
            { "i32", "-7" },
            { "f32", "0.5" },
            { "bool", "true" },
            { "u64", "1099511627776" },
            { "i64", "-3" },
            { "f64", "1.5" },
        };
        for (const auto& [key, value] : expect) {
            const vq::MetadataEntry* e = findKey(r, key);
            QVERIFY2(e, key);
            QCOMPARE(e->type, std::string(key));
            QCOMPARE(e->value, std::string(value));
        }
        const vq::MetadataEntry* nested = findKey(r, "nested");
        QVERIFY(nested);
        QCOMPARE(nested->type, std::string("arr[arr,2]"));
        QCOMPARE(nested->value, std::string("[[1, 2], [3]]"));
        const vq::MetadataEntry* many = findKey(r, "many");
        QVERIFY(many);
        QCOMPARE(many->type, std::string("arr[u32,10]"));
        QCOMPARE(many->value, std::string("[0, 0, 0, 0, 0, 0, 0, 0, ...]"));

        const vq::Matrix m = r.readMatrix("t", vq::nullRunControl());
        QCOMPARE(m.rows, int64_t(2));
        QCOMPARE(m.cols, int64_t(4));
        QVERIFY(std::memcmp(m.values.data(), values, sizeof(values)) == 0);

        const vq::TensorInfo* k = findTensor(r, "k");
        QVERIFY(k);
        QCOMPARE(name(k->dtype), name(vq::DType::Other));
        QCOMPARE(k->dtypeName, std::string("iq2_xxs"));
        QCOMPARE(k->byteSize, uint64_t(66));
        QCOMPARE(r.tensorBytes("k").size(), size_t(66));
        try {
            r.readMatrix("k", vq::nullRunControl());
            QFAIL("iq2_xxs was read");
        } catch (const vq::Error& e) {
            // The file, the tensor, the type and what can be read instead.
            QCOMPARE(name(e.kind()), name(vq::ErrorKind::Unsupported));
            QCOMPARE(e.path(), path);
            QVERIFY2(e.message().find("tensor 'k' is iq2_xxs") != std::string::npos, e.what());
            QVERIFY2(e.message().find("lookup grids") != std::string::npos, e.what());
            QVERIFY2(e.message().find("readable ggml types: f32, f16, q4_0, q4_1") != std::string::npos, e.what());
            QVERIFY2(e.message().find("q4_K") != std::string::npos, e.what());
        }
        std::string source = "stale";
        QVERIFY(r.embeddedTokens(&source).empty());
        QVERIFY(source.empty());
    }

    void badInput_data()
    {
        vqtest::addBadInputColumns();
        const auto row = vqtest::addBadInputRow;
        using K = vq::ErrorKind;
        const std::string valid = GgufSpec().bytes();
        row("empty", "", K::Empty, "empty");
        row("3 bytes", "GGU", K::Truncated, "too short");
        row("header cut", valid.substr(0, 20), K::Truncated, "too short");
        row("bad magic", "GGUG" + valid.substr(4), K::Malformed, "not a GGUF file");
        row("safetensors-like", u64(10) + "{\"a\":1}   " + std::string(20, ' '), K::Malformed, "not a GGUF file");

        const std::string real = readAll(vqtest::dataPath("table-q8_0.gguf"));
        // Points inside the fixture: key/value counts, the tokens array, tensor infos, the data.
        for (size_t cut : { size_t(30), size_t(60), size_t(200), size_t(5000), size_t(6990), size_t(7100),
                 real.size() - 400, real.size() - 1 }) {
            const std::string name = "fixture cut at " + std::to_string(cut);
            QTest::newRow(name.c_str()) << QByteArray(real.data(), qsizetype(cut)) << K::Truncated << QString();
        }

        GgufSpec s;
        s.version = 1;
        row("version 1", s.bytes(), K::Unsupported, "v1");
        s.version = 4;
        row("version 4", s.bytes(), K::Unsupported, "version 4");
        s.version = 0x03000000u;
        row("big-endian", s.bytes(), K::Unsupported, "big-endian");
        s.version = 0;
        row("version 0", s.bytes(), K::Malformed, "version 0");

        s = GgufSpec();
        s.tensorCount = 1ull << 40;
        row("tensor count absurd", s.bytes(), K::Truncated, "cannot fit");
        s = GgufSpec();
        s.kvCount = ~0ull;
        row("kv count absurd", s.bytes(), K::Truncated, "cannot fit");
        s = GgufSpec();
        s.tensorCount = 3;
        row("tensor count too high", s.bytes(), K::Truncated, "");

        s = GgufSpec();
        s.kvs[0] = u64(1ull << 62) + "general.architecture" + u32(kStr) + gstr("llama");
        row("key length past end", s.bytes(), K::Truncated, "runs past the end");
        s = GgufSpec();
        s.kvs[0] = kv("general.architecture", kStr, u64(5000) + "llama");
        row("string value length past end", s.bytes(), K::Truncated, "general.architecture");
        s = GgufSpec();
        s.kvs[1] = kv("tokenizer.ggml.tokens", kArr, u32(kStr) + u64(1ull << 60) + gstr("a") + gstr("bc"));
        row("array count absurd", s.bytes(), K::Truncated, "cannot fit");
        s = GgufSpec();
        s.kvs[0] = kv("general.architecture", 13, gstr("llama"));
        row("unknown value type", s.bytes(), K::Malformed, "unknown value type 13");
        s = GgufSpec();
        s.kvs[1] = kv("tokenizer.ggml.tokens", kArr, u32(99) + u64(2) + gstr("a") + gstr("bc"));
        row("unknown array item type", s.bytes(), K::Malformed, "unknown value type 99");
        s = GgufSpec();
        {
            std::string deep = u32(kU32) + u64(0);
            for (int i = 0; i < 12; ++i)
                deep = u32(kArr) + u64(1) + deep;
            s.kvs.push_back(kv("deep", kArr, deep));
        }
        row("arrays nested too deep", s.bytes(), K::Malformed, "nested");
        s = GgufSpec();
        s.kvs.push_back(s.kvs[0]);
        row("duplicate key", s.bytes(), K::Malformed, "duplicate metadata key");
        s = GgufSpec();
        s.kvs.push_back(kv("general.alignment", kU32, u32(48)));
        row("alignment not a power of two", s.bytes(), K::Malformed, "power of two");
        s = GgufSpec();
        s.kvs.push_back(kv("general.alignment", kStr, gstr("32")));
        row("alignment not u32", s.bytes(), K::Malformed, "expected u32");

        s = GgufSpec();
        s.tensors[0].ne = {};
        row("0 dims", s.bytes(), K::Malformed, "0 dimensions");
        s = GgufSpec();
        s.tensors[0].ne = { 4, 2, 1, 1, 1 };
        row("5 dims", s.bytes(), K::Malformed, "5 dimensions");
        s = GgufSpec();
        s.tensors[0].ne = { 1ull << 40, 1ull << 40 };
        row("shape overflows", s.bytes(), K::Malformed, "impossibly large");
        s = GgufSpec();
        s.tensors[0].offset = 4;
        row("misaligned offset", s.bytes(), K::Malformed, "not a multiple of the alignment");
        s = GgufSpec();
        s.tensors[0].offset = 32;
        row("data past the end", s.bytes(), K::Truncated, "runs past the end");
        s = GgufSpec();
        s.tensors[0].offset = ~0ull - 31;
        row("offset near 2^64", s.bytes(), K::Truncated, "runs past the end");
        s = GgufSpec();
        s.tensors[0].ne = { 4, 1000 };
        row("tensor larger than the file", s.bytes(), K::Truncated, "runs past the end");
        s = GgufSpec();
        s.tensors[0] = { "t", { 48, 1 }, 8, 0 };
        s.data = std::string(64, '\0');
        row("q8_0 row not whole blocks", s.bytes(), K::Malformed, "not a multiple of the q8_0 block size 32");
        s = GgufSpec();
        s.tensors.push_back({ "t", { 4, 2 }, 0, 0 });
        row("duplicate tensor", s.bytes(), K::Malformed, "duplicate tensor name");
        s = GgufSpec();
        {
            // A 4-D tensor's info is 57 bytes; cut after 40 (inside ne[2]), more than the 32-byte minimum.
            s.tensors[0].ne = { 4, 2, 1, 1 };
            size_t infoStart = 24;
            for (const auto& k : s.kvs)
                infoStart += k.size();
            row("tensor info cut", s.bytes().substr(0, infoStart + 40), K::Truncated, "tensor 't'");
        }
    }
    void badInput() { vqtest::checkRefusesBytesRow<vq::GgufReader>(QStringLiteral("bad.gguf")); }

    // Every 5th header byte of a real file set to 0xff: each either opens (and then reads) or throws
    // vq::Error; under the asan preset this also proves no read leaves the file.
    void corruptHeaderBytes()
    {
        const std::string real = readAll(vqtest::dataPath("table-q8_0.gguf"));
        const uint64_t headerEnd = vq::GgufReader(vqtest::dataPath("table-q8_0.gguf")).dataOffset();
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("corrupt.gguf")).toStdString();
        vqtest::writeBytes(path, real);
        // Patch one byte in place (rewriting whole files is what takes time here).
        std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
        auto poke = [&](uint64_t pos, char c) {
            file.seekp(static_cast<std::streamoff>(pos));
            file.put(c);
            file.flush();
        };
        int opened = 0, refused = 0;
        for (uint64_t pos = 0; pos < headerEnd; pos += 5) {
            poke(pos, '\xff');
            try {
                const vq::GgufReader r(path);
                for (const auto& t : r.tensors())
                    if (t.isMatrix() && vq::isLoadableFloat(t.dtype))
                        QCOMPARE(r.readMatrix(t.name, vq::nullRunControl()).values.size(), size_t(t.elementCount()));
                r.embeddedTokens(nullptr);
                ++opened;
            } catch (const vq::Error& e) {
                QCOMPARE(e.path(), path);
                ++refused;
            }
            poke(pos, real[pos]);
        }
        // Token bytes are free text, lengths and types are not: both outcomes must occur.
        QVERIFY(opened > 100);
        QVERIFY(refused > 50);
    }

    void missingPathAndDirectory()
    {
        vqtest::checkMissingPathAndDirectory<vq::GgufReader>(QStringLiteral("missing.gguf"));
    }
};

QTEST_GUILESS_MAIN(TestGguf)
#include "tst_gguf.moc"
