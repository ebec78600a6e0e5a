#include "quant/adaptor/correctiveadaptor.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "quant/nearestcentroids.h"
#include "quant/residualtrainer.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <mutex>
#include <numbers>

namespace vq {

namespace {

// Rows per forward/backward chunk: fixed, so gradient sums do not depend on the thread count.
constexpr int64_t kChunkRows = 64;

constexpr float kGeluK = 0.7978845608028654f; // sqrt(2 / pi)
constexpr float kGeluC = 0.044715f;

float activate(AdaptorActivation a, float x)
{
    if (a == AdaptorActivation::GeluTanh)
        return 0.5f * x * (1.0f + std::tanh(kGeluK * (x + kGeluC * x * x * x)));
    return x / (1.0f + std::exp(-x));
}

float activationSlope(AdaptorActivation a, float x)
{
    if (a == AdaptorActivation::GeluTanh) {
        const float t = std::tanh(kGeluK * (x + kGeluC * x * x * x));
        return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * kGeluK * (1.0f + 3.0f * kGeluC * x * x);
    }
    const float s = 1.0f / (1.0f + std::exp(-x));
    return s * (1.0f + x * (1.0f - s));
}

int asInt(int64_t v)
{
    return static_cast<int>(v);
}

// Seeded standard normal values (splitmix64 + Box-Muller): the same on every platform.
class Normal {
public:
    explicit Normal(uint64_t seed)
        : m_state(seed)
    {
    }
    float next()
    {
        if (m_hasSpare) {
            m_hasSpare = false;
            return m_spare;
        }
        const double u1 = (static_cast<double>(nextBits() >> 11) + 1.0) * 0x1.0p-53;
        const double u2 = static_cast<double>(nextBits() >> 11) * 0x1.0p-53;
        const double r = std::sqrt(-2.0 * std::log(u1));
        m_spare = static_cast<float>(r * std::sin(2.0 * std::numbers::pi * u2));
        m_hasSpare = true;
        return static_cast<float>(r * std::cos(2.0 * std::numbers::pi * u2));
    }
    uint64_t nextBits()
    {
        uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }

private:
    uint64_t m_state;
    float m_spare = 0;
    bool m_hasSpare = false;
};

// Per-chunk buffers of one mini-batch step.
struct Chunk {
    std::vector<int64_t> ids;
    std::vector<float> z, h, a, y, t, dz, grad;
    double loss = 0;
};

} // namespace

AdaptorActivation adaptorActivationFromName(const std::string& name)
{
    if (name == "gelu")
        return AdaptorActivation::GeluTanh;
    if (name == "silu")
        return AdaptorActivation::Silu;
    throw Error(ErrorKind::InvalidArgument, "", "corrective adaptor: unknown activation '" + name + "'");
}

CorrectiveAdaptor::CorrectiveAdaptor(int64_t rows, int64_t m, int64_t width, int64_t dim, AdaptorActivation activation)
    : m_rows(rows)
    , m_m(m)
    , m_width(width)
    , m_dim(dim)
    , m_activation(activation)
{
    if (rows < 1 || m < 1 || width < 1 || dim < 1)
        throw Error(ErrorKind::InvalidArgument, "",
            "corrective adaptor: empty shape (rows " + std::to_string(rows) + ", m " + std::to_string(m) + ", width "
                + std::to_string(width) + ", dim " + std::to_string(dim) + ")");
    m_sigma0.assign(static_cast<size_t>(rows * m), 0.0f);
    m_params.assign(static_cast<size_t>(paramCount()), 0.0f);
}

void CorrectiveAdaptor::initialise(uint64_t seed)
{
    Normal table(mixSeed(seed, 0xada0));
    for (float& v : m_sigma0)
        v = table.next();
    Normal layer(mixSeed(seed, 0xada1));
    const float s = 1.0f / std::sqrt(static_cast<float>(m_m));
    std::fill(m_params.begin(), m_params.end(), 0.0f);
    for (int64_t i = 0; i < b1Offset(); ++i)
        m_params[static_cast<size_t>(i)] = s * layer.next();
}

void CorrectiveAdaptor::addSigma1(const float* z, int64_t count, float* out, const float* params) const
{
    if (count <= 0)
        return;
    // Plain loops in a fixed order per row, not a GEMM over the batch: a row decodes to the same bits
    // whichever rows are decoded with it (BLAS kernels round differently by batch shape).
    const float* p = params ? params : m_params.data();
    const float* w1 = p;
    const float* b1 = p + b1Offset();
    const float* w2 = p + w2Offset();
    const float* b2 = p + b2Offset();
    std::vector<float> w2t(static_cast<size_t>(m_width * m_dim)); // width x dim: contiguous inner loop
    for (int64_t c = 0; c < m_dim; ++c)
        for (int64_t j = 0; j < m_width; ++j)
            w2t[static_cast<size_t>(j * m_dim + c)] = w2[c * m_width + j];
    std::vector<float> a(static_cast<size_t>(m_width)), y(static_cast<size_t>(m_dim));
    for (int64_t i = 0; i < count; ++i) {
        const float* zi = z + i * m_m;
        for (int64_t j = 0; j < m_width; ++j) {
            float v = 0.0f;
            for (int64_t k = 0; k < m_m; ++k)
                v += w1[j * m_m + k] * zi[k];
            a[static_cast<size_t>(j)] = activate(m_activation, v + b1[j]);
        }
        std::fill(y.begin(), y.end(), 0.0f);
        for (int64_t j = 0; j < m_width; ++j) {
            const float aj = a[static_cast<size_t>(j)];
            const float* row = w2t.data() + j * m_dim;
            for (int64_t c = 0; c < m_dim; ++c)
                y[static_cast<size_t>(c)] += aj * row[c];
        }
        float* o = out + i * m_dim;
        for (int64_t c = 0; c < m_dim; ++c)
            o[c] += y[static_cast<size_t>(c)] + b2[c];
    }
}

void CorrectiveAdaptor::addGamma(std::span<const int64_t> rowIds, float* out) const
{
    const auto count = static_cast<int64_t>(rowIds.size());
    std::vector<float> z(static_cast<size_t>(count * m_m));
    for (int64_t i = 0; i < count; ++i) {
        const int64_t r = rowIds[static_cast<size_t>(i)];
        if (r < 0 || r >= m_rows)
            throw Error(
                ErrorKind::InvalidArgument, "", "corrective adaptor: row " + std::to_string(r) + " out of range");
        std::copy_n(m_sigma0.data() + r * m_m, m_m, z.data() + i * m_m);
    }
    addSigma1(z.data(), count, out);
}

void CorrectiveAdaptor::quantizeSigma0(int bits, std::vector<int32_t>& q, std::vector<float>& scales)
{
    if (bits < 2 || bits > 16)
        throw Error(ErrorKind::InvalidArgument, "",
            "corrective adaptor: " + std::to_string(bits) + "-bit sigma_0 not supported");
    const auto qmax = static_cast<float>((1 << (bits - 1)) - 1);
    q.assign(m_sigma0.size(), 0);
    scales.assign(static_cast<size_t>(m_rows), 0.0f);
    for (int64_t r = 0; r < m_rows; ++r) {
        float* x = m_sigma0.data() + r * m_m;
        float maxAbs = 0.0f;
        for (int64_t j = 0; j < m_m; ++j)
            maxAbs = std::max(maxAbs, std::abs(x[j]));
        const float s = roundToHalf(maxAbs / qmax);
        scales[static_cast<size_t>(r)] = s;
        for (int64_t j = 0; j < m_m; ++j) {
            const float v = s > 0.0f ? std::clamp(std::nearbyint(x[j] / s), -qmax, qmax) : 0.0f;
            q[static_cast<size_t>(r * m_m + j)] = static_cast<int32_t>(v);
            x[j] = v * s;
        }
    }
}

void CorrectiveAdaptor::roundParamsToHalf()
{
    for (float& v : m_params)
        v = roundToHalf(v);
}

AdaptorTrainingStats trainCorrectiveAdaptor(CorrectiveAdaptor& adaptor, const AdaptorTargetFn& target,
    std::span<const float> weights, const AdaptorTrainingOptions& options, const RunControl& control)
{
    useSingleThreadedBlas();
    const int64_t rows = adaptor.rows(), m = adaptor.m(), w = adaptor.width(), n = adaptor.dim();
    const int64_t pc = adaptor.paramCount();
    if (!weights.empty() && static_cast<int64_t>(weights.size()) != rows)
        throw Error(ErrorKind::InvalidArgument, "",
            "corrective adaptor: " + std::to_string(weights.size()) + " token weights for " + std::to_string(rows)
                + " rows");
    if (options.epochs < 0 || options.batch < 1)
        throw Error(ErrorKind::InvalidArgument, "", "corrective adaptor: epochs must be >= 0 and batch >= 1");
    double weightMean = 1.0;
    const bool weighted = !weights.empty();
    if (weighted) {
        double s = 0;
        for (float f : weights)
            s += f;
        weightMean = s / static_cast<double>(rows);
        if (!(weightMean > 0)) // checkFitInput refuses these before any method trains
            throw Error(ErrorKind::InvalidArgument, "", "corrective adaptor: every token weight is 0");
    }
    const int64_t batch = std::min(options.batch, rows);
    const int64_t batches = (rows + batch - 1) / batch;
    const int64_t chunksPerBatch = (batch + kChunkRows - 1) / kChunkRows;
    const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
    const AdaptorActivation act = adaptor.activation();

    std::vector<Chunk> chunks(static_cast<size_t>(chunksPerBatch));
    for (Chunk& c : chunks) {
        c.ids.reserve(kChunkRows);
        c.z.resize(static_cast<size_t>(kChunkRows * m));
        c.dz.resize(static_cast<size_t>(kChunkRows * m));
        c.h.resize(static_cast<size_t>(kChunkRows * w));
        c.a.resize(static_cast<size_t>(kChunkRows * w));
        c.y.resize(static_cast<size_t>(kChunkRows * n));
        c.t.resize(static_cast<size_t>(kChunkRows * n));
        c.grad.resize(static_cast<size_t>(pc));
    }
    std::vector<float>& params = adaptor.params();
    std::vector<float>& table = adaptor.sigma0();
    std::vector<float> forward(params.size()), pm(params.size()), pv(params.size());
    std::vector<float> tm, tv;
    if (options.trainSigma0) {
        tm.assign(table.size(), 0.0f);
        tv.assign(table.size(), 0.0f);
    }
    std::vector<int64_t> perm(static_cast<size_t>(rows));
    constexpr float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
    const double totalSteps = static_cast<double>(options.epochs) * static_cast<double>(batches);
    const auto decay = [&](double progress) { return 0.1 + 0.9 * 0.5 * (1.0 + std::cos(std::numbers::pi * progress)); };

    AdaptorTrainingStats stats;
    int64_t step = 0;
    control.report(options.stage, 0.0);
    for (int epoch = 0; epoch < options.epochs; ++epoch) {
        // Seeded Fisher-Yates: the same permutation on every platform.
        Normal bits(mixSeed(options.seed, 0xe90c, static_cast<uint64_t>(epoch)));
        for (int64_t i = 0; i < rows; ++i)
            perm[static_cast<size_t>(i)] = i;
        for (int64_t i = rows - 1; i > 0; --i)
            std::swap(perm[static_cast<size_t>(i)],
                perm[static_cast<size_t>(bits.nextBits() % static_cast<uint64_t>(i + 1))]);
        const auto tableLr = static_cast<float>(
            options.tableLr * decay(options.epochs > 1 ? double(epoch) / double(options.epochs - 1) : 0.0));
        const float tableCorr1 = 1.0f - std::pow(beta1, static_cast<float>(epoch + 1));
        const float tableCorr2 = 1.0f - std::pow(beta2, static_cast<float>(epoch + 1));
        double epochLoss = 0;
        for (int64_t b = 0; b < batches; ++b) {
            control.throwIfCancelled();
            const int64_t begin = b * batch;
            const int64_t count = std::min(batch, rows - begin);
            const int64_t nChunks = (count + kChunkRows - 1) / kChunkRows;
            if (options.halfParams)
                std::transform(params.begin(), params.end(), forward.begin(), roundToHalf);
            else
                std::copy(params.begin(), params.end(), forward.begin());
            const float* W1 = forward.data();
            const float* B1 = W1 + adaptor.b1Offset();
            const float* W2 = W1 + adaptor.w2Offset();
            const float* B2 = W1 + adaptor.b2Offset();
            const double gradScale = 2.0 / (static_cast<double>(count) * static_cast<double>(n) * weightMean);

            std::exception_ptr error;
            std::mutex errorMutex;
#pragma omp parallel for schedule(static) num_threads(threads)
            for (int64_t ci = 0; ci < nChunks; ++ci) {
                try {
                    Chunk& c = chunks[static_cast<size_t>(ci)];
                    const int64_t first = begin + ci * kChunkRows;
                    const int64_t cnt = std::min(kChunkRows, begin + count - first);
                    c.ids.assign(perm.begin() + first, perm.begin() + first + cnt);
                    for (int64_t i = 0; i < cnt; ++i)
                        std::copy_n(table.data() + c.ids[static_cast<size_t>(i)] * m, m, c.z.data() + i * m);
                    // H = Z W1^T + b1, A = act(H), Y = A W2^T + b2
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, asInt(cnt), asInt(w), asInt(m), 1.0f,
                        c.z.data(), asInt(m), W1, asInt(m), 0.0f, c.h.data(), asInt(w));
                    for (int64_t i = 0; i < cnt; ++i)
                        for (int64_t j = 0; j < w; ++j) {
                            const size_t k = static_cast<size_t>(i * w + j);
                            c.h[k] += B1[j];
                            c.a[k] = activate(act, c.h[k]);
                        }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, asInt(cnt), asInt(n), asInt(w), 1.0f,
                        c.a.data(), asInt(w), W2, asInt(w), 0.0f, c.y.data(), asInt(n));
                    target(std::span<const int64_t>(c.ids), c.t.data());
                    // D = dLoss/dY = 2 f_t (Y - T) / (count * n * mean f), stored in y.
                    c.loss = 0;
                    for (int64_t i = 0; i < cnt; ++i) {
                        const double f = weighted ? weights[static_cast<size_t>(c.ids[static_cast<size_t>(i)])] : 1.0;
                        float* y = c.y.data() + i * n;
                        const float* t = c.t.data() + i * n;
                        double s = 0;
                        for (int64_t j = 0; j < n; ++j) {
                            const float d = y[j] + B2[j] - t[j];
                            s += static_cast<double>(d) * d;
                            y[j] = d;
                        }
                        c.loss += f * s;
                        const auto g = static_cast<float>(f * gradScale);
                        for (int64_t j = 0; j < n; ++j)
                            y[j] *= g;
                    }
                    float* gW1 = c.grad.data();
                    float* gB1 = gW1 + adaptor.b1Offset();
                    float* gW2 = gW1 + adaptor.w2Offset();
                    float* gB2 = gW1 + adaptor.b2Offset();
                    // dW2 = D^T A, db2 = colsum D, dA = D W2 (into a), dH = dA * act'(H) (into h)
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, asInt(n), asInt(w), asInt(cnt), 1.0f,
                        c.y.data(), asInt(n), c.a.data(), asInt(w), 0.0f, gW2, asInt(w));
                    std::fill(gB2, gB2 + n, 0.0f);
                    for (int64_t i = 0; i < cnt; ++i)
                        for (int64_t j = 0; j < n; ++j)
                            gB2[j] += c.y[static_cast<size_t>(i * n + j)];
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, asInt(cnt), asInt(w), asInt(n), 1.0f,
                        c.y.data(), asInt(n), W2, asInt(w), 0.0f, c.a.data(), asInt(w));
                    std::fill(gB1, gB1 + w, 0.0f);
                    for (int64_t i = 0; i < cnt; ++i)
                        for (int64_t j = 0; j < w; ++j) {
                            const size_t k = static_cast<size_t>(i * w + j);
                            c.h[k] = c.a[k] * activationSlope(act, c.h[k]);
                            gB1[j] += c.h[k];
                        }
                    // dW1 = dH^T Z, dZ = dH W1
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, asInt(w), asInt(m), asInt(cnt), 1.0f,
                        c.h.data(), asInt(w), c.z.data(), asInt(m), 0.0f, gW1, asInt(m));
                    if (options.trainSigma0) {
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, asInt(cnt), asInt(m), asInt(w), 1.0f,
                            c.h.data(), asInt(w), W1, asInt(m), 0.0f, c.dz.data(), asInt(m));
                        // Each row sits in exactly one chunk of the epoch: its Adam step count is epoch + 1.
                        for (int64_t i = 0; i < cnt; ++i) {
                            const size_t base = static_cast<size_t>(c.ids[static_cast<size_t>(i)] * m);
                            for (int64_t j = 0; j < m; ++j) {
                                const size_t k = base + static_cast<size_t>(j);
                                const float g = c.dz[static_cast<size_t>(i * m + j)];
                                tm[k] = beta1 * tm[k] + (1.0f - beta1) * g;
                                tv[k] = beta2 * tv[k] + (1.0f - beta2) * g * g;
                                table[k] -= tableLr * (tm[k] / tableCorr1) / (std::sqrt(tv[k] / tableCorr2) + eps);
                            }
                        }
                    }
                } catch (...) {
                    const std::lock_guard lock(errorMutex);
                    if (!error)
                        error = std::current_exception();
                }
            }
            if (error)
                std::rethrow_exception(error);

            ++step;
            const auto lr = static_cast<float>(options.lr * decay(double(step - 1) / std::max(1.0, totalSteps - 1)));
            const float corr1 = 1.0f - std::pow(beta1, static_cast<float>(std::min<int64_t>(step, 100000)));
            const float corr2 = 1.0f - std::pow(beta2, static_cast<float>(std::min<int64_t>(step, 100000)));
#pragma omp parallel for schedule(static) num_threads(threads)
            for (int64_t k = 0; k < pc; ++k) {
                float g = 0.0f;
                for (int64_t ci = 0; ci < nChunks; ++ci)
                    g += chunks[static_cast<size_t>(ci)].grad[static_cast<size_t>(k)];
                const auto kk = static_cast<size_t>(k);
                pm[kk] = beta1 * pm[kk] + (1.0f - beta1) * g;
                pv[kk] = beta2 * pv[kk] + (1.0f - beta2) * g * g;
                params[kk] -= lr * (pm[kk] / corr1) / (std::sqrt(pv[kk] / corr2) + eps);
            }
            for (int64_t ci = 0; ci < nChunks; ++ci)
                epochLoss += chunks[static_cast<size_t>(ci)].loss;
            control.report(options.stage, static_cast<double>(step) / totalSteps);
        }
        stats.epochLoss.push_back(epochLoss / (static_cast<double>(rows) * static_cast<double>(n) * weightMean));
    }
    return stats;
}

} // namespace vq
