#pragma once

#include "common/runcontrol.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace vq {

// GELU uses the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (PyTorch's
// approximate="tanh"); SiLU is x * sigmoid(x).
enum class AdaptorActivation { GeluTanh, Silu };

// "gelu" or "silu"; throws vq::Error(InvalidArgument) otherwise.
AdaptorActivation adaptorActivationFromName(const std::string& name);

// CARVQ's corrective adaptor gamma = sigma_1 o sigma_0 for a rows x dim table:
//   sigma_0(t) = row t of a rows x m table (a free, learned code per token),
//   sigma_1(z) = W2 act(W1 z + b1) + b2, W1 width x m, W2 dim x width (PyTorch Linear layout, out x in).
// The MLP parameters live in one flat vector: W1 | b1 | W2 | b2 (offsets below).
// Not thread-safe to modify; the const members may be called concurrently.
class CorrectiveAdaptor {
public:
    CorrectiveAdaptor(int64_t rows, int64_t m, int64_t width, int64_t dim, AdaptorActivation activation);

    // sigma_0 ~ N(0, 1), W1 ~ N(0, 1/m), b1 = 0, W2 = 0, b2 = 0: the adaptor starts as the zero map and
    // the first steps only move the last layer. Same seed, same values.
    void initialise(uint64_t seed);

    int64_t rows() const { return m_rows; }
    int64_t m() const { return m_m; }
    int64_t width() const { return m_width; }
    int64_t dim() const { return m_dim; }
    AdaptorActivation activation() const { return m_activation; }

    std::vector<float>& sigma0() { return m_sigma0; } // rows x m, row-major
    const std::vector<float>& sigma0() const { return m_sigma0; }
    std::vector<float>& params() { return m_params; }
    const std::vector<float>& params() const { return m_params; }
    int64_t b1Offset() const { return m_width * m_m; }
    int64_t w2Offset() const { return b1Offset() + m_width; }
    int64_t b2Offset() const { return w2Offset() + m_dim * m_width; }
    int64_t paramCount() const { return b2Offset() + m_dim; }

    // out[i] += sigma_1(z[i]) for count codes z (count x m) into out (count x dim), with the MLP
    // parameters `params` (paramCount() values; the adaptor's own when null). Each row's result depends on
    // that row only (not on count or the other rows), bit for bit.
    void addSigma1(const float* z, int64_t count, float* out, const float* params = nullptr) const;
    // out[i] += gamma(rowIds[i]) using the sigma_0 table held here. rowIds must be in [0, rows()).
    void addGamma(std::span<const int64_t> rowIds, float* out) const;

    // Rounds each sigma_0 row to symmetric `bits`-bit integers q in [-(2^(bits-1) - 1), 2^(bits-1) - 1]
    // with an fp16 scale s = fp16(max |x| / (2^(bits-1) - 1)); sigma_0 then holds q * s (what is stored).
    // q: rows x m, scales: rows.
    void quantizeSigma0(int bits, std::vector<int32_t>& q, std::vector<float>& scales);
    // Rounds the MLP parameters to fp16 (round to nearest even), in place.
    void roundParamsToHalf();

private:
    int64_t m_rows;
    int64_t m_m;
    int64_t m_width;
    int64_t m_dim;
    AdaptorActivation m_activation;
    std::vector<float> m_sigma0;
    std::vector<float> m_params;
};

// Fills out (rowIds.size() x dim) with the residual the adaptor should fit for those rows. Called
// concurrently from several threads on disjoint outputs; must be thread-safe.
using AdaptorTargetFn = std::function<void(std::span<const int64_t> rowIds, float* out)>;

struct AdaptorTrainingOptions {
    int epochs = 40;
    int64_t batch = 512; // rows per Adam step (clamped to the table)
    double lr = 2e-3; // Adam step size of the MLP, cosine-decayed to a tenth over the run
    double tableLr = 2e-2; // Adam step size of the sigma_0 rows (each row moves once per epoch)
    bool trainSigma0 = true; // false: sigma_0 frozen (quantization-aware fine-tuning)
    // Forward and backward through the fp16-rounded MLP parameters while Adam updates float masters
    // (straight-through), so rounding the result to fp16 keeps what was optimised.
    bool halfParams = false;
    uint64_t seed = 0;
    int threads = 0; // OpenMP threads (0: OpenMP's default)
    std::string stage = "adaptor"; // progress stage name
};

struct AdaptorTrainingStats {
    // Per epoch: sum_t f_t ||target_t - gamma(t)||^2 / (sum_t f_t * dim) over the epoch's mini-batches
    // (parameters move during the epoch).
    std::vector<double> epochLoss;
};

// Adam on the f-weighted squared error between target(t) and gamma(t), in mini-batches of rows drawn as
// a seeded permutation per epoch. Each mini-batch is split into fixed chunks of rows whose gradients are
// summed in chunk order, so the result depends on the seed only, not on the thread count. weights: empty
// (uniform) or one value >= 0 per row, not all zero (refused: InvalidArgument). Polls control's cancel flag per
// mini-batch (throws vq::Cancelled) and reports progress under options.stage. Adam's state starts fresh per call.
AdaptorTrainingStats trainCorrectiveAdaptor(CorrectiveAdaptor& adaptor, const AdaptorTargetFn& target,
    std::span<const float> weights, const AdaptorTrainingOptions& options, const RunControl& control);

} // namespace vq
