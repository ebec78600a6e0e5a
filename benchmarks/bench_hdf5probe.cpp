// What checking an HDF5 file in the vqscope-probe helper first costs: the plain in-process load
// (loadEmbedding) against probe + load, alternated in one run, hot cache, median of the repetitions.
//
// Usage: bench_hdf5probe [--probe PATH] [--reps N] FILE.h5...   (default probe: $VQ_PROBE_PATH or
// beside this executable's app/ sibling, as the app finds it). The bundled fixture and a 128256 x 2048
// float32 file are the cases the documentation reports.
#include "common/error.h"
#include "common/runcontrol.h"
#include "io/embeddingloader.h"
#include "run/hdf5probe.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

double seconds(const auto& fn)
{
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv)
{
    int reps = 5;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--probe" && i + 1 < argc)
            setenv("VQ_PROBE_PATH", argv[++i], 1);
        else if (a == "--reps" && i + 1 < argc)
            reps = std::max(1, std::atoi(argv[++i]));
        else
            files.push_back(a);
    }
    if (files.empty()) {
        std::fprintf(stderr, "usage: bench_hdf5probe [--probe PATH] [--reps N] FILE.h5...\n");
        return 2;
    }
    std::printf("probe: %s\n", vq::probeExecutable().c_str());
    try {
        for (const std::string& file : files) {
            const auto load = [&] { (void)vq::loadEmbedding(file, {}, vq::nullRunControl()); };
            const auto probed = [&] {
                vq::clearProbeCache();
                vq::probeHdf5File(file);
                load();
            };
            load(); // warm the page cache
            std::vector<double> plain, checked;
            for (int r = 0; r < reps; ++r) {
                plain.push_back(seconds(load));
                checked.push_back(seconds(probed));
            }
            const double p = median(plain), c = median(checked);
            std::printf("%s: plain load %.4f s, probe + load %.4f s, ratio %.2f, probe alone %.4f s\n", file.c_str(), p,
                c, c / p, c - p);
        }
    } catch (const vq::Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
