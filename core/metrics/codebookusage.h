#pragma once

#include "common/runcontrol.h"

#include <cstdint>
#include <span>
#include <vector>

namespace vq {

// Where the codes of a quantized table sit in a flat array: one code per (row, group, stage), code
// (t, g, s) at index t * rowStride + g * groupStride + s * stageStride. The default strides (0) mean
// row-major [rows][groups][stages]. "Stage" is a residual stage (RVQ) or an additive codebook (AQLM);
// "group" a sub-vector position along the row. Each code indexes a codebook of 2^bits entries.
struct CodeLayout {
    int64_t rows = 0;
    int groups = 1;
    int stages = 1;
    int bits = 8; // 1..24
    // true: all groups of a stage index one codebook (AQLM); false: one codebook per (stage, group).
    bool sharedAcrossGroups = false;
    int64_t rowStride = 0;
    int64_t groupStride = 0;
    int64_t stageStride = 0;
};

// How often each entry of one codebook (or one codebook's use in one group) is picked.
struct CodeUsage {
    int stage = 0;
    int group = -1; // -1: pooled over all groups of the stage
    std::vector<int64_t> counts; // 2^bits entries
    int64_t total = 0; // sum of counts
    double entropyBits = 0; // H = -sum p log2 p over codes with p > 0
    double perplexity = 1; // 2^H: the number of equally used codes that would give the same H
    double entropyRatio = 0; // H / bits: 1 when every code is used equally
    // Codes with count 0. For a per-(stage, group) codebook they are wasted entries; with shared
    // codebooks a code unused in one group may be used in another, so the pooled list is the waste.
    std::vector<int32_t> deadCodes;
};

struct CodebookUsage {
    CodeLayout layout;
    std::vector<CodeUsage> perGroup; // stages * groups, index s * groups + g
    std::vector<CodeUsage> pooled; // one per stage, over all groups and rows

    const CodeUsage& at(int stage, int group) const
    {
        return perGroup[static_cast<size_t>(stage) * static_cast<size_t>(layout.groups) + static_cast<size_t>(group)];
    }
};

// Counts the codes. Throws Error(InvalidArgument) when the layout is inconsistent (sizes, strides
// pointing past the array, bits outside 1..24) or a code lies outside [0, 2^bits), naming the first
// such code. OpenMP over (stage, group); progress stage "codebook usage"; throws vq::Cancelled.
// Memory: (stages * groups + stages) * 2^bits counters.
CodebookUsage computeCodebookUsage(std::span<const uint32_t> codes, const CodeLayout& layout, RunControl& control);
CodebookUsage computeCodebookUsage(std::span<const int32_t> codes, const CodeLayout& layout, RunControl& control);

// The layout with its strides filled in (the defaults when all three are 0), checked against an array of
// `codes` codes: throws Error(InvalidArgument) as computeCodebookUsage() does for an inconsistent layout.
CodeLayout resolveCodeLayout(CodeLayout layout, size_t codes);

// Entropy in bits of a count vector (0 for an all-zero vector).
double entropyBits(std::span<const int64_t> counts);

} // namespace vq
