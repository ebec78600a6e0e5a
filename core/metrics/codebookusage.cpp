#include "metrics/codebookusage.h"

#include "common/error.h"
#include "metrics/parallel.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace vq {

namespace {

constexpr const char* kStage = "codebook usage";
constexpr int64_t kTileRows = 256;

Error layoutError(const std::string& what)
{
    return Error(ErrorKind::InvalidArgument, "", "codebook usage: " + what);
}

} // namespace

CodeLayout resolveCodeLayout(CodeLayout l, size_t size)
{
    if (l.rows < 0 || l.groups < 1 || l.stages < 1)
        throw layoutError("rows must be >= 0 and groups, stages >= 1 (got " + std::to_string(l.rows) + ", "
            + std::to_string(l.groups) + ", " + std::to_string(l.stages) + ")");
    if (l.bits < 1 || l.bits > 24)
        throw layoutError("bits per code must be in 1..24 (got " + std::to_string(l.bits) + ")");
    if (l.rowStride == 0 && l.groupStride == 0 && l.stageStride == 0) {
        l.stageStride = 1;
        l.groupStride = l.stages;
        l.rowStride = static_cast<int64_t>(l.groups) * l.stages;
    }
    if (l.rowStride < 0 || l.groupStride < 0 || l.stageStride < 0)
        throw layoutError("strides must be >= 0");
    if (l.rows > 0) {
        const int64_t last
            = (l.rows - 1) * l.rowStride + (l.groups - 1) * l.groupStride + (l.stages - 1) * l.stageStride;
        if (last >= static_cast<int64_t>(size))
            throw layoutError("the layout reaches index " + std::to_string(last) + " of an array of "
                + std::to_string(size) + " codes");
    }
    return l;
}

namespace {

void summarise(CodeUsage& u, int bits)
{
    u.total = 0;
    for (int64_t c : u.counts)
        u.total += c;
    u.entropyBits = entropyBits(u.counts);
    u.perplexity = std::exp2(u.entropyBits);
    u.entropyRatio = u.entropyBits / bits;
    u.deadCodes.clear();
    for (size_t c = 0; c < u.counts.size(); ++c)
        if (u.counts[c] == 0)
            u.deadCodes.push_back(static_cast<int32_t>(c));
}

template <typename T> CodebookUsage compute(std::span<const T> codes, const CodeLayout& in, RunControl& control)
{
    const CodeLayout l = resolveCodeLayout(in, codes.size());
    const size_t entries = size_t(1) << l.bits;
    const int pairs = l.stages * l.groups;

    CodebookUsage out;
    out.layout = in;
    out.perGroup.resize(static_cast<size_t>(pairs));
    out.pooled.resize(static_cast<size_t>(l.stages));
    // First bad code per pair, as a flat index into codes (-1: none), reported after the loop.
    std::vector<int64_t> badIndex(static_cast<size_t>(pairs), -1);
    control.report(kStage, 0);

    for (int p = 0; p < pairs; ++p) {
        CodeUsage& u = out.perGroup[static_cast<size_t>(p)];
        u.stage = p / l.groups;
        u.group = p % l.groups;
    }
    // Each thread owns a contiguous range of (stage, group) pairs and walks the rows in tiles, so the
    // codes of one row are read together instead of once per pair with a stride of a whole row.
    const int threads = std::max(1, std::min(detail::metricThreads(control), pairs));
#pragma omp parallel num_threads(threads)
    {
        const int team = omp_get_num_threads();
        const int id = omp_get_thread_num();
        const int p0 = static_cast<int>(static_cast<int64_t>(pairs) * id / team);
        const int p1 = static_cast<int>(static_cast<int64_t>(pairs) * (id + 1) / team);
        for (int p = p0; p < p1; ++p)
            out.perGroup[static_cast<size_t>(p)].counts.assign(entries, 0);
        for (int64_t t0 = 0; t0 < l.rows && !control.cancelled(); t0 += kTileRows) {
            const int64_t t1 = std::min(l.rows, t0 + kTileRows);
            for (int p = p0; p < p1; ++p) {
                if (badIndex[static_cast<size_t>(p)] >= 0)
                    continue;
                int64_t* counts = out.perGroup[static_cast<size_t>(p)].counts.data();
                const int64_t base = (p % l.groups) * l.groupStride + (p / l.groups) * l.stageStride;
                for (int64_t t = t0; t < t1; ++t) {
                    const int64_t idx = base + t * l.rowStride;
                    // Through int64 so that negative int32 codes fail the range check.
                    const int64_t c = static_cast<int64_t>(codes[static_cast<size_t>(idx)]);
                    if (c < 0 || c >= static_cast<int64_t>(entries)) {
                        badIndex[static_cast<size_t>(p)] = idx;
                        break;
                    }
                    ++counts[c];
                }
            }
            if (id == 0)
                control.report(kStage, static_cast<double>(t1) / static_cast<double>(l.rows));
        }
        for (int p = p0; p < p1; ++p)
            summarise(out.perGroup[static_cast<size_t>(p)], l.bits);
    }
    control.throwIfCancelled();

    for (int p = 0; p < pairs; ++p) {
        const int64_t idx = badIndex[static_cast<size_t>(p)];
        if (idx >= 0)
            throw layoutError("code " + std::to_string(static_cast<int64_t>(codes[static_cast<size_t>(idx)]))
                + " at index " + std::to_string(idx) + " (stage " + std::to_string(p / l.groups) + ", group "
                + std::to_string(p % l.groups) + ") is outside [0, " + std::to_string(entries) + ")");
    }

    for (int s = 0; s < l.stages; ++s) {
        CodeUsage& u = out.pooled[static_cast<size_t>(s)];
        u.stage = s;
        u.group = -1;
        u.counts.assign(entries, 0);
        for (int g = 0; g < l.groups; ++g) {
            const std::vector<int64_t>& c = out.perGroup[static_cast<size_t>(s * l.groups + g)].counts;
            for (size_t e = 0; e < entries; ++e)
                u.counts[e] += c[e];
        }
        summarise(u, l.bits);
    }
    return out;
}

} // namespace

double entropyBits(std::span<const int64_t> counts)
{
    int64_t total = 0;
    for (int64_t c : counts)
        total += c;
    if (total <= 0)
        return 0;
    // H = log2(N) - (1/N) sum c log2 c: one log per used code, no division inside the loop.
    double sumClogC = 0;
    for (int64_t c : counts)
        if (c > 0)
            sumClogC += static_cast<double>(c) * std::log2(static_cast<double>(c));
    const double n = static_cast<double>(total);
    const double h = std::log2(n) - sumClogC / n;
    return h > 0 ? h : 0; // rounding can leave -1e-16 for a single used code
}

CodebookUsage computeCodebookUsage(std::span<const uint32_t> codes, const CodeLayout& layout, RunControl& control)
{
    return compute(codes, layout, control);
}

CodebookUsage computeCodebookUsage(std::span<const int32_t> codes, const CodeLayout& layout, RunControl& control)
{
    return compute(codes, layout, control);
}

} // namespace vq
