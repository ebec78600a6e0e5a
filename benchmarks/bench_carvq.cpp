// Times the "carvq" method on a generated LLM-shaped table and prints one JSON object: the spec, shape,
// relMSE, bits/param, wall and CPU seconds of the fit, seconds per progress stage, the peak RSS
// (getrusage ru_maxrss) and the 1-minute load average before and after (the machine may be shared).
//
//   bench_carvq [--rows 128256] [--dim 2048] [--threads 2] [--spec '{"epochs": 40}']
//
// Measured with the defaults on 128256 x 2048 (LLaMA-3.2-1B's shape), 2 threads, on a shared machine
// (1-minute load 5.4 before, 11.5 after, on 2 cores: the process got 0.53 cores on average): 459 s of CPU
// (851 s wall), peak RSS 2405 MiB (the 1009 MiB table, the adaptor-first residual copy, int32 codes),
// relMSE 0.240, 1.553 bits/param. By stage (wall): adaptor 367 s, adaptor refit 358 s, adaptor fine-tune
// 90 s, evaluate 14 s, grvq encode 12 s, grvq k-means 7 s: the adaptor's 85 epochs take 96% of the time.
// On 2 free cores that is about 230-260 s wall.
#include "benchutil.h"
#include "common/runcontrol.h"
#include "quant/methods/carvq.h"
#include "synth/synthetictable.h"

#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <string>

namespace {

using vqbench::cpuSeconds;
using vqbench::loadAverage;
using vqbench::peakRssMiB;

} // namespace

int main(int argc, char** argv)
{
    std::map<std::string, std::string> args { { "rows", "128256" }, { "dim", "2048" }, { "threads", "2" },
        { "spec", "{}" } };
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        if (key.rfind("--", 0) != 0 || !args.count(key.substr(2))) {
            std::cerr << "usage: bench_carvq [--rows N] [--dim N] [--threads N] [--spec JSON params]\n";
            return 2;
        }
        args[key.substr(2)] = argv[i + 1];
    }
    const double loadBefore = loadAverage();
    try {
        vq::SyntheticSpec s;
        s.rows = std::stoll(args["rows"]);
        s.dim = std::stoll(args["dim"]);
        vq::RunControl gen;
        gen.threads = std::stoi(args["threads"]);
        const vq::Matrix e = vq::generateSyntheticTable(s, gen);
        const double tableRss = peakRssMiB();

        const vq::QuantSpec spec { "carvq", nlohmann::json::parse(args["spec"]) };
        vq::RunControl control;
        control.threads = std::stoi(args["threads"]);
        const vqbench::StageTimer stages(control);
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = cpuSeconds();
        const vq::QuantizedTable t = vq::CarvqQuantizer().fit({ e, {} }, spec, control);
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double cpu = cpuSeconds() - c0;
        const double fitRss = peakRssMiB();
        const double sq = t.info.at("encodedSquaredError").get<double>();
        double norm = 0;
        for (float v : e.values)
            norm += double(v) * v;
        const nlohmann::json out { { "method", "vqscope carvq" }, { "spec", t.spec.toJson() }, { "rows", e.rows },
            { "dim", e.cols }, { "relMse", sq / norm },
            { "grvqRelMse", t.info.at("grvqSquaredError").get<double>() / norm },
            { "bitsPerParam", t.bits().bitsPerParam() }, { "seconds", wall }, { "cpuSeconds", cpu },
            { "stageSeconds", stages.seconds() }, { "peakRssMiBAfterTable", tableRss }, { "peakRssMiB", fitRss },
            { "threads", control.threads }, { "loadBefore", loadBefore }, { "loadAfter", loadAverage() } };
        std::cout << out.dump() << "\n";
    } catch (const std::exception& ex) {
        std::cerr << ex.what() << "\n";
        return 1;
    }
    return 0;
}
