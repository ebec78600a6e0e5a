#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"
#include "quant/quantizedtable.h"

#include <cstdint>
#include <string>
#include <vector>

namespace vq {

// How one token's vector is built: the codes it uses in every code array, stage and group, and the
// residual e - partial decode after each of the method's decode steps (stages, CARVQ's adaptor, CRVQ's
// extended codebooks; AQLM's steps carry the row's scale).
struct TokenPath {
    struct Code {
        int array = 0;
        int stage = 0;
        int group = 0;
        int32_t code = 0;
    };
    struct Step {
        std::string label;
        int array = -1; // -1: a step without codes
        int stage = -1;
        double residualNorm = 0; // ||e - partial|| after this step
    };

    int64_t row = 0;
    double norm = 0; // ||e||, the residual before any step
    std::vector<Code> codes; // array, then stage, then group order; arrays the row has no codes in are absent
    std::vector<Step> steps;
    bool hasScale = false; // the method multiplies the row's codewords by a stored scale
    float scale = 1; // that scale (AQLM)
};

// original: the table the run was made from (same shape). Throws Error(InvalidArgument) for a row out of
// range or another shape, Error(Malformed) for inconsistent stored arrays.
TokenPath computeTokenPath(const QuantizedTable& table, const Matrix& original, int64_t row);

// The k nearest rows by cosine of a token in the original table and of its reconstruction in the
// reconstructed table (itself and zero rows excluded; ties by the lower row), nearest first, -1 padded,
// and which neighbours the reconstruction lost and gained.
struct TokenNeighbours {
    int64_t row = 0;
    int k = 0;
    std::vector<int64_t> original;
    std::vector<float> originalCosine;
    std::vector<int64_t> reconstructed;
    std::vector<float> reconstructedCosine;
    std::vector<int64_t> lost; // in original, not in reconstructed, in original's order
    std::vector<int64_t> gained; // in reconstructed, not in original, in reconstructed's order
};

// Decodes the table block by block (never all of it at once: rows x dim floats would double the memory of
// a large table), OpenMP over blocks; the result does not depend on the thread count. Progress stage
// "neighbours"; throws vq::Cancelled, Error(InvalidArgument) for a bad row, k < 1 or another shape.
TokenNeighbours computeTokenNeighbours(
    const QuantizedTable& table, const Matrix& original, int64_t row, int k, RunControl& control);

} // namespace vq
