#pragma once

// Builds safetensors files byte by byte for the readers' bad-input tests: the bytes on disk are exactly
// what the test says, including headers no correct writer would produce.
#include <QByteArray>
#include <QFile>

#include <cstdint>
#include <string>

namespace vqtest {

// 8-byte little-endian length of headerJson, headerJson, data.
inline QByteArray makeSafetensors(const QByteArray& headerJson, const QByteArray& data)
{
    QByteArray out;
    uint64_t n = static_cast<uint64_t>(headerJson.size());
    for (int i = 0; i < 8; ++i) {
        out.append(static_cast<char>(n & 0xffu));
        n >>= 8;
    }
    return out + headerJson + data;
}

inline QByteArray readAll(const std::string& path)
{
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

inline bool writeAll(const std::string& path, const QByteArray& bytes)
{
    QFile f(QString::fromStdString(path));
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

} // namespace vqtest
