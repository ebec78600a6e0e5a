#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"
#include "explore/codewordprojection.h"
#include "explore/codewordstats.h"
#include "quant/quantizedtable.h"

#include <cstdint>
#include <span>
#include <vector>

namespace vq {

struct CodewordMapOptions {
    // Rows encoded by the codebook to project with its codewords (0: none; needs the original table). Each
    // is a sampled use (array row, group) shown as what the code was chosen to approximate: the codeword
    // plus what is left of the row after the code's decode step, in that group's columns, in codeword
    // units (divided by the row's scale).
    int64_t sampleUses = 0;
    uint64_t seed = 0x5eed; // the PCA start and the sample
    int threads = 0;
    int topTokens = 5;
    std::span<const float> rowError; // empty or one per table row (the run's per-token error)
    std::span<const float> rowWeight; // empty or one per table row (token weights)
};

// The codeword map of one codebook (code array, stage, group; group -1 pools a shared codebook's groups):
// per-code statistics and every codeword (and the optional sample) projected on the codewords' own two
// principal axes.
struct CodewordMap {
    CodewordStats stats;
    PcaProjection pca;
    std::vector<float> xy; // codewords x 2
    // The sampled uses, in the order drawn: table row, group, its code, its position (x, y).
    std::vector<int64_t> sampleRows;
    std::vector<int32_t> sampleGroups;
    std::vector<int32_t> sampleCodes;
    std::vector<float> sampleXy;
};

// original: the table the run was made from (rows x dim of `table`), or null (then no sample). Throws what
// computeCodewordStats and fitPca2 throw, Error(InvalidArgument) for an original of another shape, and
// vq::Cancelled. The same inputs, seed and options give the same map whatever the thread count.
CodewordMap computeCodewordMap(const QuantizedTable& table, const Matrix* original, int array, int stage, int group,
    const CodewordMapOptions& options, RunControl& control);

// Index of the decode step that adds (array, stage) in the method's decodeSteps(); throws
// Error(InvalidArgument) when there is none.
int decodeStepOf(const QuantizedTable& table, int array, int stage);

} // namespace vq
