#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"

#include <cstdint>
#include <vector>

namespace vq {

struct NeighbourRecallOptions {
    int k = 10; // neighbours per query, 1 .. rows - 1
    int64_t queries = 1000; // sampled query rows (seeded by RunControl::seed); all rows when >= rows
    int64_t blockRows = 8192; // table rows per GEMM block: queries * blockRows floats of scratch
};

// Do the k nearest neighbours of a token (by cosine, itself excluded, searched over all rows) stay the
// same when the table is replaced by its reconstruction? recall of a query = |N_E(q) ∩ N_Ê(q)| / k,
// where N_E uses row q of E against all rows of E and N_Ê row q of Ê against all rows of Ê.
// Rows with zero norm have no direction: they are never neighbours and never sampled as queries (by
// their norm in E); a query whose row is zero in Ê has no neighbours there and recall 0.
// Ties in cosine are broken by the smaller row index, so the lists are deterministic.
struct NeighbourRecall {
    int k = 0;
    double mean = 0; // mean of perQuery
    double min = 0;
    std::vector<int64_t> queryRows; // ascending
    std::vector<double> perQuery; // recall of queryRows[i], a multiple of 1/k in [0, 1]
    // queryRows.size() x k row indices each, nearest first; -1 pads when fewer than k rows qualify.
    std::vector<int64_t> refNeighbours;
    std::vector<int64_t> reconNeighbours;
};

// The half of the work that depends on E only: the sampled queries and their neighbours under E.
// E does not change between the fits of one table, so a caller computing metrics after every fit
// keeps this and passes it to the second overload, halving the cost of each call.
struct NeighbourReference {
    int64_t rows = 0;
    int64_t dim = 0;
    int k = 0;
    uint64_t seed = 0;
    std::vector<int64_t> queryRows; // ascending
    std::vector<int64_t> neighbours; // queryRows.size() x k, nearest first, -1 padded
};

// Same checks, sampling and stage as computeNeighbourRecall, for E alone (progress 0 .. 1).
NeighbourReference computeNeighbourReference(
    const Matrix& ref, const NeighbourRecallOptions& options, RunControl& control);

// Recall against a kept reference; recon must have reference.rows x reference.dim (throws
// Error(InvalidArgument) otherwise). k and the queries are the reference's.
NeighbourRecall computeNeighbourRecall(const NeighbourReference& reference, const Matrix& recon,
    const NeighbourRecallOptions& options, RunControl& control);

// ref and recon: the same non-empty shape (throws Error(InvalidArgument) otherwise, and for k outside
// 1 .. rows - 1). Cost: 2 * 2 * queries *
// rows * dim flops in float GEMMs (OpenBLAS, its own threads) plus a top-k scan (OpenMP over
// queries). Deterministic for a seed; progress stage "neighbour recall"; throws vq::Cancelled.
NeighbourRecall computeNeighbourRecall(
    const Matrix& ref, const Matrix& recon, const NeighbourRecallOptions& options, RunControl& control);

// The k nearest rows by cosine of each query row of table (itself and zero rows excluded), nearest first,
// queryRows.size() x k, -1 padded. The building block of computeNeighbourRecall, exposed for the GUI's
// "neighbours of this token" view. progressFrom/progressTo map this call onto a caller's stage.
std::vector<int64_t> cosineNearestRows(const Matrix& table, const std::vector<int64_t>& queryRows, int k,
    int64_t blockRows, RunControl& control, const char* stage = "nearest rows", double progressFrom = 0,
    double progressTo = 1);

} // namespace vq
