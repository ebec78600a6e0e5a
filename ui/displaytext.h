#pragma once

#include <QString>
#include <cstdint>
#include <string>
#include <vector>

namespace vq {
struct QuantSpec;
struct RunRecord;
} // namespace vq

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
// A token string between visible quotes, with control characters, quotes and backslashes escaped (C
// style), so " ", "\n" and "\"" can be told apart.
QString quotedToken(const std::string& token);
// A spec as every view labels it: core's specLabel ("pq d4 8-bit").
QString specLabel(const QuantSpec& spec);
// A run as every view names it: its name, else the label of its spec.
QString runName(const RunRecord& record);
// runName made safe as a file name stem ("pq-d4-8-bit"); "run" when nothing is left.
QString fileStem(const RunRecord& record);

} // namespace vq::display
