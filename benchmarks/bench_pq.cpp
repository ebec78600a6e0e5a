// Times vqscope's "pq" method on a float .npy table (default: the bundled GloVe sample) and prints one JSON object: the
// spec, relMSE, bits/param and the best wall / CPU time over the repeats, with FAISS's ProductQuantizer settings by
// default (fp32 codebooks, 25 iterations, no early stop). For profiling pq alone; the comparison with
// FAISS itself is benchmarks/bench_quality.py.
//
//   bench_pq [--data table.npy] [--d 5] [--bits 8] [--iterations 25] [--codebook f32]
//            [--threads 0] [--repeat 3] [--init kmeans++]
#include "common/runcontrol.h"
#include "io/npyreader.h"
#include "quant/methods/pq.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>

namespace {

double relMse(const vq::Matrix& e, const vq::Matrix& d)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < e.values.size(); ++i) {
        const double diff = double(e.values[i]) - double(d.values[i]);
        num += diff * diff;
        den += double(e.values[i]) * double(e.values[i]);
    }
    return num / den;
}

double cpuSeconds()
{
    return double(std::clock()) / CLOCKS_PER_SEC;
}

} // namespace

int main(int argc, char** argv)
{
    std::map<std::string, std::string> args { { "data", VQ_SAMPLE_TABLE }, { "d", "5" }, { "bits", "8" },
        { "iterations", "25" }, { "codebook", "f32" }, { "threads", "0" }, { "repeat", "3" }, { "init", "kmeans++" } };
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string key = argv[i];
        if (key.rfind("--", 0) != 0 || !args.count(key.substr(2))) {
            std::cerr << "unknown option " << key << "\n";
            return 2;
        }
        args[key.substr(2)] = argv[i + 1];
    }
    if (argc % 2 == 0) {
        std::cerr << "usage: bench_pq [--data table.npy] [--d 5] [--bits 8] [--iterations 25] [--codebook f32] "
                     "[--threads 0] [--repeat 3] [--init kmeans++]\n";
        return 2;
    }
    try {
        const std::string path = args["data"];
        const std::string stem = std::filesystem::path(path).stem().string();
        const vq::Matrix e = vq::NpyReader(path).readMatrix(stem, vq::nullRunControl());
        // FAISS's ProductQuantizer trains with 25 iterations and no early stop, on at most 256 vectors
        // per centroid, and stores fp32 centroids: the same here.
        const vq::QuantSpec spec { "pq",
            { { "d", std::stoi(args["d"]) }, { "bits", std::stoi(args["bits"]) },
                { "iterations", std::stoi(args["iterations"]) }, { "codebook", args["codebook"] }, { "tolerance", 0.0 },
                { "sampleCap", 256 }, { "init", args["init"] } } };
        const vq::PqQuantizer pq;
        double bestWall = 1e300, bestCpu = 1e300, r = 0, bits = 0;
        for (int rep = 0; rep < std::stoi(args["repeat"]); ++rep) {
            vq::RunControl control;
            control.threads = std::stoi(args["threads"]);
            const auto t0 = std::chrono::steady_clock::now();
            const double c0 = cpuSeconds();
            const vq::QuantizedTable t = pq.fit({ e, {} }, spec, control);
            const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            bestCpu = std::min(bestCpu, cpuSeconds() - c0);
            bestWall = std::min(bestWall, wall);
            r = relMse(e, t.decodeAll());
            bits = t.bits().bitsPerParam();
        }
        const nlohmann::json out { { "method", "vqscope pq" }, { "spec", spec.toJson() }, { "rows", e.rows },
            { "dim", e.cols }, { "relMse", r }, { "bitsPerParam", bits }, { "seconds", bestWall },
            { "cpuSeconds", bestCpu }, { "threads", std::stoi(args["threads"]) } };
        std::cout << out.dump() << "\n";
    } catch (const std::exception& ex) {
        std::cerr << ex.what() << "\n";
        return 1;
    }
    return 0;
}
