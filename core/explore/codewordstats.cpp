#include "explore/codewordstats.h"

#include "common/error.h"

#include <cmath>
#include <limits>
#include <string>

namespace vq {

namespace {

constexpr int64_t kCancelRows = 65536;

void checkPerRow(std::span<const float> values, int64_t rows, const char* what)
{
    if (!values.empty() && values.size() != static_cast<size_t>(rows))
        throw Error(ErrorKind::InvalidArgument, "",
            std::string("codeword statistics: ") + std::to_string(values.size()) + " " + what + " for a table of "
                + std::to_string(rows) + " rows");
}

// Calls fn(arrayRow, group) for every use of the selection, rows outermost, groups ascending.
template <typename Fn> void forEachUse(const CodebookAccess& access, int stage, int group, RunControl& control, Fn&& fn)
{
    const int g0 = group < 0 ? 0 : group;
    const int g1 = group < 0 ? access.groups() : group + 1;
    for (int64_t r = 0; r < access.arrayRows(); ++r) {
        if (r % kCancelRows == 0)
            control.throwIfCancelled();
        for (int g = g0; g < g1; ++g)
            fn(r, g, access.code(r, stage, g));
    }
}

} // namespace

CodewordStats computeCodewordStats(const CodebookAccess& access, int stage, int group, std::span<const float> rowError,
    std::span<const float> rowWeight, int topCount, RunControl& control)
{
    access.checkSelection(stage, group, true);
    const int64_t rows = access.table().rows;
    checkPerRow(rowError, rows, "row errors");
    checkPerRow(rowWeight, rows, "row weights");
    if (topCount < 0)
        throw Error(ErrorKind::InvalidArgument, "", "codeword statistics: negative token count");

    CodewordStats s;
    s.array = access.arrayIndex();
    s.stage = stage;
    s.group = group;
    s.codewords = access.codewords();
    s.width = access.width();
    s.topCount = topCount;
    const auto k = static_cast<size_t>(s.codewords);
    s.usage.assign(k, 0);
    s.norm.resize(k);
    std::vector<double> errorSum(k, 0.0), weightSum(k, 0.0);
    s.topRows.assign(k * static_cast<size_t>(topCount), -1);
    std::vector<int64_t> lastRow(k, -1);
    const size_t top = static_cast<size_t>(topCount);

    forEachUse(access, stage, group, control, [&](int64_t r, int, int32_t c) {
        const auto code = static_cast<size_t>(c);
        const int64_t t = access.tableRow(r);
        ++s.usage[code];
        if (!rowError.empty())
            errorSum[code] += rowError[static_cast<size_t>(t)];
        const float w = rowWeight.empty() ? 0.0f : rowWeight[static_cast<size_t>(t)];
        if (!rowWeight.empty())
            weightSum[code] += w;
        if (top == 0 || lastRow[code] == t)
            return; // a row using the code in several groups is listed once
        lastRow[code] = t;
        // Insert into the code's list, kept sorted by weight (descending) then row (rows come ascending,
        // so an equal weight goes after the rows already there).
        int64_t* list = s.topRows.data() + code * top;
        size_t pos = top;
        for (size_t i = 0; i < top; ++i) {
            if (list[i] < 0 || (!rowWeight.empty() && w > rowWeight[static_cast<size_t>(list[i])])) {
                pos = i;
                break;
            }
        }
        if (pos == top)
            return;
        for (size_t i = top - 1; i > pos; --i)
            list[i] = list[i - 1];
        list[pos] = t;
    });

    const double nan = std::numeric_limits<double>::quiet_NaN();
    s.meanError.assign(k, nan);
    s.meanWeight.assign(k, nan);
    const int g = group < 0 ? 0 : group;
    for (size_t c = 0; c < k; ++c) {
        const float* cw = access.codeword(stage, g, static_cast<int32_t>(c));
        double n2 = 0;
        for (int64_t j = 0; j < s.width; ++j)
            n2 += static_cast<double>(cw[j]) * cw[j];
        s.norm[c] = static_cast<float>(std::sqrt(n2));
        s.uses += s.usage[c];
        if (s.usage[c] == 0) {
            ++s.deadCodes;
            continue;
        }
        const auto n = static_cast<double>(s.usage[c]);
        if (!rowError.empty())
            s.meanError[c] = errorSum[c] / n;
        if (!rowWeight.empty())
            s.meanWeight[c] = weightSum[c] / n;
    }
    return s;
}

CodeMembers findCodeMembers(const CodebookAccess& access, int stage, int group, int32_t code, RunControl& control)
{
    access.checkSelection(stage, group, true);
    if (code < 0 || code >= access.codewords())
        throw Error(ErrorKind::InvalidArgument, "",
            "code " + std::to_string(code) + " outside a codebook of " + std::to_string(access.codewords()));
    CodeMembers m;
    m.array = access.arrayIndex();
    m.stage = stage;
    m.group = group;
    m.code = code;
    forEachUse(access, stage, group, control, [&](int64_t r, int, int32_t c) {
        if (c != code)
            return;
        const int64_t t = access.tableRow(r);
        if (!m.rows.empty() && m.rows.back() == t) {
            ++m.uses.back();
        } else {
            m.rows.push_back(t);
            m.uses.push_back(1);
        }
        ++m.totalUses;
    });
    return m;
}

} // namespace vq
