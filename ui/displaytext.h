#pragma once

#include <QString>
#include <cstdint>
#include <string>
#include <vector>

namespace vq::display {

// How the UI renders core values, so every panel shows them the same way.
QString text(const std::string& utf8);
// A path as core opens it: in the file system's encoding (QFile::encodeName), not UTF-8 by assumption.
std::string filePath(const QString& path);
// "20000 × 100"; "scalar" for an empty shape.
QString shape(const std::vector<int64_t>& dims);
// "7.6 MiB" (binary units).
QString bytes(uint64_t count);
// Four significant digits, plain or scientific as QString::number('g') chooses.
QString number(double value);
// Integer without group separators, so tests and copy-paste see the same digits.
QString count(int64_t value);

} // namespace vq::display
