#include "common/error.h"
#include "io/shardedsafetensorsreader.h"
#include "npyfixture.h"
#include "safetensorsfixture.h"
#include "testutil.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <sys/stat.h>

Q_DECLARE_METATYPE(vq::ErrorKind)

namespace {

const char* const kShard1 = "model-00001-of-00002.safetensors";
const char* const kShard2 = "model-00002-of-00002.safetensors";
const char* const kIndex = "model.safetensors.index.json";

// Copies the hf-sharded fixture into dir so a test can break one file of it.
bool copyCheckpoint(const QTemporaryDir& dir)
{
    for (const char* name : { kShard1, kShard2, kIndex, "config.json", "tokenizer.json" }) {
        const std::string from = vqtest::dataPath(std::string("hf-sharded/") + name);
        if (!vqtest::writeAll(dir.filePath(QString::fromLatin1(name)).toStdString(), vqtest::readAll(from)))
            return false;
    }
    return true;
}

} // namespace

class TestShardedSafetensors : public QObject {
    Q_OBJECT
private slots:
    void listsTensorsFromAllShards()
    {
        const std::string index = vqtest::dataPath("hf-sharded/model.safetensors.index.json");
        vq::ShardedSafetensorsReader r(index);
        QCOMPARE(r.formatName(), std::string("safetensors (sharded)"));
        QCOMPARE(r.path(), index);
        const auto& t = r.tensors();
        QCOMPARE(t.size(), size_t(2));
        QCOMPARE(t[0].name, std::string("model.norm.weight"));
        QCOMPARE(t[0].dtype, vq::DType::F32);
        QCOMPARE(t[0].shape, (std::vector<int64_t> { 100 }));
        QCOMPARE(t[0].file, vqtest::dataPath(std::string("hf-sharded/") + kShard1));
        QCOMPARE(t[1].name, std::string("model.embed_tokens.weight"));
        QCOMPARE(t[1].dtype, vq::DType::F32);
        QCOMPARE(t[1].shape, (std::vector<int64_t> { 512, 100 }));
        QCOMPARE(t[1].byteSize, uint64_t(204800));
        QCOMPARE(t[1].file, vqtest::dataPath(std::string("hf-sharded/") + kShard2));
        QCOMPARE(r.shardPaths().size(), size_t(2));
        QCOMPARE(r.shardOf("model.embed_tokens.weight").path(), t[1].file);

        // index metadata first, then the shards' __metadata__
        const auto& m = r.metadata();
        QCOMPARE(m.size(), size_t(2));
        QCOMPARE(m[0].key, std::string("total_size"));
        QCOMPARE(m[0].type, std::string("int"));
        QCOMPARE(m[0].value, std::string("205200"));
        QCOMPARE(m[1].key, std::string("format"));
        QCOMPARE(m[1].value, std::string("pt"));
    }

    void embeddingEqualsReference()
    {
        vq::ShardedSafetensorsReader r(vqtest::dataPath("hf-sharded/model.safetensors.index.json"));
        const vq::Matrix m = r.readMatrix("model.embed_tokens.weight", vq::nullRunControl());
        const vqtest::NpyF32 reference = vqtest::readNpyF32(vqtest::dataPath("reference-512x100-f32.npy"));
        QCOMPARE(m.rows, int64_t(512));
        QCOMPARE(m.cols, int64_t(100));
        QCOMPARE(m.values.size(), reference.values.size());
        QVERIFY(std::memcmp(m.values.data(), reference.values.data(), m.values.size() * sizeof(float)) == 0);
    }

