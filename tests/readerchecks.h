#pragma once

// Helpers shared by the format readers' tests (GGUF, HDF5): raw file bytes, bit-exact comparison,
// lookups in a reader's listing, and the checks every reader must pass on a path that is not a file.
#include "common/error.h"
#include "io/tensorreader.h"
#include "testutil.h"

#include <QByteArray>
#include <QString>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

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
    std::ifstream vocab(sharedPath("glove-20k.vocab.txt"));
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
