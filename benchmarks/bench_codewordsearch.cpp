// Nearest-codeword search: the fused distance + argmin kernel (FusedArgmin, every SIMD path this CPU
// has) against the SGEMM-based search, and both against the SGEMM peak measured in the same run.
//
//   bench_codewordsearch [--threads 2] [--repeat 3] [--quick]
//
// 1. SGEMM peak: OpenBLAS sgemm 4096 x 4096 x 4096 on `threads` threads.
// 2. The codeword-search shape of the issue, [8192 x 8] x [8 x 8192], as one OpenBLAS sgemm writing the
//    8192 x 8192 result: what a GEMM-based search achieves when the product is written out.
// 3. Searches (OpenMP over blocks of points, `threads` threads): NearestCentroids with the GEMM path
//    (blocked sgemm, single-threaded BLAS per block, argmin over each cached block) and FusedArgmin on
//    each SIMD path, on 2x8-sized (8192 codewords), 1x16-sized (65536) and k-means-sized (256) codebooks
//    of 4 to 64 dimensions. GFLOP/s count 2 * points * codewords * dim, as for GEMM.
// Every measurement is the best of `repeat` rounds, the rounds interleaved so each method sees the same
// machine load; CPU seconds of the best round and the 1-minute load average are printed with it.
#include "benchutil.h"
#include "common/runcontrol.h"
#include "quant/fusedargmin.h"
#include "quant/nearestcentroids.h"

#include <cblas.h>
#include <nlohmann/json.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using vqbench::cpuSeconds;
using vqbench::loadAverage;

// Real-looking data: clustered vectors (a random mixture), so the argmin is not degenerate.
vq::Matrix clustered(int64_t rows, int64_t dim, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.f, 1.f);
    vq::Matrix centres(64, dim);
    for (float& v : centres.values)
        v = normal(rng);
    vq::Matrix m(rows, dim);
    for (int64_t i = 0; i < rows; ++i) {
        const float* c = centres.row(static_cast<int64_t>(rng() % 64));
        for (int64_t j = 0; j < dim; ++j)
            m.at(i, j) = c[j] + 0.3f * normal(rng);
    }
    return m;
}

struct Timing {
    double wall = 1e300;
    double cpu = 0;
};

struct Case {
    Case(std::string n, double f, std::function<void()> r)
        : name(std::move(n))
        , flops(f)
        , run(std::move(r))
    {
    }
    std::string name;
    double flops = 0;
    std::function<void()> run;
    Timing best;
};

// Runs every case `repeat` times, interleaved, keeping each case's fastest round.
void measure(std::vector<Case>& cases, int repeat)
{
    for (int r = 0; r < repeat; ++r)
        for (Case& c : cases) {
            const double c0 = cpuSeconds();
            const auto t0 = std::chrono::steady_clock::now();
            c.run();
            const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (wall < c.best.wall)
                c.best = { wall, cpuSeconds() - c0 };
        }
}

} // namespace

