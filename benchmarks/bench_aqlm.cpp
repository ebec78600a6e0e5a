// AQLM: error, bits and time per configuration.
//
//   bench_aqlm [TABLE.npy [rows] [cols] [spec JSON ...]]
//       On the first rows x cols of a table (default: the bundled GloVe sample, every row, 96 columns).
//       Without specs it runs 1x8 g8 and 2x8 g8 and, when VQ_BENCH_1X16=1, 1x16 g8.
//   bench_aqlm --synthetic ROWSxDIM [--threads 2] SPEC_JSON
//       On a generated LLM-shaped table (core/synth, seed 1), e.g. 128256x2048 (LLaMA-3.2-1B): one JSON
//       line with wall and CPU seconds of the fit, seconds per progress stage, peak RSS (whole process:
//       run one spec per process) against the float32 table's size, bits/param, relMSE and the 1-minute
//       load average before and after (the machine may be shared).
#include "benchutil.h"
#include "common/error.h"
#include "common/matrix.h"
#include "common/runcontrol.h"
#include "io/npyreader.h"
#include "quant/registry.h"
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
#include <vector>

namespace {

using vqbench::cpuSeconds;
using vqbench::loadAverage;
using vqbench::peakRssMiB;

double relMse(const vq::Matrix& e, const vq::Matrix& d)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < e.values.size(); ++i) {
        const double diff = static_cast<double>(e.values[i]) - d.values[i];
        num += diff * diff;
        den += static_cast<double>(e.values[i]) * e.values[i];
    }
    return num / den;
}

// relMSE decoded a block of rows at a time, so the measurement adds no table-sized buffer to the peak.
double relMseByBlocks(const vq::Matrix& e, const vq::QuantizedTable& t)
{
    const int64_t block = 4096;
    std::vector<float> out(static_cast<size_t>(block * e.cols));
    std::vector<int64_t> ids;
    double num = 0, den = 0;
    for (int64_t r0 = 0; r0 < e.rows; r0 += block) {
        const int64_t n = std::min(block, e.rows - r0);
        ids.resize(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i)
            ids[static_cast<size_t>(i)] = r0 + i;
        vq::quantizer(t.spec.method).decodeRows(t, ids, out.data());
        for (int64_t i = 0; i < n * e.cols; ++i) {
            const double x = e.row(r0)[i];
            const double diff = x - out[static_cast<size_t>(i)];
            num += diff * diff;
            den += x * x;
        }
    }
    return num / den;
}

vq::Matrix slice(const vq::Matrix& m, int64_t rows, int64_t cols)
{
    vq::Matrix out(rows, cols);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            out.at(r, c) = m.at(r, c);
    return out;
}

int synthetic(int argc, char** argv)
{
    std::string shape = argv[2], spec = "{}";
    int threads = 2;
    for (int i = 3; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--threads" && i + 1 < argc)
            threads = std::atoi(argv[++i]);
        else
            spec = a;
    }
    const size_t x = shape.find('x');
    if (x == std::string::npos) {
        std::fprintf(stderr, "--synthetic expects ROWSxDIM, e.g. 128256x2048\n");
        return 2;
    }
    const double loadBefore = loadAverage();
    vq::SyntheticSpec s;
    s.rows = std::stoll(shape.substr(0, x));
    s.dim = std::stoll(shape.substr(x + 1));
    vq::RunControl gen;
    gen.threads = threads;
    const vq::Matrix e = vq::generateSyntheticTable(s, gen);
    const double tableMiB = double(e.values.size()) * 4.0 / (1024.0 * 1024.0);
    const double rssBefore = peakRssMiB();

    const vq::QuantSpec q = vq::QuantSpec::fromJson(nlohmann::json::parse(spec));
    vq::RunControl control;
    control.threads = threads;
    const vqbench::StageTimer stages(control);
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpuSeconds();
    const vq::QuantizedTable t = vq::quantizer(q.method).fit({ e, {} }, q, control);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpuSeconds() - c0;
    const double rss = peakRssMiB();
    const nlohmann::json out { { "spec", t.spec.toJson() }, { "rows", e.rows }, { "dim", e.cols },
        { "bitsPerParam", t.bits().bitsPerParam() }, { "relMse", relMseByBlocks(e, t) }, { "fitSeconds", wall },
        { "fitCpuSeconds", cpu }, { "stageSeconds", stages.seconds() }, { "tableMiB", tableMiB },
        { "peakRssMiBBeforeFit", rssBefore }, { "peakRssMiB", rss }, { "peakRssOverTableMiB", rss - tableMiB },
        { "threads", threads }, { "loadBefore", loadBefore }, { "loadAfter", loadAverage() }, { "info", t.info } };
    std::cout << out.dump() << "\n";
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    try {
        if (argc > 2 && std::string(argv[1]) == "--synthetic")
            return synthetic(argc, argv);
        if (argv[1] && argv[1][0] == '-') {
            std::fprintf(stderr,
                "usage: %s [table.npy [rows] [cols] [spec JSON ...]]\n       %s --synthetic ROWSxDIM [--threads N] "
                "SPEC_JSON\n",
                argv[0], argv[0]);
            return 2;
        }
        const std::string path = argc > 1 ? argv[1] : VQ_SAMPLE_TABLE;
        vq::RunControl load;
        vq::NpyReader reader(path);
        const vq::Matrix full = reader.readMatrix(reader.tensors().front().name, load);
        const int64_t rows = argc > 2 ? std::atoll(argv[2]) : full.rows;
        const int64_t cols = argc > 3 ? std::atoll(argv[3]) : 96; // g = 8 needs a multiple of 8
        const vq::Matrix table = slice(full, rows, cols);

        std::vector<vq::QuantSpec> specs;
        for (int i = 4; i < argc; ++i)
            specs.push_back(vq::QuantSpec::fromJson(nlohmann::json::parse(argv[i])));
        if (specs.empty()) {
            specs.push_back({ "aqlm", { { "M", 1 }, { "B", 8 }, { "g", 8 } } });
            specs.push_back({ "aqlm", { { "M", 2 }, { "B", 8 }, { "g", 8 } } });
            if (const char* e = std::getenv("VQ_BENCH_1X16"); e && std::string(e) == "1")
                specs.push_back({ "aqlm", { { "M", 1 }, { "B", 16 }, { "g", 8 } } });
        }
        std::printf(
            "table %lld x %lld from %s\n", static_cast<long long>(rows), static_cast<long long>(cols), path.c_str());
        for (const vq::QuantSpec& spec : specs) {
            const vq::Quantizer& q = vq::quantizer(spec.method);
            vq::RunControl control;
            const auto t0 = std::chrono::steady_clock::now();
            const double c0 = cpuSeconds();
            const vq::QuantizedTable t = q.fit(vq::FitInput { table, {} }, spec, control);
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::printf("%-70s bits/param %.4f  relMSE %.5f  %.1f s (%.1f s CPU)\n", spec.toJson().dump().c_str(),
                t.bits().bitsPerParam(), relMse(table, t.decodeAll()), seconds, cpuSeconds() - c0);
            if (t.info.contains("objective"))
                std::printf("    objective per round %s, stopped by %s\n", t.info["objective"].dump().c_str(),
                    t.info["stoppedBy"].dump().c_str());
        }
    } catch (const vq::Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
