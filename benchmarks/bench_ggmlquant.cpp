// Encode speed of the llama.cpp block methods on a generated LLM-shaped table: each method's fit()
// (ggml's quantizer plus the unpacking into stored arrays) timed in the same process, reported in rows
// per second of wall time and of CPU time and as a ratio to q4_0's, which runs first and again last so a
// change of machine load during the run shows. With --importance 1 the K-quants and iq4_xs also run
// with an importance vector (ggml's other algorithm), the column means of x^2 written to a temporary
// .npy. Prints one JSON object per run and the 1-minute load average before and after.
//
//   bench_ggmlquant [--rows 128256] [--dim 2048] [--threads 2] [--importance 1]
//                   [--methods q4_0,q8_0,q2_K,q3_K,q4_K,q5_K,q6_K,iq4_xs]
#include "common/runcontrol.h"
#include "quant/registry.h"
#include "synth/synthetictable.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

double loadAverage()
{
    double load[1] = { -1 };
    return getloadavg(load, 1) == 1 ? load[0] : -1;
}

std::vector<std::string> split(const std::string& list)
{
    std::vector<std::string> out;
    std::stringstream s(list);
    std::string item;
    while (std::getline(s, item, ','))
        if (!item.empty())
            out.push_back(item);
    return out;
}

// The column means of x^2: what llama.cpp's imatrix holds for a tensor whose inputs are these rows.
std::string writeImportance(const vq::Matrix& e)
{
    std::vector<double> sum(static_cast<size_t>(e.cols), 0.0);
    for (int64_t r = 0; r < e.rows; ++r)
        for (int64_t j = 0; j < e.cols; ++j)
            sum[static_cast<size_t>(j)] += double(e.at(r, j)) * double(e.at(r, j));
    std::vector<float> w(sum.size());
    for (size_t j = 0; j < w.size(); ++j)
        w[j] = static_cast<float>(sum[j] / double(e.rows));
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(w.size()) + ",), }";
    while ((10 + header.size() + 1) % 64 != 0)
        header += ' ';
    header += '\n';
    const std::string path = (std::filesystem::temp_directory_path() / "bench_ggmlquant_importance.npy").string();
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    out.put(static_cast<char>(header.size() & 0xff)).put(static_cast<char>(header.size() >> 8));
    out << header;
    out.write(reinterpret_cast<const char*>(w.data()), static_cast<std::streamsize>(w.size() * sizeof(float)));
    return path;
}

} // namespace

int main(int argc, char** argv)
{
    std::map<std::string, std::string> args { { "rows", "128256" }, { "dim", "2048" }, { "threads", "2" },
        { "importance", "1" }, { "methods", "q4_0,q8_0,q2_K,q3_K,q4_K,q5_K,q6_K,iq4_xs" } };
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        if (key.rfind("--", 0) != 0 || !args.count(key.substr(2))) {
            std::cerr << "usage: bench_ggmlquant [--rows N] [--dim N] [--threads N] [--importance 0|1] "
                         "[--methods a,b,...]\n";
            return 2;
        }
        args[key.substr(2)] = argv[i + 1];
    }
    const double loadBefore = loadAverage();
    try {
        vq::SyntheticSpec s;
        s.rows = std::stoll(args["rows"]);
        s.dim = std::stoll(args["dim"]);
        const int threads = std::stoi(args["threads"]);
        vq::RunControl gen;
        gen.threads = threads;
        const vq::Matrix e = vq::generateSyntheticTable(s, gen);
        const std::string importance = args["importance"] == "1" ? writeImportance(e) : std::string();

        std::vector<vq::QuantSpec> runs { { "q4_0", nlohmann::json::object() } };
        for (const std::string& m : split(args["methods"])) {
            if (m != "q4_0")
                runs.push_back({ m, nlohmann::json::object() });
            if (!importance.empty() && vq::quantizer(m).schema().find("importance") && m != "q4_0"
                && (m.find("_K") != std::string::npos || m == "iq4_xs"))
                runs.push_back({ m, { { "importance", importance } } });
        }
        runs.push_back({ "q4_0", nlohmann::json::object() }); // again: did the machine's load change?

        double q4Rate = 0;
        std::printf("%-8s %-10s %12s %12s %10s\n", "method", "importance", "rows/s wall", "rows/s CPU", "vs q4_0");
        for (const vq::QuantSpec& spec : runs) {
            const vq::Quantizer& q = vq::quantizer(spec.method);
            vq::RunControl control;
            control.threads = threads;
            const std::clock_t cpu0 = std::clock();
            const auto t0 = std::chrono::steady_clock::now();
            const vq::QuantizedTable t = q.fit(vq::FitInput { e, {} }, spec, control);
            const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const double cpu = double(std::clock() - cpu0) / CLOCKS_PER_SEC;
            const double rate = double(e.rows) / wall;
            if (spec.method == "q4_0" && q4Rate == 0)
                q4Rate = rate;
            const bool weighted = spec.params.contains("importance");
            std::printf("%-8s %-10s %12.0f %12.0f %10.3f\n", spec.method.c_str(), weighted ? "yes" : "no", rate,
                double(e.rows) / cpu, rate / q4Rate);
            const nlohmann::json record { { "method", spec.method }, { "importance", weighted }, { "rows", e.rows },
                { "dim", e.cols }, { "threads", threads }, { "wallSeconds", wall }, { "cpuSeconds", cpu },
                { "rowsPerSecond", rate }, { "rowsPerCpuSecond", double(e.rows) / cpu },
                { "ratioToQ4_0", rate / q4Rate }, { "bitsPerParam", t.bits().bitsPerParam() } };
            std::cerr << record.dump() << "\n";
        }
        if (!importance.empty())
            std::filesystem::remove(importance);
        std::printf("load average (1 min) before %.2f, after %.2f\n", loadBefore, loadAverage());
    } catch (const std::exception& ex) {
        std::cerr << "bench_ggmlquant: " << ex.what() << "\n";
        return 1;
    }
    return 0;
}