int main(int argc, char** argv)
{
    int threads = 2;
    int repeat = 3;
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--threads" && i + 1 < argc)
            threads = std::atoi(argv[++i]);
        else if (a == "--repeat" && i + 1 < argc)
            repeat = std::atoi(argv[++i]);
        else if (a == "--quick")
            quick = true;
        else {
            std::cerr << "usage: bench_codewordsearch [--threads N] [--repeat N] [--quick]\n";
            return 2;
        }
    }
    const double loadBefore = loadAverage();
    std::vector<Case> cases;

    // 1. SGEMM peak on `threads` BLAS threads.
    const int64_t G = quick ? 2048 : 4096;
    const vq::Matrix a = clustered(G, G, 1), b = clustered(G, G, 2);
    std::vector<float> c(static_cast<size_t>(G * G));
    cases.emplace_back("sgemm " + std::to_string(G) + "^3", 2.0 * double(G) * double(G) * double(G), [&] {
        openblas_set_num_threads(threads);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(G), int(G), int(G), 1.0f, a.values.data(), int(G),
            b.values.data(), int(G), 0.0f, c.data(), int(G));
        openblas_set_num_threads(1);
    });

    // 2. The codeword-search shape as one sgemm that writes its result.
    const vq::Matrix xs = clustered(8192, 8, 3), cs = clustered(8192, 8, 4);
    std::vector<float> prod(size_t(8192) * 8192);
    cases.emplace_back("sgemm [8192 x 8] x [8 x 8192], result written", 2.0 * 8192 * 8192 * 8, [&] {
        openblas_set_num_threads(threads);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 8192, 8192, 8, -2.0f, xs.values.data(), 8,
            cs.values.data(), 8, 0.0f, prod.data(), 8192);
        openblas_set_num_threads(1);
    });

    // 3. Searches.
    struct Shape {
        int64_t points, codewords, dim;
    };
    std::vector<Shape> shapes { { 65536, 8192, 8 }, { 16384, 65536, 8 }, { 262144, 256, 8 }, { 262144, 256, 4 },
        { 131072, 256, 16 }, { 65536, 256, 32 }, { 32768, 256, 64 }, { 65536, 4096, 16 } };
    if (quick)
        shapes = { { 16384, 8192, 8 }, { 65536, 256, 8 }, { 32768, 256, 16 }, { 16384, 256, 32 } };
    std::vector<std::unique_ptr<vq::Matrix>> data;
    std::vector<std::unique_ptr<std::vector<int32_t>>> labels;
    std::vector<std::unique_ptr<vq::NearestCentroids>> searches;
    std::map<std::string, std::vector<int32_t>*> labelOf;
    for (const Shape& s : shapes) {
        data.push_back(std::make_unique<vq::Matrix>(clustered(s.points, s.dim, 10 + s.dim)));
        const vq::Matrix& x = *data.back();
        const vq::Matrix cw = clustered(s.codewords, s.dim, 20 + s.dim);
        const std::string shape = "[" + std::to_string(s.points) + " x " + std::to_string(s.dim) + "] vs "
            + std::to_string(s.codewords) + " codewords";
        const double flops = 2.0 * double(s.points) * double(s.codewords) * double(s.dim);
        searches.push_back(std::make_unique<vq::NearestCentroids>(cw, vq::CentroidSearch::Gemm));
        labels.push_back(std::make_unique<std::vector<int32_t>>(static_cast<size_t>(s.points)));
        {
            const vq::NearestCentroids* nc = searches.back().get();
            std::vector<int32_t>* out = labels.back().get();
            labelOf["gemm " + shape] = out;
            cases.emplace_back("gemm search " + shape, flops,
                [nc, &x, out, threads] { nc->assign(x, out->data(), nullptr, threads); });
        }
        for (vq::SimdPath p : { vq::SimdPath::Avx512, vq::SimdPath::Avx2, vq::SimdPath::Scalar }) {
            if (!vq::simdPathSupported(p) || (p == vq::SimdPath::Scalar && s.codewords > 256))
                continue; // the scalar path (std::fma) is a portability fallback: timed on small codebooks only
            auto f = std::make_shared<vq::FusedArgmin>(cw, p);
            labels.push_back(std::make_unique<std::vector<int32_t>>(static_cast<size_t>(s.points)));
            std::vector<int32_t>* out = labels.back().get();
            labelOf["fused " + std::string(vq::simdPathName(p)) + " " + shape] = out;
            cases.emplace_back("fused " + std::string(vq::simdPathName(p)) + " " + shape, flops, [f, &x, out, threads] {
                const int64_t block = 4096;
                const int64_t n = x.rows;
#pragma omp parallel for num_threads(threads) schedule(dynamic)
                for (int64_t i0 = 0; i0 < n; i0 += block)
                    f->search(vq::MatrixView(x).rowRange(i0, std::min(block, n - i0)), out->data() + i0, nullptr);
            });
        }
    }

    measure(cases, repeat);

    const double peak = cases[0].flops / cases[0].best.wall / 1e9;
    nlohmann::json out = nlohmann::json::array();
    // On a loaded machine the process gets a fraction of its cores: GFLOP per CPU second is the rate while
    // it runs, comparable across loads; the wall rate is what a user waits for.
    const double peakCpu = cases[0].flops / cases[0].best.cpu / 1e9;
    std::printf(
        "%-64s %8s %8s %8s %8s %10s %8s\n", "case", "wall s", "cpu s", "GFLOP/s", "of peak", "GFLOP/cpu-s", "of peak");
    std::map<std::string, double> gemmSeconds;
    for (const Case& k : cases) {
        const double gflops = k.flops / k.best.wall / 1e9;
        std::string note;
        if (k.name.rfind("gemm search ", 0) == 0)
            gemmSeconds[k.name.substr(12)] = k.best.wall;
        if (k.name.rfind("fused ", 0) == 0) {
            const std::string shape = k.name.substr(k.name.find(' ', 6) + 1);
            if (gemmSeconds.count(shape)) {
                char buf[64];
                std::snprintf(buf, sizeof buf, "  %.2fx the gemm search", gemmSeconds[shape] / k.best.wall);
                note = buf;
            }
        }
        const double perCpu = k.flops / k.best.cpu / 1e9;
        std::printf("%-64s %8.4f %8.4f %8.1f %7.1f%% %10.1f %7.1f%%%s\n", k.name.c_str(), k.best.wall, k.best.cpu,
            gflops, 100.0 * gflops / peak, perCpu, 100.0 * perCpu / peakCpu, note.c_str());
        out.push_back({ { "case", k.name }, { "wallSeconds", k.best.wall }, { "cpuSeconds", k.best.cpu },
            { "gflops", gflops }, { "ofPeak", gflops / peak }, { "gflopsPerCpuSecond", perCpu },
            { "ofPeakPerCpuSecond", perCpu / peakCpu } });
    }
    // The searches must agree on what they found (ties aside, rare on continuous data).
    for (const auto& [name, l] : labelOf) {
        if (name.rfind("gemm ", 0) != 0)
            continue;
        const std::string shape = name.substr(5);
        for (const auto& [other, m] : labelOf) {
            if (other.rfind("fused ", 0) != 0 || other.substr(other.find(' ', 6) + 1) != shape)
                continue;
            int64_t differ = 0;
            for (size_t i = 0; i < l->size(); ++i)
                differ += (*l)[i] != (*m)[i];
            std::printf("labels differing, %s against gemm: %lld of %zu\n", other.c_str(),
                static_cast<long long>(differ), l->size());
        }
    }
    const nlohmann::json summary { { "threads", threads },
        { "simdPath", std::string(vq::simdPathName(vq::bestSimdPath())) }, { "sgemmPeakGflops", peak },
        { "loadBefore", loadBefore }, { "loadAfter", loadAverage() },
        { "openblas", std::string(openblas_get_config()) }, { "cases", out } };
    std::cout << summary.dump() << "\n";
    return 0;
}