    void readErrorsNameTheRightFile()
    {
        const std::string index = vqtest::dataPath("hf-sharded/model.safetensors.index.json");
        vq::ShardedSafetensorsReader r(index);
        try {
            r.readMatrix("model.norm.weight", vq::nullRunControl());
            QFAIL("read a 1-D tensor as a matrix");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::InvalidArgument);
            QCOMPARE(e.path(), vqtest::dataPath(std::string("hf-sharded/") + kShard1));
        }
        try {
            r.readMatrix("lm_head.weight", vq::nullRunControl());
            QFAIL("read a tensor that is not there");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::NotFound);
            QCOMPARE(e.path(), index);
        }
    }

    void brokenCheckpointsAreRefused_data()
    {
        QTest::addColumn<QString>("change");
        QTest::addColumn<vq::ErrorKind>("kind");
        QTest::addColumn<QString>("blamed"); // the file the error names as its path
        QTest::addColumn<QString>("mentioned"); // text the message must contain
        using K = vq::ErrorKind;
        const QString index = QString::fromLatin1(kIndex);
        const QString shard2 = QString::fromLatin1(kShard2);
        QTest::newRow("missing shard") << QStringLiteral("delete shard 2") << K::NotFound << index << shard2;
        QTest::newRow("truncated shard") << QStringLiteral("truncate shard 2") << K::Truncated << shard2 << QString();
        QTest::newRow("shard is a directory")
            << QStringLiteral("shard 2 is a directory") << K::Unreadable << shard2 << QString();
        QTest::newRow("tensor not in its shard")
            << QStringLiteral("{\"weight_map\":{\"model.embed_tokens.weight\":\"model-00001-of-00002.safetensors\"}}")
            << K::Malformed << index << QString::fromLatin1(kShard1);
        QTest::newRow("missing index") << QStringLiteral("delete index") << K::NotFound << index << QString();
        QTest::newRow("empty index") << QString() << K::Empty << index << QString();
        QTest::newRow("index not JSON") << QStringLiteral("weight_map:") << K::Malformed << index << QString();
        QTest::newRow("index is an array") << QStringLiteral("[]") << K::Malformed << index << QString();
        QTest::newRow("no weight_map") << QStringLiteral("{\"metadata\":{}}") << K::Malformed << index
                                       << QStringLiteral("weight_map");
        QTest::newRow("weight_map not an object")
            << QStringLiteral("{\"weight_map\":[\"a\"]}") << K::Malformed << index << QStringLiteral("weight_map");
        QTest::newRow("empty weight_map")
            << QStringLiteral("{\"weight_map\":{}}") << K::Malformed << index << QStringLiteral("empty");
        QTest::newRow("shard name not a string")
            << QStringLiteral("{\"weight_map\":{\"model.norm.weight\":1}}") << K::Malformed << index << QString();
        QTest::newRow("absolute shard path")
            << QStringLiteral("{\"weight_map\":{\"model.norm.weight\":\"/etc/passwd\"}}") << K::Malformed << index
            << QStringLiteral("/etc/passwd");
        QTest::newRow("shard outside the folder")
            << QStringLiteral("{\"weight_map\":{\"model.norm.weight\":\"../model-00001-of-00002.safetensors\"}}")
            << K::Malformed << index << QString();
        QTest::newRow("metadata not an object") << QStringLiteral(
            "{\"metadata\":3,\"weight_map\":{\"model.norm.weight\":\"model-00001-of-00002.safetensors\"}}")
                                                << K::Malformed << index << QStringLiteral("metadata");
    }
    void brokenCheckpointsAreRefused()
    {
        QFETCH(QString, change);
        QFETCH(vq::ErrorKind, kind);
        QFETCH(QString, blamed);
        QFETCH(QString, mentioned);
        QTemporaryDir dir;
        QVERIFY(copyCheckpoint(dir));
        const std::string index = dir.filePath(QString::fromLatin1(kIndex)).toStdString();
        const std::string shard2 = dir.filePath(QString::fromLatin1(kShard2)).toStdString();
        if (change == QStringLiteral("delete shard 2")) {
            QVERIFY(QFile::remove(QString::fromStdString(shard2)));
        } else if (change == QStringLiteral("truncate shard 2")) {
            QVERIFY(vqtest::writeAll(shard2, vqtest::readAll(shard2).left(20000)));
        } else if (change == QStringLiteral("shard 2 is a directory")) {
            QVERIFY(QFile::remove(QString::fromStdString(shard2)));
            QVERIFY(::mkdir(shard2.c_str(), 0755) == 0);
        } else if (change == QStringLiteral("delete index")) {
            QVERIFY(QFile::remove(QString::fromStdString(index)));
        } else {
            QVERIFY(vqtest::writeAll(index, change.toUtf8()));
        }
        try {
            vq::ShardedSafetensorsReader r(index);
            QFAIL("opened a broken checkpoint");
        } catch (const vq::Error& e) {
            QCOMPARE(vq::nameOf(e.kind()), vq::nameOf(kind));
            QCOMPARE(e.path(), dir.filePath(blamed).toStdString());
            QVERIFY2(QString::fromStdString(e.message()).contains(mentioned), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestShardedSafetensors)
#include "tst_shardedsafetensors.moc"
