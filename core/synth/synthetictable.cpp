#include "synth/synthetictable.h"

#include "common/error.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <omp.h>

namespace vq {

namespace {

constexpr int64_t kBlockRows = 256;
constexpr int64_t kGroupRows = 8; // rows sharing one pass over the low-rank basis
constexpr double kEntryScale = 0.02; // typical std of an LLM embedding entry
constexpr double kLogNormSpread = 0.25; // log-norm multiplier of the Student-t noise
constexpr double kMaxLogNorm = 3.0; // caps a row norm at e^3 = 20x the median

uint64_t splitmix64(uint64_t& state)
{
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// A splitmix64 stream keyed by (seed, stream): independent of which thread draws it. Sampling is
// written out (not <random> distributions) so a seed gives the same table with every standard library.
class Rng {
public:
    Rng(uint64_t seed, uint64_t stream)
    {
        uint64_t s = seed;
        const uint64_t a = splitmix64(s);
        uint64_t t = stream ^ 0x6a09e667f3bcc909ull;
        m_state = a ^ splitmix64(t);
    }
    uint64_t next() { return splitmix64(m_state); }
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; } // [0, 1)
    double symmetric() { return 2.0 * uniform() - 1.0; } // [-1, 1)

    // Standard normal by Marsaglia and Tsang's ziggurat (J. Stat. Softw. 5(8), 2000), 128 layers. The
    // layer index and the magnitude come from separate bits of one draw, avoiding the correlation of
    // the original 32-bit version.
    double normal()
    {
        const Ziggurat& z = ziggurat();
        for (;;) {
            const uint64_t u = next();
            const int iz = static_cast<int>(u & 127u);
            const int64_t hz = static_cast<int32_t>(static_cast<uint32_t>(u >> 32));
            const double x = static_cast<double>(hz) * z.w[iz];
            if (static_cast<uint64_t>(hz < 0 ? -hz : hz) < z.k[iz])
                return x; // inside the layer's rectangle: about 99% of draws
            if (iz == 0) { // the tail beyond r
                double a, b;
                do {
                    a = -std::log(1.0 - uniform()) / Ziggurat::r;
                    b = -std::log(1.0 - uniform());
                } while (b + b < a * a);
                return hz > 0 ? Ziggurat::r + a : -Ziggurat::r - a;
            }
            if (z.f[iz] + uniform() * (z.f[iz - 1] - z.f[iz]) < std::exp(-0.5 * x * x))
                return x;
        }
    }

    // Student-t with nu degrees of freedom by Bailey's polar method (Math. Comp. 62, 1994).
    double studentT(double nu)
    {
        double u, v, w;
        do {
            u = symmetric();
            v = symmetric();
            w = u * u + v * v;
        } while (w >= 1.0 || w == 0.0);
        return u * std::sqrt(nu * (std::pow(w, -2.0 / nu) - 1.0) / w);
    }

private:
    struct Ziggurat {
        static constexpr double r = 3.442619855899;
        uint64_t k[128];
        double w[128];
        double f[128];
        Ziggurat()
        {
            constexpr double m1 = 2147483648.0;
            constexpr double v = 9.91256303526217e-3;
            double dn = r, tn = r;
            const double q = v / std::exp(-0.5 * dn * dn);
            k[0] = static_cast<uint64_t>(dn / q * m1);
            k[1] = 0;
            w[0] = q / m1;
            w[127] = dn / m1;
            f[0] = 1.0;
            f[127] = std::exp(-0.5 * dn * dn);
            for (int i = 126; i >= 1; --i) {
                dn = std::sqrt(-2.0 * std::log(v / dn + std::exp(-0.5 * dn * dn)));
                k[i + 1] = static_cast<uint64_t>(dn / tn * m1);
                tn = dn;
                f[i] = std::exp(-0.5 * dn * dn);
                w[i] = dn / m1;
            }
        }
    };
    static const Ziggurat& ziggurat()
    {
        static const Ziggurat table;
        return table;
    }

    uint64_t m_state;
};

// Shared by every row: low-rank basis, mean, per-column scale, the rare-token centre.
struct Globals {
    std::vector<float> basis; // rank x dim, row k already scaled by its spectrum weight
    std::vector<float> mean; // dim
    std::vector<float> scale; // dim: 1, or outlierScale on outlier columns
    std::vector<float> rareCentre; // dim
};

Globals makeGlobals(const SyntheticSpec& spec)
{
    const int64_t n = spec.dim;
    const int64_t k = spec.rank;
    Rng rng(spec.seed, ~uint64_t(0));
    Globals g;
    g.basis.resize(static_cast<size_t>(k * n));
    // Spectrum 1/sqrt(1+r), normalised so the low-rank part carries about as much variance as the noise.
    double total = 0;
    for (int64_t r = 0; r < k; ++r)
        total += 1.0 / (1.0 + static_cast<double>(r));
    for (int64_t r = 0; r < k; ++r) {
        const double w = std::sqrt(1.0 / (1.0 + static_cast<double>(r)) / total);
        for (int64_t j = 0; j < n; ++j)
            g.basis[static_cast<size_t>(r * n + j)] = static_cast<float>(w * rng.normal());
    }
    g.mean.resize(static_cast<size_t>(n));
    g.rareCentre.resize(static_cast<size_t>(n));
    g.scale.assign(static_cast<size_t>(n), 1.0f);
    for (int64_t j = 0; j < n; ++j) {
        g.mean[static_cast<size_t>(j)] = static_cast<float>(0.2 * kEntryScale * rng.normal());
        g.rareCentre[static_cast<size_t>(j)] = static_cast<float>(0.5 * kEntryScale * rng.normal());
    }
    // Outlier columns: a seeded partial Fisher-Yates shuffle picks them; they get a larger scale and
    // an offset of a few of their own standard deviations.
    std::vector<int64_t> columns(static_cast<size_t>(n));
    std::iota(columns.begin(), columns.end(), int64_t(0));
    const int64_t outliers = std::min<int64_t>(spec.outlierDims, n);
    for (int64_t i = 0; i < outliers; ++i) {
        const int64_t pick = i + static_cast<int64_t>(rng.next() % static_cast<uint64_t>(n - i));
        std::swap(columns[static_cast<size_t>(i)], columns[static_cast<size_t>(pick)]);
        const size_t c = static_cast<size_t>(columns[static_cast<size_t>(i)]);
        g.scale[c] = static_cast<float>(spec.outlierScale);
        g.mean[c] += static_cast<float>((rng.uniform() < 0.5 ? -2.0 : 2.0) * kEntryScale * spec.outlierScale);
    }
    return g;
}

// v[g] += sum_r z[g][r] * basis[r] for the count rows of a group, r ascending for every element (the
// result does not depend on how rows are grouped). Columns are tiled so a group's rows stay in L1
// while each basis row is read once per group instead of once per row. An AVX2 clone doubles the
// width; without FMA contraction (ISO C++ mode) it computes the same bits as the baseline.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void addLowRank(const float* basis, int64_t k, int64_t n, const float* z, float* v, int64_t count)
{
    constexpr int64_t tile = 512;
    for (int64_t j0 = 0; j0 < n; j0 += tile) {
        const int64_t j1 = std::min(n, j0 + tile);
        for (int64_t r = 0; r < k; ++r) {
            const float* b = basis + r * n;
            for (int64_t g = 0; g < count; ++g) {
                const float zr = z[g * k + r];
                float* __restrict vg = v + g * n;
                for (int64_t j = j0; j < j1; ++j)
                    vg[j] += zr * b[j];
            }
        }
    }
}

void validate(const SyntheticSpec& spec)
{
    const auto bad
        = [](const std::string& what) { throw Error(ErrorKind::InvalidArgument, {}, "synthetic table: " + what); };
    if (spec.rows < 1 || spec.dim < 1)
        bad("rows and dim must be at least 1");
    if (spec.rows > (int64_t(1) << 40) / spec.dim)
        bad("rows x dim is too large");
    if (spec.rank < 0 || spec.rank > spec.dim)
        bad("rank must be in [0, dim]");
    if (spec.outlierDims < 0 || spec.outlierDims > spec.dim)
        bad("outlierDims must be in [0, dim]");
    if (!(spec.outlierScale > 0))
        bad("outlierScale must be positive");
    if (!(spec.rareFraction >= 0 && spec.rareFraction <= 1))
        bad("rareFraction must be in [0, 1]");
    if (!(spec.normTailIndex > 0))
        bad("normTailIndex must be positive");
}

} // namespace

Matrix generateSyntheticTable(const SyntheticSpec& spec, RunControl& control)
{
    validate(spec);
    const Globals glob = makeGlobals(spec);
    const int64_t rows = spec.rows;
    const int64_t n = spec.dim;
    const int64_t k = spec.rank;
    const int64_t firstRare = rows - static_cast<int64_t>(std::floor(spec.rareFraction * static_cast<double>(rows)));
    const int64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
    Matrix out(rows, n);
    std::atomic<int64_t> done { 0 };
    const int threads = control.threads > 0 ? control.threads : omp_get_max_threads();

#pragma omp parallel num_threads(threads)
    {
        std::vector<float> v(static_cast<size_t>(kGroupRows * n));
        std::vector<float> z(static_cast<size_t>(kGroupRows * k));
        std::vector<double> norms(kGroupRows);
#pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < blocks; ++b) {
            if (control.cancelled())
                continue;
            Rng rng(spec.seed, static_cast<uint64_t>(b));
            const int64_t end = std::min(rows, (b + 1) * kBlockRows);
            const int64_t commonEnd = std::min(end, std::max(firstRare, b * kBlockRows));
            for (int64_t g0 = b * kBlockRows; g0 < commonEnd; g0 += kGroupRows) {
                const int64_t count = std::min(kGroupRows, commonEnd - g0);
                for (int64_t g = 0; g < count; ++g) {
                    float* vg = v.data() + g * n;
                    for (int64_t j = 0; j < n; ++j)
                        vg[j] = static_cast<float>(rng.normal());
                    for (int64_t r = 0; r < k; ++r)
                        z[static_cast<size_t>(g * k + r)] = static_cast<float>(rng.normal());
                    const double logNorm
                        = std::clamp(kLogNormSpread * rng.studentT(spec.normTailIndex), -kMaxLogNorm, kMaxLogNorm);
                    norms[static_cast<size_t>(g)] = kEntryScale * std::sqrt(static_cast<double>(n)) * std::exp(logNorm);
                }
                addLowRank(glob.basis.data(), k, n, z.data(), v.data(), count);
                for (int64_t g = 0; g < count; ++g) {
                    const float* vg = v.data() + g * n;
                    double sq = 0;
                    for (int64_t j = 0; j < n; ++j)
                        sq += static_cast<double>(vg[j]) * vg[j];
                    const float f = sq > 0 ? static_cast<float>(norms[static_cast<size_t>(g)] / std::sqrt(sq)) : 0.0f;
                    float* row = out.row(g0 + g);
                    for (int64_t j = 0; j < n; ++j)
                        row[j] = glob.mean[static_cast<size_t>(j)] + f * vg[j] * glob.scale[static_cast<size_t>(j)];
                }
            }
            // Rare tokens: barely trained, a tight cloud around a shared centre.
            for (int64_t i = commonEnd; i < end; ++i) {
                float* row = out.row(i);
                for (int64_t j = 0; j < n; ++j)
                    row[j] = glob.mean[static_cast<size_t>(j)] + glob.rareCentre[static_cast<size_t>(j)]
                        + static_cast<float>(0.1 * kEntryScale * rng.normal()) * glob.scale[static_cast<size_t>(j)];
            }
            const int64_t finished = done.fetch_add(1, std::memory_order_relaxed) + 1;
            control.report("generate", static_cast<double>(finished) / static_cast<double>(blocks));
        }
    }
    control.throwIfCancelled();
    return out;
}

} // namespace vq
