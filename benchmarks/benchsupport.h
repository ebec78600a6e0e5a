#pragma once

// What the benchmarks' mains share: their "--key value" arguments over defaults, the machine's load
// (reported with every figure: the machine may be shared), and a generated table.
#include "io/embeddingtable.h"
#include "stats/tablestats.h"
#include "synth/synthetictable.h"

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>

namespace vqbench {

// The 1-minute load average; -1 when unknown.
inline double loadAverage()
{
    double load[1] = { -1 };
    return getloadavg(load, 1) == 1 ? load[0] : -1;
}

// Replaces args' defaults with the "--key value" pairs of the command line. A key that is not among the
// defaults prints usage and returns false.
inline bool parseArgs(int argc, char** argv, std::map<std::string, std::string>& args, const char* usage)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        if (key.rfind("--", 0) != 0 || !args.count(key.substr(2))) {
            std::cerr << "usage: " << usage << '\n';
            return false;
        }
        args[key.substr(2)] = argv[i + 1];
    }
    return true;
}

// A generated rows x dim table (vq::generateSyntheticTable) with its checksum, token strings "tok<row>"
// when asked, and its statistics.
struct GeneratedTable {
    std::shared_ptr<vq::EmbeddingTable> table;
    std::shared_ptr<vq::TableStats> stats;
};

inline GeneratedTable generatedTable(int64_t rows, int64_t dim, bool tokens)
{
    vq::SyntheticSpec synth;
    synth.rows = rows;
    synth.dim = dim;
    GeneratedTable out;
    out.table = std::make_shared<vq::EmbeddingTable>();
    out.table->values = vq::generateSyntheticTable(synth, vq::nullRunControl());
    out.table->source.file = "synthetic";
    out.table->source.tensor = "synthetic";
    out.table->source.checksum = vq::tableChecksum(out.table->values);
    if (tokens) {
        out.table->tokens.reserve(size_t(rows));
        for (int64_t r = 0; r < rows; ++r)
            out.table->tokens.push_back("tok" + std::to_string(r));
    }
    out.stats = std::make_shared<vq::TableStats>(vq::computeTableStats(out.table->values, vq::nullRunControl()));
    return out;
}

} // namespace vqbench
