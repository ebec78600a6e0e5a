#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"

#include <cstdint>

namespace vq {

// Parameters of a seeded, LLM-shaped random table: heavy-tailed row norms, a few outlier dimensions,
// correlated dimensions (low-rank structure plus noise), and rare-token rows clustered near a common
// mean (the tail of the vocabulary that training barely moved).
struct SyntheticSpec {
    int64_t rows = 32000;
    int64_t dim = 4096;
    uint64_t seed = 1;
    int rank = 64; // shared low-rank directions that correlate the dimensions
    int outlierDims = 6; // columns with a much larger scale
    double outlierScale = 8.0;
    double rareFraction = 0.15; // trailing rows that sit near the common mean
    double normTailIndex = 3.0; // Student-t degrees of freedom of the log-norm noise: lower = heavier tail
};

// Deterministic for a given spec and any thread count. Progress stage "generate"; honours cancel.
Matrix generateSyntheticTable(const SyntheticSpec& spec, RunControl& control);

} // namespace vq
