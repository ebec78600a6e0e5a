// Times every metric of a run on a LLaMA-3-sized table (128256 x 2048) with a noisy reconstruction,
// the size they must handle after each fit on a 2-core machine.
// Usage: bench_metrics [rows] [dim] [only], only: run the metrics whose label contains this text.
#include "metrics/codebookusage.h"
#include "metrics/logitfidelity.h"
#include "metrics/neighbourrecall.h"
#include "metrics/reconstructionmetrics.h"
#include "metrics/rowsample.h"
#include "metrics/thinning.h"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

using namespace vq;

namespace {

double seconds(const std::function<void()>& f)
{
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Gaussian values, one generator per row so the table does not depend on the thread count.
void fillGaussian(Matrix& m, uint64_t seed, float sigma, const Matrix* base)
{
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < m.rows; ++t) {
        SplitMix64 rng(seed * 0x100000001b3ull + static_cast<uint64_t>(t));
        float* r = m.row(t);
        for (int64_t j = 0; j < m.cols; j += 2) {
            // Box-Muller on two 53-bit uniforms in (0, 1].
            const double u1 = (static_cast<double>(rng.next() >> 11) + 1) * 0x1p-53;
            const double u2 = static_cast<double>(rng.next() >> 11) * 0x1p-53;
            const double radius = std::sqrt(-2 * std::log(u1));
            const double z[2] = { radius * std::cos(2 * M_PI * u2), radius * std::sin(2 * M_PI * u2) };
            for (int64_t k = 0; k < 2 && j + k < m.cols; ++k)
                r[j + k] = static_cast<float>(sigma * z[k]) + (base ? base->row(t)[j + k] : 0.f);
        }
    }
}

} // namespace

int main(int argc, char** argv)
{
    std::setvbuf(stdout, nullptr, _IOLBF, 0); // each line as it is measured, also into a file
    const int64_t rows = argc > 1 ? std::atoll(argv[1]) : 128256;
    const int64_t dim = argc > 2 ? std::atoll(argv[2]) : 2048;
    const char* only = argc > 3 ? argv[3] : "";
    const auto wanted = [&](const char* label) { return std::strstr(label, only) != nullptr; };
    std::printf("table %lld x %lld, %d OpenMP threads\n", static_cast<long long>(rows), static_cast<long long>(dim),
        omp_get_max_threads());

    Matrix e(rows, dim);
    Matrix r(rows, dim);
    double t = seconds([&] {
        fillGaussian(e, 1, 0.02f, nullptr);
        fillGaussian(r, 2, 0.01f, &e); // relMSE about 0.25
    });
    std::printf("%-34s %8.3f s\n", "generate table + reconstruction", t);

    RunControl control;
    ReconstructionMetrics rec;
    rec.tokenRelError.assign(static_cast<size_t>(rows), 1.f);
    if (wanted("reconstruction")) {
        t = seconds([&] { rec = computeReconstructionMetrics(e, r, {}, control); });
        std::printf("%-34s %8.3f s   relMSE %.5f, SNR %.2f dB, p99 rel %.4f\n", "reconstruction (uniform)", t,
            rec.relMse, rec.snrDb, rec.tokenRelErrorPercentiles.p99);

        std::vector<float> zipf(static_cast<size_t>(rows));
        for (int64_t i = 0; i < rows; ++i)
            zipf[static_cast<size_t>(i)] = static_cast<float>(1.0 / static_cast<double>(i + 1));
        t = seconds([&] { rec = computeReconstructionMetrics(e, r, zipf, control); });
        std::printf("%-34s %8.3f s   weighted relMSE %.5f\n", "reconstruction (Zipf weights)", t, rec.weightedRelMse);
    }

    if (wanted("neighbour recall")) {
        NeighbourRecall recall;
        t = seconds([&] { recall = computeNeighbourRecall(e, r, {}, control); });
        std::printf("%-34s %8.3f s   mean %.4f, min %.1f (%zu queries)\n", "neighbour recall@10", t, recall.mean,
            recall.min, recall.queryRows.size());
        NeighbourReference reference;
        t = seconds([&] { reference = computeNeighbourReference(e, {}, control); });
        std::printf("%-34s %8.3f s\n", "  E side alone (kept across fits)", t);
        t = seconds([&] { recall = computeNeighbourRecall(reference, r, {}, control); });
        std::printf("%-34s %8.3f s   mean %.4f\n", "  recall with the kept E side", t, recall.mean);
    }

    if (wanted("logit fidelity")) {
        LogitFidelity logits;
        t = seconds([&] { logits = computeLogitFidelity(e, r, {}, control); });
        std::printf("%-34s %8.3f s   KL %.5f nats, top-1 %.4f, top-5 %.4f, H(p) %.2f, scale %.3f\n",
            "logit fidelity (256 rows)", t, logits.meanKl, logits.top1Agreement, logits.topKOverlap,
            logits.meanRefEntropy, logits.logitScale);
    }

    // Codes of a GRVQ-like layout (h = 8: 256 groups, 3 stages of 4 bits) and an AQLM-like 1x16.
    const auto codeBench = [&](const char* label, int groups, int stages, int bits, bool shared) {
        CodeLayout layout;
        layout.rows = rows;
        layout.groups = groups;
        layout.stages = stages;
        layout.bits = bits;
        layout.sharedAcrossGroups = shared;
        std::vector<uint32_t> codes(static_cast<size_t>(rows * groups * stages));
        SplitMix64 rng(3);
        for (uint32_t& c : codes)
            c = static_cast<uint32_t>(rng.next() >> (64 - bits));
        if (!wanted(label))
            return;
        CodebookUsage u;
        const double s = seconds([&] { u = computeCodebookUsage(codes, layout, control); });
        std::printf("%-34s %8.3f s   stage 0 pooled H %.3f bits\n", label, s, u.pooled[0].entropyBits);
    };
    codeBench("codebook usage 256 x 3 x 4 bits", 256, 3, 4, false);
    codeBench("codebook usage 256 x 1 x 16 shared", 256, 1, 16, true);

    std::vector<PlotPoint> thin;
    PlotHistogram hist;
    t = seconds([&] {
        thin = thinForPlot(rec.tokenRelError, 2000);
        HistogramOptions o;
        o.bins = 100;
        o.logScale = true;
        hist = makeHistogram(rec.tokenRelError, o);
    });
    std::printf("%-34s %8.3f s   %zu points\n", "thin + log histogram (per token)", t, thin.size());
    return 0;
}
