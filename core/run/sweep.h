#pragma once

#include "quant/paramschema.h"
#include "quant/quantspec.h"
#include "run/runrecord.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vq {

// A parameter grid for one method:
//   {"method": "rtn", "params": {"symmetric": true}, "grid": {"bits": [2, 3, 4], "group": [32, 64]}}
// "params" (optional) are fixed for every run; each "grid" key lists the values to try. Combinations are
// never materialised as a whole: count() is known from the axis lengths and at(i) computes the i-th one.
struct SweepGrid {
    // More combinations than this is a mistake, not a sweep (a million runs of the quickest method on the
    // smallest table is days of CPU); fromJson refuses it before anything is expanded.
    static constexpr uint64_t kMaxCombinations = 1'000'000;

    std::string method;
    nlohmann::json fixed = nlohmann::json::object();
    std::vector<std::pair<std::string, std::vector<nlohmann::json>>> axes; // sorted by key

    // Throws Error(InvalidArgument) when j is not of that form (no method, a grid value that is not a
    // non-empty array, a key both fixed and swept) or has more than kMaxCombinations combinations.
    static SweepGrid fromJson(const nlohmann::json& j);
    // Checks the fixed parameters and every swept value against the method's schema (names, types,
    // ranges), one value at a time: the cost is the sum of the axis lengths, not their product. Throws
    // Error(InvalidArgument) naming the key and the value.
    void validate(const ParamSchema& schema) const;
    // The number of combinations (1 for a grid without axes).
    uint64_t count() const;
    // Combination i (0 <= i < count()), the last axis (in key order) varying fastest; the order is
    // stable, so shard i/n of the same grid is the same runs on every machine. Not validated here.
    QuantSpec at(uint64_t index) const;
    // Every combination, in the order of at(); for small grids and tests.
    std::vector<QuantSpec> expand() const;
};

// Part i of n of a list, for splitting a sweep across batch-scheduler jobs: elements i, i + n, i + 2n, ...
// (interleaved, so long and short runs spread evenly). The n shards together hold every element once.
struct Shard {
    int index = 0;
    int count = 1;

    // "i/n" with 0 <= i < n; throws Error(InvalidArgument) otherwise.
    static Shard parse(const std::string& text);
    bool contains(uint64_t position) const { return position % static_cast<uint64_t>(count) == uint64_t(index); }
    // How many of 0 .. total-1 this shard holds.
    uint64_t size(uint64_t total) const
    {
        return total > uint64_t(index) ? (total - uint64_t(index) + uint64_t(count) - 1) / uint64_t(count) : 0;
    }
    // The k-th position of this shard (k < size(total)).
    uint64_t position(uint64_t k) const { return uint64_t(index) + k * uint64_t(count); }
    template <typename T> std::vector<T> select(const std::vector<T>& all) const
    {
        std::vector<T> out;
        for (size_t i = 0; i < all.size(); ++i)
            if (contains(i))
                out.push_back(all[i]);
        return out;
    }
};

// Run records read from a JSON-lines file (one RunRecord::toJson per line; blank lines skipped).
struct RunLines {
    std::vector<RunRecord> runs;
    // One per torn line skipped: "<path>: line N: torn line skipped (...)". A line is torn when its JSON
    // stops before it is complete (a writer killed mid-line, a disk full); such a line is skipped, not
    // fatal, so the runs around it stay readable.
    std::vector<std::string> warnings;
    uint64_t end = 0; // byte offset just past the last line consumed
};

// Reads every run line of path. Throws Error naming the file and line for an unreadable file or a
// complete line that is not a run record; torn lines are skipped with a warning.
RunLines readRunFile(const std::string& path);
// The same for a file that is still being written: reads from byte offset on, and only lines ended by
// '\n'; an unfinished last line is left for the next call (end stops before it). A file shorter than
// offset (replaced or truncated) throws Error(Truncated).
RunLines readNewRunLines(const std::string& path, uint64_t offset);
// readRunFile's runs; its warnings go to *warnings when given.
std::vector<RunRecord> readRunLines(const std::string& path, std::vector<std::string>* warnings = nullptr);

// Merges run lists in order, keeping the first record of each RunRecord::dedupeKey() that finished
// (status done) over failed or cancelled ones of the same key.
std::vector<RunRecord> mergeRuns(const std::vector<std::vector<RunRecord>>& lists);

} // namespace vq
