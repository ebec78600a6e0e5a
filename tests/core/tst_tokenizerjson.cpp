#include "common/error.h"
#include "io/embeddingloader.h"
#include "safetensorsfixture.h"
#include "testutil.h"

#include <QTemporaryDir>
#include <QTest>

#include <fstream>
#include <sys/stat.h>

Q_DECLARE_METATYPE(vq::ErrorKind)

class TestTokenizerJson : public QObject {
    Q_OBJECT
private slots:
    void wordLevelFixtureGivesTheTableWords()
    {
        const std::vector<std::string> tokens = vq::readTokenizerJson(vqtest::dataPath("hf-sharded/tokenizer.json"));
        QCOMPARE(tokens.size(), size_t(512));
        // the fixture holds the first 512 rows of the GloVe table: token i is line i of its vocab file
        std::ifstream vocab(vqtest::samplePath("glove-20k.vocab.txt"));
        QVERIFY(vocab.good());
        std::string line;
        for (size_t i = 0; i < tokens.size(); ++i) {
            QVERIFY(std::getline(vocab, line));
            QCOMPARE(tokens[i], line);
        }
        QCOMPARE(tokens[0], std::string("the"));
        QCOMPARE(tokens[7], std::string("\""));
        QCOMPARE(tokens[100], std::string("since"));
        QCOMPARE(tokens[511], std::string("workers"));
    }

    void vocabularyKinds_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("BPE with gaps and an added token")
            << QByteArray(R"({"model":{"type":"BPE","vocab":{"a":0,"c":2,"\u0120b":1}},)"
                          R"("added_tokens":[{"id":5,"content":"<|eot|>","special":true}]})")
            << QStringList { QStringLiteral("a"), QStringLiteral("\u0120b"), QStringLiteral("c"), QString(), QString(),
                   QStringLiteral("<|eot|>") };
        QTest::newRow("Unigram list of pairs")
            << QByteArray(R"({"model":{"type":"Unigram","vocab":[["<unk>",0.0],["\u2581the",-2.5],["x",-9]]},)"
                          R"("added_tokens":[{"id":3,"content":"<mask>"}]})")
            << QStringList { QStringLiteral("<unk>"), QStringLiteral("\u2581the"), QStringLiteral("x"),
                   QStringLiteral("<mask>") };
        QTest::newRow("added token replaces the vocab's spelling")
            << QByteArray(R"({"model":{"vocab":{"[PAD]":0,"hello":1}},"added_tokens":[{"id":0,"content":"<pad>"}]})")
            << QStringList { QStringLiteral("<pad>"), QStringLiteral("hello") };
        QTest::newRow("null added_tokens")
            << QByteArray(R"({"model":{"vocab":{"z":0}},"added_tokens":null})") << QStringList { QStringLiteral("z") };
    }
    void vocabularyKinds()
    {
        QFETCH(QByteArray, json);
        QFETCH(QStringList, expected);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("tokenizer.json")).toStdString();
        QVERIFY(vqtest::writeAll(path, json));
        const std::vector<std::string> tokens = vq::readTokenizerJson(path);
        QStringList got;
        for (const std::string& t : tokens)
            got << QString::fromStdString(t);
        QCOMPARE(got, expected);
    }

    void badFilesAreRefused_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<vq::ErrorKind>("kind");
        using K = vq::ErrorKind;
        QTest::newRow("empty file") << QByteArray() << K::Empty;
        QTest::newRow("not JSON") << QByteArray("{\"model\": ") << K::Malformed;
        QTest::newRow("a list") << QByteArray("[]") << K::Malformed;
        QTest::newRow("no model") << QByteArray(R"({"version":"1.0"})") << K::Malformed;
        QTest::newRow("model not an object") << QByteArray(R"({"model":"BPE"})") << K::Malformed;
        QTest::newRow("no vocab") << QByteArray(R"({"model":{"type":"BPE"}})") << K::Malformed;
        QTest::newRow("vocab a string") << QByteArray(R"({"model":{"vocab":"a b c"}})") << K::Malformed;
        QTest::newRow("negative id") << QByteArray(R"({"model":{"vocab":{"a":-1}}})") << K::Malformed;
        QTest::newRow("fractional id") << QByteArray(R"({"model":{"vocab":{"a":1.5}}})") << K::Malformed;
        QTest::newRow("id as string") << QByteArray(R"({"model":{"vocab":{"a":"0"}}})") << K::Malformed;
        QTest::newRow("huge id") << QByteArray(R"({"model":{"vocab":{"a":4000000000}}})") << K::Malformed;
        QTest::newRow("unigram entry not a pair") << QByteArray(R"({"model":{"vocab":[["a",0],"b"]}})") << K::Malformed;
        QTest::newRow("unigram token not a string") << QByteArray(R"({"model":{"vocab":[[1,0]]}})") << K::Malformed;
        QTest::newRow("added_tokens not a list")
            << QByteArray(R"({"model":{"vocab":{"a":0}},"added_tokens":{"id":1}})") << K::Malformed;
        QTest::newRow("added token without id")
            << QByteArray(R"({"model":{"vocab":{"a":0}},"added_tokens":[{"content":"<s>"}]})") << K::Malformed;
        QTest::newRow("added token content not a string")
            << QByteArray(R"({"model":{"vocab":{"a":0}},"added_tokens":[{"id":1,"content":7}]})") << K::Malformed;
    }
    void badFilesAreRefused()
    {
        QFETCH(QByteArray, json);
        QFETCH(vq::ErrorKind, kind);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("tokenizer.json")).toStdString();
        QVERIFY(vqtest::writeAll(path, json));
        try {
            vq::readTokenizerJson(path);
            QFAIL("read a bad tokenizer");
        } catch (const vq::Error& e) {
            QCOMPARE(vq::nameOf(e.kind()), vq::nameOf(kind));
            QCOMPARE(e.path(), path);
        }
    }

    // Two strings on one id: refused, the first three collisions named, the rest counted.
    void idCollisionsAreRefused()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("tokenizer.json")).toStdString();
        QVERIFY(vqtest::writeAll(path, R"({"model":{"vocab":{"a":0,"b":1,"c":1,"d":2,"e":0,"f":2,"g":2,"h":3}}})"));
        try {
            vq::readTokenizerJson(path);
            QFAIL("read a vocabulary with two tokens on one id");
        } catch (const vq::Error& e) {
            QCOMPARE(vq::nameOf(e.kind()), vq::nameOf(vq::ErrorKind::Malformed));
            QCOMPARE(e.path(), path);
            QCOMPARE(e.message(),
                std::string(R"(model.vocab gives 4 tokens an id already taken (id 1: "b" and "c"; )"
                            R"(id 0: "a" and "e"; id 2: "d" and "f"; ...))"));
        }
    }

    void unusablePathsAreRefused()
    {
        QTemporaryDir dir;
        const std::string missing = dir.filePath(QStringLiteral("tokenizer.json")).toStdString();
        try {
            vq::readTokenizerJson(missing);
            QFAIL("read a missing file");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::NotFound);
            QCOMPARE(e.path(), missing);
        }
        QVERIFY(::mkdir(missing.c_str(), 0755) == 0);
        try {
            vq::readTokenizerJson(missing);
            QFAIL("read a directory");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::Unreadable);
            QCOMPARE(e.path(), missing);
        }
    }
};

QTEST_GUILESS_MAIN(TestTokenizerJson)
#include "tst_tokenizerjson.moc"
