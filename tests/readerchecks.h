#pragma once

// Helpers shared by the format readers' tests (GGUF, HDF5): raw file bytes, bit-exact comparison,
// lookups in a reader's listing, the checks every reader must pass on a path that is not a file or on
// bad bytes (a data-driven table), read errors and cancellation.
#include "common/error.h"
#include "common/runcontrol.h"
#include "io/tensorreader.h"
#include "testutil.h"

#include <QByteArray>
#include <QMetaType>
#include <QString>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

Q_DECLARE_METATYPE(vq::ErrorKind)

namespace vqtest {

// QCOMPARE on vq enums directly would find vq::toString by argument-dependent lookup and free its
// static string; compare their names instead.
inline QString name(vq::ErrorKind kind)
{
    return QString::fromLatin1(vq::nameOf(kind));
}
inline QString name(vq::DType dtype)
{
    return QString::fromLatin1(vq::nameOf(dtype));
}

inline bool sameBits(const std::vector<float>& a, const std::vector<float>& b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

inline std::string readAll(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void writeBytes(const std::string& path, const std::string& bytes)
{
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The listed tensor or metadata entry with that name, or nullptr.
inline const vq::TensorInfo* findTensor(const vq::TensorReader& r, const std::string& name)
{
    for (const auto& t : r.tensors())
        if (t.name == name)
            return &t;
    return nullptr;
}
inline const vq::MetadataEntry* findKey(const vq::TensorReader& r, const std::string& key)
{
    for (const auto& m : r.metadata())
        if (m.key == key)
            return &m;
    return nullptr;
}

// Expects tokens to be the first `count` lines of the GloVe vocabulary, the fixtures' tokens.
inline void checkGloveTokens(const std::vector<std::string>& tokens, size_t count)
{
    QCOMPARE(tokens.size(), count);
    std::ifstream vocab(samplePath("glove-20k.vocab.txt"));
    std::string line;
    for (size_t i = 0; i < count; ++i) {
        QVERIFY(std::getline(vocab, line));
        QCOMPARE(tokens[i], line);
    }
}

// Writes bytes to fileName in a new temporary folder and expects opening it with Reader to throw a
// vq::Error of that kind that names the file and whose message contains `mentions`.
template <class Reader>
void checkRefusesBytes(const QString& fileName, const QByteArray& bytes, vq::ErrorKind kind, const QString& mentions)
{
    QTemporaryDir dir;
    const std::string path = dir.filePath(fileName).toStdString();
    writeBytes(path, std::string(bytes.constData(), static_cast<size_t>(bytes.size())));
    try {
        const Reader r(path);
        QFAIL("opened without an error");
    } catch (const vq::Error& e) {
        QCOMPARE(e.path(), path);
        QVERIFY2(e.kind() == kind, e.what());
        QVERIFY2(e.message().find(mentions.toStdString()) != std::string::npos, e.what());
    }
}

// The columns of a bad-input table for checkRefusesBytesRow(): bytes, kind and mentions (a piece of
// the message). Call from a _data() slot.
inline void addBadInputColumns()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<vq::ErrorKind>("kind");
    QTest::addColumn<QString>("mentions");
}

// One row of that table.
inline void addBadInputRow(const std::string& name, const std::string& bytes, vq::ErrorKind kind, const char* mentions)
{
    QTest::newRow(name.c_str()) << QByteArray(bytes.data(), qsizetype(bytes.size())) << kind
                                << QString::fromLatin1(mentions);
}

// checkRefusesBytes<Reader>(fileName, ...) on the current row of that table. Call from the test slot.
template <class Reader> void checkRefusesBytesRow(const QString& fileName)
{
    QFETCH(QByteArray, bytes);
    QFETCH(vq::ErrorKind, kind);
    QFETCH(QString, mentions);
    checkRefusesBytes<Reader>(fileName, bytes, kind, mentions);
}

// The kind of the vq::Error that reading tensor `tensor` throws; Cancelled when the read does not throw.
inline vq::ErrorKind readErrorKind(const vq::TensorReader& r, const std::string& tensor)
{
    try {
        r.readMatrix(tensor, vq::nullRunControl());
    } catch (const vq::Error& e) {
        return e.kind();
    }
    return vq::ErrorKind::Cancelled; // "did not throw"
}

// Reads `tensor` on `threads` threads (0: OpenMP's default), cancelling at the first progress report
// above 0: expects vq::Cancelled after exactly two reports, the start and the first chunk (the other
// chunks skipped). Uses QtTest macros: call it from a test slot.
inline void checkCancelsAfterFirstChunk(const vq::TensorReader& r, const std::string& tensor, int threads = 0)
{
    vq::RunControl cancelling;
    cancelling.threads = threads;
    std::atomic<int> reports { 0 };
    cancelling.setProgressCallback([&](std::string_view, double f) {
        ++reports;
        if (f > 0.0)
            cancelling.cancel();
    });
    QVERIFY_THROWS_EXCEPTION(vq::Cancelled, r.readMatrix(tensor, cancelling));
    QCOMPARE(reports.load(), 2);
}

// Opening a missing file (fileName in an empty folder) throws NotFound; opening a folder, Unreadable.
// Uses QtTest macros: call it from a test slot.
template <class Reader> void checkMissingPathAndDirectory(const QString& fileName)
{
    QTemporaryDir dir;
    try {
        Reader r(dir.filePath(fileName).toStdString());
        QFAIL("opened a missing file");
    } catch (const vq::Error& e) {
        QCOMPARE(name(e.kind()), name(vq::ErrorKind::NotFound));
    }
    try {
        Reader r(dir.path().toStdString());
        QFAIL("opened a directory");
    } catch (const vq::Error& e) {
        QCOMPARE(name(e.kind()), name(vq::ErrorKind::Unreadable));
    }
}

} // namespace vqtest
