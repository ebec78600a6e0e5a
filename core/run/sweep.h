#pragma once

#include "quant/quantspec.h"
#include "run/runrecord.h"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace vq {

// A parameter grid for one method:
//   {"method": "rtn", "params": {"symmetric": true}, "grid": {"bits": [2, 3, 4], "group": [32, 64]}}
// "params" (optional) are fixed for every run; each "grid" key lists the values to try.
struct SweepGrid {
    std::string method;
    nlohmann::json fixed = nlohmann::json::object();
    std::vector<std::pair<std::string, std::vector<nlohmann::json>>> axes; // sorted by key

    // Throws Error(InvalidArgument) when j is not of that form (no method, a grid value that is not a
    // non-empty array, a key both fixed and swept).
    static SweepGrid fromJson(const nlohmann::json& j);
    // Every combination, the last axis (in key order) varying fastest; the order is stable, so shard
    // i/n of the same grid is the same runs on every machine. A grid without axes gives one spec.
    // Specs are not validated here (see Quantizer::validate).
    std::vector<QuantSpec> expand() const;
};

// Part i of n of a list, for splitting a sweep across batch-scheduler jobs: elements i, i + n, i + 2n, ...
// (interleaved, so long and short runs spread evenly). The n shards together hold every element once.
struct Shard {
    int index = 0;
    int count = 1;

    // "i/n" with 0 <= i < n; throws Error(InvalidArgument) otherwise.
    static Shard parse(const std::string& text);
    bool contains(size_t position) const { return static_cast<int>(position % static_cast<size_t>(count)) == index; }
    template <typename T> std::vector<T> select(const std::vector<T>& all) const
    {
        std::vector<T> out;
        for (size_t i = 0; i < all.size(); ++i)
            if (contains(i))
                out.push_back(all[i]);
        return out;
    }
};

// Reads JSON-lines run files (one RunRecord::toJson per line; blank lines skipped) and merges them in
// file order, keeping the first record of each RunRecord::dedupeKey() that finished (status done)
// over failed or cancelled ones of the same key. Throws Error naming the file and line for an
// unreadable file or a line that is not a run record.
std::vector<RunRecord> readRunLines(const std::string& path);
std::vector<RunRecord> mergeRuns(const std::vector<std::vector<RunRecord>>& lists);

} // namespace vq
