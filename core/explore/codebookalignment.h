#pragma once

#include "common/runcontrol.h"
#include "metrics/thinning.h"

#include <cstdint>
#include <vector>

namespace vq {

// How two codebooks of the same codeword width line up (two runs of one family, e.g. GRVQ against
// CARVQ, or PQ with two seeds): each codeword's nearest codeword in the other book (Euclidean), the
// pairs that are each other's nearest (matched), and the distances as a histogram. Distances are also
// given relative to the root-mean-square codeword norm of A, so books of different scales compare.
struct CodebookAlignment {
    int64_t countA = 0;
    int64_t countB = 0;
    int64_t width = 0;
    std::vector<int32_t> nearestInB; // per codeword of A
    std::vector<float> distanceToB;
    std::vector<int32_t> nearestInA; // per codeword of B
    std::vector<float> distanceToA;
    std::vector<int32_t> matchedA; // mutual nearest pairs (a, b), ascending a
    std::vector<int32_t> matchedB;
    double rmsNormA = 0;
    double rmsNormB = 0;
    double medianDistanceToB = 0; // of distanceToB
    double meanDistanceToB = 0;
    PlotHistogram histogram; // of distanceToB / rmsNormA (0 when A is all zero), `bins` bins from 0
};

// a: countA x width, b: countB x width, row-major. Ties go to the lower index. OpenMP over codewords; the
// result does not depend on the thread count. Throws Error(InvalidArgument) for empty books, width < 1 or
// bins < 1, vq::Cancelled. Cost: countA x countB x width multiply-adds, twice.
CodebookAlignment alignCodebooks(
    const float* a, int64_t countA, const float* b, int64_t countB, int64_t width, int bins, RunControl& control);

} // namespace vq
