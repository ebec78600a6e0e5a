#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"
#include "quant/quantspec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace vq {

// Auto-tune: searches the methods' configurations for the best error at a bit budget, or the fewest
// bits that reach a target error.
//
// Candidates come from each method's schema: its key parameters (Quantizer::keyParameters) take values
// around their defaults and presets, every combination the method accepts for the full table is
// costed exactly with estimate() (all-in bits/param at the full table's shape, so codebooks are counted
// as they will be stored), and a spread of those within the budget enters the search (for a budget, over
// its upper 15%; for a target error, over all of it). Quality is the
// (token-weighted) relative MSE of a fit on a seeded row sample; successive halving fits every
// candidate on a small sample, keeps the best 1/eta, and refits those on a sample eta times larger,
// until the final sample. The error is measured on the rows each fit saw, so configurations whose
// codebooks memorise a small sample look better there than they will on the table; the growing sample
// is what corrects for it, and the winners are meant to be run on the whole table.
struct TuneOptions {
    // Budget: every candidate costs at most this many bits/param all-in.
    double maxBits = 2.0;
    // When > 0 the goal is the fewest bits whose relative MSE is at most this (maxBits still caps the
    // search); otherwise the lowest error within maxBits.
    double targetRelMse = 0;
    std::vector<std::string> methods; // registry names; empty: every method
    int perMethod = 8; // candidates of each method entering the first round
    // Rows fitted in the first round. It also bounds the codebooks searched: at most firstSample / 16
    // codewords each, so that no fit can memorise its sample (4096: up to 8-bit codes).
    int64_t firstSample = 4096;
    int64_t finalSample = 16384; // rows fitted in the last round (at most the table's rows)
    int eta = 3; // each round keeps 1/eta of the candidates (at least `keep`) on eta times the rows
    int keep = 5; // results returned
    std::vector<float> weights; // token weights: empty (uniform) or one finite value >= 0 per table row
};

struct TuneTrial {
    int64_t rows = 0; // sample rows fitted
    double relMse = 0; // weighted relative MSE on those rows
    double seconds = 0; // wall time of the fit and its decode
};

struct TuneCandidate {
    QuantSpec spec; // resolved
    double bitsPerParam = 0; // all-in, at the full table's shape
    std::vector<TuneTrial> trials; // one per round it ran in
    std::string error; // why it dropped out by failing ("" when it did not)
};

struct TuneResult {
    std::vector<TuneCandidate> candidates; // every candidate tried, in generation order
    // Indices into candidates: the last round's best for the goal, best first, at most options.keep; and
    // those of them no other last-round candidate beats on both bits and error (the Pareto-best).
    std::vector<size_t> best;
    std::vector<size_t> frontier;
    std::vector<int64_t> sampleRows; // rows of each round
    // Configurations costed, and how many were within the budget, before the spread was taken.
    int64_t configurationsCosted = 0;
    int64_t configurationsWithinBudget = 0;
};

// Checks options against a rows x dim table; throws Error(InvalidArgument) naming the option.
void validateTuneOptions(const TuneOptions& options, int64_t rows, int64_t dim);

// The first round's candidates for a rows x dim table (resolved specs with exact bits, nothing fitted),
// and how many configurations were costed and within budget.
std::vector<TuneCandidate> tuneCandidates(
    int64_t rows, int64_t dim, const TuneOptions& options, int64_t* costed = nullptr, int64_t* withinBudget = nullptr);

// Runs the search on table. Progress: stage "tune: round i of n (R rows)" with the fraction of all the
// fits planned; seed and threads from control; throws vq::Cancelled when cancelled, Error(InvalidArgument)
// for bad options or when no method has a configuration within the budget. A candidate whose fit fails
// is recorded with its error and dropped.
TuneResult autoTune(const Matrix& table, const TuneOptions& options, RunControl& control);

} // namespace vq
