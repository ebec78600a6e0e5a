#include "quant/methods/vqshared.h"

#include "common/error.h"
#include "common/halffloat.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <memory>
#include <mutex>

namespace vq {

CodebookPrecision CodebookPrecision::fromName(const std::string& name)
{
    if (name == "f32")
        return { StorageType::F32 };
    if (name == "f16")
        return { StorageType::F16 };
    if (name == "bf16")
        return { StorageType::BF16 };
    throw Error(ErrorKind::InvalidArgument, "", "codebook precision '" + name + "' (expected f32, f16 or bf16)");
}

std::string CodebookPrecision::name() const
{
    switch (type) {
    case StorageType::F32:
        return "fp32";
    case StorageType::BF16:
        return "bf16";
    default:
        return "fp16";
    }
}

void CodebookPrecision::round(Matrix& m) const
{
    if (type == StorageType::F16)
        for (float& v : m.values)
            v = roundToHalf(v);
    else if (type == StorageType::BF16)
        for (float& v : m.values)
            v = bf16ToFloat(floatToBf16(v));
}

float CodebookPrecision::maxMagnitude() const
{
    return type == StorageType::F16 ? 65504.0f : 3.0e38f;
}

void requireCodebookable(const Matrix& table, const CodebookPrecision& precision, const std::string& method)
{
    const float limit = precision.maxMagnitude() / 2;
    for (int64_t i = 0; i < table.rows; ++i) {
        const float* r = table.row(i);
        for (int64_t j = 0; j < table.cols; ++j) {
            if (!std::isfinite(r[j]) || std::fabs(r[j]) > limit)
                throw Error(ErrorKind::InvalidArgument, "",
                    method + ": value " + std::to_string(r[j]) + " at row " + std::to_string(i) + ", column "
                        + std::to_string(j)
                        + (std::isfinite(r[j]) ? " could overflow " + precision.name()
                                    + " codebooks (choose a wider codebook precision)"
                                               : " is not finite"));
        }
    }
}

std::string divisorsText(int64_t dim, int64_t max)
{
    constexpr size_t kMaxShown = 24;
    std::vector<int64_t> divisors;
    for (int64_t d = 1; d * d <= dim; ++d) {
        if (dim % d != 0)
            continue;
        divisors.push_back(d);
        if (d != dim / d)
            divisors.push_back(dim / d);
    }
    std::sort(divisors.begin(), divisors.end());
    std::string text;
    size_t shown = 0;
    for (int64_t d : divisors) {
        if (d > max)
            break;
        if (shown == kMaxShown) {
            text += ", \u2026";
            break;
        }
        text += (shown++ ? ", " : "") + std::to_string(d);
    }
    return text;
}

void requireDividesRow(
    const std::string& method, const std::string& param, int64_t width, int64_t dim, const std::string& alternative)
{
    if (dim % width != 0)
        throw Error(ErrorKind::InvalidArgument, "",
            method + ": parameter '" + param + "' = " + std::to_string(width) + " does not divide the row length "
                + std::to_string(dim) + " (use " + alternative + "one of " + divisorsText(dim, dim) + ")");
}

int largestBits(int64_t vectors)
{
    int bits = 0;
    while (bits < 62 && (int64_t(2) << bits) <= vectors)
        ++bits;
    return bits;
}

std::string largestBitsText(int64_t vectors)
{
    const int bits = largestBits(vectors);
    return bits > 0 ? " (at most " + std::to_string(bits) + " bits here)" : std::string();
}

void requireBelowFloat32(const std::string& method, const BitBudget& budget)
{
    const double bpp = budget.bitsPerParam();
    if (bpp > 32.0)
        throw Error(ErrorKind::InvalidArgument, "",
            method + ": " + std::to_string(bpp) + " bits per parameter, more than the float32 table itself");
}

QuantizedTable beginFit(const Quantizer& method, const FitInput& input, const QuantSpec& spec)
{
    const Matrix& e = input.table;
    QuantizedTable t;
    t.spec = method.validate(spec, e.rows, e.cols);
    t.rows = e.rows;
    t.dim = e.cols;
    return t;
}

KMeansOptions kmeansOptionsOf(const QuantSpec& spec)
{
    KMeansOptions o;
    o.maxIterations = static_cast<int>(spec.getInt("iterations"));
    o.tolerance = spec.getFloat("tolerance");
    o.maxPointsPerCentroid = spec.getInt("sampleCap");
    o.init = spec.getString("init") == "random" ? KMeansOptions::Init::Random : KMeansOptions::Init::PlusPlus;
    return o;
}

std::function<void(int, double)> kmeansProgress(const RunControl& control, std::string stage, double totalIterations)
{
    auto done = std::make_shared<std::atomic<int64_t>>(0);
    return [&control, stage = std::move(stage), totalIterations, done](
               int, double) { control.report(stage, static_cast<double>(++*done) / totalIterations); };
}

TaskThreads splitThreads(int64_t tasks, int threads)
{
    const bool outer = tasks >= threads;
    return { outer ? threads : 1, outer ? 1 : threads };
}

std::vector<float> repeatWeights(std::span<const float> weights, int64_t perRow)
{
    std::vector<float> out;
    out.reserve(weights.size() * static_cast<size_t>(perRow));
    for (float w : weights)
        out.insert(out.end(), static_cast<size_t>(perRow), w);
    return out;
}

void parallelTasks(int64_t count, int threads, const RunControl& control, const std::function<void(int64_t)>& fn)
{
    if (count <= 0)
        return;
    const int nt = static_cast<int>(std::min<int64_t>(threads > 0 ? threads : omp_get_max_threads(), count));
    std::atomic<bool> stop { false };
    std::mutex mutex;
    int64_t failedTask = -1;
    std::exception_ptr failure;
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (int64_t i = 0; i < count; ++i) {
        if (stop.load(std::memory_order_relaxed) || control.cancelled()) {
            stop.store(true, std::memory_order_relaxed);
            continue;
        }
        try {
            fn(i);
        } catch (...) {
            const std::lock_guard lock(mutex);
            if (failedTask < 0 || i < failedTask) {
                failedTask = i;
                failure = std::current_exception();
            }
            stop.store(true, std::memory_order_relaxed);
        }
    }
    if (failure)
        std::rethrow_exception(failure);
    control.throwIfCancelled();
}

std::string fewVectorsWarning(int64_t trainingVectors, int64_t centroids, const std::string& what)
{
    if (trainingVectors >= 39 * centroids)
        return {};
    return std::to_string(trainingVectors) + " training vectors for " + std::to_string(centroids) + " centroids ("
        + what + "): under 39 per centroid, the codebooks will over-fit";
}

void addFewVectorsWarning(std::vector<std::string>& warnings, const std::string& method, int64_t trainingVectors,
    int64_t centroids, const std::string& what)
{
    const std::string few = fewVectorsWarning(trainingVectors, centroids, what);
    if (!few.empty())
        warnings.push_back(method + ": " + few);
}

std::vector<ParamDef> withKMeansParams(
    std::vector<ParamDef> params, const std::string& iterationsScope, const std::string& trainingUnit)
{
    params.push_back({ "iterations", ParamDef::Type::Int, 1, 1000, 25, {},
        "k-means iterations" + iterationsScope + " at most", false });
    params.push_back({ "tolerance", ParamDef::Type::Float, 0, 1, 1e-4, {},
        "stop k-means when the error improves by less than this fraction (0: run every iteration)", true });
    params.push_back({ "init", ParamDef::Type::Choice, 0, 0, "kmeans++", { "kmeans++", "random" },
        "k-means initialisation", false });
    params.push_back({ "sampleCap", ParamDef::Type::Int, 0, 1 << 20, 256, {},
        "training vectors per " + trainingUnit + " at most (seeded sample; 0: all)", true });
    return params;
}

} // namespace vq
