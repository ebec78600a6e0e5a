#include "run/runexecutor.h"

#include "common/error.h"
#include "io/tensorreader.h"
#include "quant/registry.h"
#include "quant/tokenweights.h"
#include "vq/version.h"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <sstream>

namespace vq {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string hostName()
{
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0)
        return {};
    return buf;
}

std::string utcNow()
{
    const std::time_t now = std::time(nullptr);
    std::tm tm {};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string zipfText(double s)
{
    std::ostringstream out;
    out << "zipf s=" << s;
    return out.str();
}

Matrix readHiddenStates(const std::string& path, RunControl& control)
{
    const std::unique_ptr<TensorReader> reader = openTensorFile(path);
    if (reader->tensors().empty())
        throw Error(ErrorKind::InvalidArgument, path, "holds no tensor to use as hidden states");
    return reader->readMatrix(reader->tensors().front().name, control);
}

} // namespace

ResolvedWeights resolveTokenWeights(const RunOptions& options, int64_t rows)
{
    if (!options.weightsFile.empty() && options.zipf)
        throw Error(ErrorKind::InvalidArgument, options.weightsFile,
            "token weights given both as a counts file and as a Zipf exponent; choose one");
    if (!options.weightsFile.empty())
        return { loadTokenWeights(options.weightsFile, rows), "counts " + options.weightsFile };
    if (options.zipf)
        return { zipfTokenWeights(rows, *options.zipf), zipfText(*options.zipf) };
    return { {}, "uniform" };
}

void applyTokenWeightsDescription(const std::string& description, RunOptions& options)
{
    if (description.rfind("zipf s=", 0) == 0)
        options.zipf = std::stod(description.substr(7));
    else if (description.rfind("counts ", 0) == 0)
        options.weightsFile = description.substr(7);
}

RunProvenance runProvenance(const EmbeddingTable& table, const RunOptions& options, const RunControl& control)
{
    RunProvenance p;
    p.sourceFile = table.source.file;
    p.tensor = table.source.tensor;
    p.format = table.source.format;
    p.dtype = table.source.dtype;
    p.checksum = table.source.checksum;
    p.rows = table.rows();
    p.dim = table.dim();
    p.tokenWeights = !options.weightsFile.empty() ? "counts " + options.weightsFile
        : options.zipf                            ? zipfText(*options.zipf)
                                                  : "uniform";
    p.appVersion = kVersion;
    p.seed = control.seed;
    p.threads = control.threads;
    p.host = hostName();
    p.date = utcNow();
    return p;
}

RunRecord planRun(
    const EmbeddingTable& table, const QuantSpec& spec, const RunOptions& options, const RunControl& control)
{
    const Quantizer& q = quantizer(spec.method);
    RunRecord r;
    r.name = options.name;
    r.spec = q.validate(spec, table.rows(), table.dim());
    r.bits = q.estimate(r.spec, table.rows(), table.dim());
    r.warnings = q.warnings(r.spec, table.rows(), table.dim());
    if (table.nanCount + table.infCount > 0)
        r.warnings.push_back("the table holds " + std::to_string(table.nanCount) + " NaN and "
            + std::to_string(table.infCount) + " infinite values");
    if (!options.weightsFile.empty() && options.zipf)
        resolveTokenWeights(options, table.rows()); // throws: both given
    r.provenance = runProvenance(table, options, control);
    r.id = makeRunId(r.spec, r.provenance);
    r.status = RunStatus::Queued;
    return r;
}

RunMetrics measureQuantized(const EmbeddingTable& table, const QuantizedTable& quantized,
    std::span<const float> weights, const RunOptions& options, std::vector<std::string>& warnings, RunControl& control)
{
    if (quantized.rows != table.rows() || quantized.dim != table.dim())
        throw Error(ErrorKind::InvalidArgument, table.source.file,
            "the quantized table is " + std::to_string(quantized.rows) + " x " + std::to_string(quantized.dim)
                + ", the table " + std::to_string(table.rows()) + " x " + std::to_string(table.dim()));
    const Quantizer& q = quantizer(quantized.spec.method);
    MetricsOptions mo;
    mo.neighbourRecall = options.neighbourRecall;
    mo.recall.k = options.recallK;
    mo.recall.queries = options.recallQueries;
    mo.logitFidelity
        = options.logitFidelity.value_or(table.tiedHead.value_or(false) || !options.hiddenStatesFile.empty());
    mo.logits.queries = options.logitQueries;
    Matrix hidden;
    if (mo.logitFidelity && !options.hiddenStatesFile.empty()) {
        hidden = readHiddenStates(options.hiddenStatesFile, control);
        mo.logits.hiddenStates = &hidden;
    }
    if (!options.logitFidelity && !mo.logitFidelity)
        warnings.push_back(table.tiedHead.has_value()
                ? "logit fidelity skipped: the table is not the output head (" + table.tiedReason + ")"
                : "logit fidelity skipped: unknown whether the table is the output head");

    control.report("decode", 0);
    const Matrix decoded = quantized.decodeAll();
    control.report("decode", 1);
    control.throwIfCancelled();
    RunMetrics metrics = computeRunMetrics(table.values, decoded, weights, mo, control);
    for (const CodeArrayLayout& c : q.codeLayouts(quantized))
        metrics.codebookUsage.push_back(computeCodebookUsage(quantized.array(c.array).ints, c.layout, control));
    return metrics;
}

RunRecord executeRun(const EmbeddingTable& table, const QuantSpec& spec, const RunOptions& options, RunControl& control)
{
    RunRecord r = planRun(table, spec, options, control);
    const ResolvedWeights weights = resolveTokenWeights(options, table.rows());
    const Quantizer& q = quantizer(r.spec.method);

    r.status = RunStatus::Running;
    const Clock::time_point fitStart = Clock::now();
    auto fitted = std::make_shared<QuantizedTable>(q.fit(FitInput { table.values, weights.weights }, r.spec, control));
    r.timings.fitSeconds = secondsSince(fitStart);
    r.bits = fitted->bits();
    r.info = fitted->info;

    const Clock::time_point metricsStart = Clock::now();
    auto metrics
        = std::make_shared<RunMetrics>(measureQuantized(table, *fitted, weights.weights, options, r.warnings, control));
    r.timings.metricsSeconds = secondsSince(metricsStart);
    r.metrics = metrics->toJson();
    if (options.keepFullMetrics)
        r.fullMetrics = std::move(metrics);
    if (options.keepTable)
        r.table = std::move(fitted);
    r.status = RunStatus::Done;
    return r;
}

} // namespace vq
