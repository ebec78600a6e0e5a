#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace vq {

// Every stored bit, by item: codes, codebooks, scales, offsets, adaptor weights, permutations.
struct BitItem {
    std::string label; // "codes stage 1", "codebooks", "row scales (fp16)"
    std::string role; // "codes", "codebook", "scale", "adaptor", "permutation", "other"
    uint64_t bits = 0;
};

struct BitBudget {
    int64_t rows = 0;
    int64_t dim = 0;
    std::vector<BitItem> items;

    uint64_t totalBits() const;
    uint64_t totalBytes() const { return (totalBits() + 7) / 8; }
    double bitsPerParam() const; // totalBits / (rows * dim)
    void add(std::string label, std::string role, uint64_t bits)
    {
        items.push_back({ std::move(label), std::move(role), bits });
    }
    nlohmann::json toJson() const;
};

} // namespace vq
