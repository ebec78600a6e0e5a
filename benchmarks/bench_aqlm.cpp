// AQLM on the real GloVe table: error, bits and time per configuration, with the methods registered at the
// same budget for comparison ("pq" when it exists).
//   bench_aqlm [table.npy [rows] [cols] [spec JSON ...]]     (default table: the bundled GloVe sample)
// Without specs it runs 1x8 g8, 2x8 g8 (beam 1 and 4) and, when VQ_BENCH_1X16=1, 1x16 g8.
#include "common/error.h"
#include "common/matrix.h"
#include "common/runcontrol.h"
#include "io/npyreader.h"
#include "quant/registry.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

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

vq::Matrix slice(const vq::Matrix& m, int64_t rows, int64_t cols)
{
    vq::Matrix out(rows, cols);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            out.at(r, c) = m.at(r, c);
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc > 1 && argv[1][0] == '-') {
        std::fprintf(stderr, "usage: %s [table.npy [rows] [cols] [spec JSON ...]]\n", argv[0]);
        return 2;
    }
    const std::string path = argc > 1 ? argv[1] : VQ_SAMPLE_TABLE;
    try {
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
            specs.push_back({ "aqlm", { { "M", 2 }, { "B", 8 }, { "g", 8 }, { "beam", 4 } } });
            if (const char* e = std::getenv("VQ_BENCH_1X16"); e && std::string(e) == "1")
                specs.push_back({ "aqlm", { { "M", 1 }, { "B", 16 }, { "g", 8 }, { "initIterations", 10 } } });
        }
        std::printf(
            "table %lld x %lld from %s\n", static_cast<long long>(rows), static_cast<long long>(cols), path.c_str());
        for (const vq::QuantSpec& spec : specs) {
            const vq::Quantizer& q = vq::quantizer(spec.method);
            vq::RunControl control;
            const auto t0 = std::chrono::steady_clock::now();
            const vq::QuantizedTable t = q.fit(vq::FitInput { table, {} }, spec, control);
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::printf("%-70s bits/param %.4f  relMSE %.5f  %.1f s\n", spec.toJson().dump().c_str(),
                t.bits().bitsPerParam(), relMse(table, t.decodeAll()), seconds);
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
