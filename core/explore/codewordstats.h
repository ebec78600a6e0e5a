#pragma once

#include "common/runcontrol.h"
#include "explore/codebookaccess.h"

#include <cstdint>
#include <span>
#include <vector>

namespace vq {

// What each codeword of one codebook stands for: for a code array, stage and group (or group -1: every
// group of a stage that shares one codebook), per code how often it is used, its length, and the rows
// that use it: their mean error and weight, and the most frequent of them.
struct CodewordStats {
    int array = 0;
    int stage = 0;
    int group = 0; // -1: pooled over the groups of the stage
    int64_t codewords = 0; // 2^bits
    int64_t width = 0;
    int64_t uses = 0; // codes read: array rows x groups counted
    std::vector<int64_t> usage; // per code: (row, group) pairs that pick it
    std::vector<float> norm; // per code: L2 norm of the codeword as stored
    // Per code: mean of rowError over the uses of the code (a row that uses it in two groups counts twice);
    // NaN for a dead code or without errors.
    std::vector<double> meanError;
    // Per code: mean of rowWeight over the uses; NaN for a dead code or without weights.
    std::vector<double> meanWeight;
    int topCount = 0;
    // codewords x topCount table rows using each code, most frequent first (the highest rowWeight, ties and
    // no weights: the lower row), each row once; -1 pads codes used by fewer rows.
    std::vector<int64_t> topRows;
    int64_t deadCodes = 0;
};

// rowError and rowWeight: empty, or one value per table row. Throws what CodebookAccess::checkSelection
// throws, Error(InvalidArgument) for sizes that do not match, Error(Malformed) for a code outside its
// codebook. One pass over the codes (rows x groups for a pooled selection); checks cancel per 64k rows.
CodewordStats computeCodewordStats(const CodebookAccess& access, int stage, int group, std::span<const float> rowError,
    std::span<const float> rowWeight, int topCount, RunControl& control);

// The table rows that use one code of a codebook, ascending, and in how many groups each uses it.
struct CodeMembers {
    int array = 0;
    int stage = 0;
    int group = 0; // -1: pooled
    int32_t code = 0;
    std::vector<int64_t> rows;
    std::vector<int32_t> uses; // per row: groups using the code (1 unless pooled)
    int64_t totalUses = 0;
};

// Throws as computeCodewordStats, and Error(InvalidArgument) for a code outside the codebook.
CodeMembers findCodeMembers(const CodebookAccess& access, int stage, int group, int32_t code, RunControl& control);

} // namespace vq
