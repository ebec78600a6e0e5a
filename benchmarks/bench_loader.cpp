// Times the table pipeline on an LLaMA-3-sized table: synthetic generation, statistics, checksum,
// and (when a path is given) loadEmbedding of a real file. Prints seconds and rates; judges nothing.
#include "io/embeddingloader.h"
#include "stats/tablestats.h"
#include "synth/synthetictable.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

template <class F> double seconds(F&& f)
{
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv)
{
    vq::SyntheticSpec spec;
    spec.rows = argc > 2 ? std::atoll(argv[2]) : 128256;
    spec.dim = argc > 3 ? std::atoll(argv[3]) : 4096;
    spec.rank = argc > 4 ? std::atoi(argv[4]) : spec.rank;
    vq::Matrix m;
    const double gen = seconds([&] { m = vq::generateSyntheticTable(spec, vq::nullRunControl()); });
    const double gb = static_cast<double>(m.values.size()) * 4 / 1e9;
    std::printf("generate %lld x %lld: %.2f s (%.2f GB/s)\n", static_cast<long long>(spec.rows),
        static_cast<long long>(spec.dim), gen, gb / gen);
    vq::TableStats stats;
    const double st = seconds([&] { stats = vq::computeTableStats(m, vq::nullRunControl()); });
    std::printf("statistics: %.2f s (%.2f GB/s), %zu outlier dims\n", st, gb / st, stats.outlierDims.size());
    std::string sum;
    const double cs = seconds([&] { sum = vq::tableChecksum(m); });
    std::printf("checksum: %.2f s (%.2f GB/s) %s\n", cs, gb / cs, sum.c_str());
    if (argc > 1 && argv[1][0] != '\0' && argv[1][0] != '-') {
        vq::EmbeddingTable t;
        const double ld = seconds([&] { t = vq::loadEmbedding(argv[1], {}, vq::nullRunControl()); });
        std::printf("loadEmbedding %s: %.2f s, %lld x %lld\n", argv[1], ld, static_cast<long long>(t.rows()),
            static_cast<long long>(t.dim()));
    }
    return 0;
}
