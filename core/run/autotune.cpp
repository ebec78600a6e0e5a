#include "run/autotune.h"

#include "common/error.h"
#include "common/numbertext.h"
#include "metrics/reconstructionmetrics.h"
#include "metrics/rowsample.h"
#include "quant/registry.h"
#include "run/pareto.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

namespace vq {

namespace {

[[noreturn]] void refuse(const std::string& what)
{
    throw Error(ErrorKind::InvalidArgument, "", "auto-tune: " + what);
}

// Values of size-like integers tried around the ones a method ships (columns per group, code widths).
constexpr int64_t kLadder[] = { 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256,
    320, 384, 512, 640, 768, 1024, 1536, 2048, 4096 };

// A codebook fitted on fewer rows than this per codeword memorises the sample, and its error there says
// little about the table: configurations with more codewords than the first sample's rows / this are
// not searched.
constexpr int64_t kRowsPerCodeword = 16;

// A parameter's values: its default and its presets' values, plus for integers every value of a small
// range or the ladder from a quarter of the smallest to four times the largest of those, for floats
// quarters to fourfold, for choices and booleans every value.
std::vector<nlohmann::json> axisValues(const ParamDef& p, const std::vector<Preset>& presets)
{
    std::vector<nlohmann::json> seen { p.defaultValue };
    for (const Preset& preset : presets)
        if (preset.spec.params.contains(p.name))
            seen.push_back(preset.spec.params.at(p.name));
    std::vector<nlohmann::json> out;
    auto add = [&](const nlohmann::json& v) {
        if (std::find(out.begin(), out.end(), v) == out.end())
            out.push_back(v);
    };
    switch (p.type) {
    case ParamDef::Type::Bool:
        add(false);
        add(true);
        break;
    case ParamDef::Type::Choice:
        for (const std::string& c : p.choices)
            add(c);
        break;
    case ParamDef::Type::Int: {
        const auto lo = static_cast<int64_t>(p.min);
        const auto hi = static_cast<int64_t>(p.max);
        if (hi - lo < 16) {
            for (int64_t v = lo; v <= hi; ++v)
                add(v);
            break;
        }
        int64_t smallest = std::numeric_limits<int64_t>::max();
        int64_t largest = 0;
        for (const nlohmann::json& v : seen) {
            const auto x = v.get<int64_t>();
            add(x);
            if (x > 0) {
                smallest = std::min(smallest, x);
                largest = std::max(largest, x);
            }
        }
        if (largest == 0)
            break;
        for (const int64_t v : kLadder)
            if (v >= std::max(lo, smallest / 4) && v <= std::min(hi, largest * 4))
                add(v);
        break;
    }
    case ParamDef::Type::Float:
        for (const nlohmann::json& v : seen) {
            const double x = v.get<double>();
            for (const double f : { 0.25, 0.5, 1.0, 2.0, 4.0 })
                if (x * f >= p.min && x * f <= p.max)
                    add(x * f);
        }
        break;
    case ParamDef::Type::Path:
        add(p.defaultValue);
        break;
    }
    return out;
}

// The largest number of bits any code of spec has, from the parameters the methods use for it.
double codewordBits(const QuantSpec& spec)
{
    double most = 0;
    for (const char* key : { "bits", "kappa", "B", "b" })
        if (spec.params.contains(key) && spec.params.at(key).is_number())
            most = std::max(most, spec.params.at(key).get<double>());
    return most;
}

// k indices spread evenly over [0, n), the first and the last included.
std::vector<size_t> spread(size_t n, size_t k)
{
    std::vector<size_t> out;
    if (n == 0 || k == 0)
        return out;
    if (k >= n) {
        for (size_t i = 0; i < n; ++i)
            out.push_back(i);
        return out;
    }
    for (size_t i = 0; i < k; ++i) {
        const size_t idx = k == 1 ? 0 : (i * (n - 1) + (k - 1) / 2) / (k - 1);
        if (out.empty() || out.back() != idx)
            out.push_back(idx);
    }
    return out;
}

double lastError(const TuneCandidate& c)
{
    return c.trials.empty() ? std::numeric_limits<double>::infinity() : c.trials.back().relMse;
}

// Whether a is better than b for the goal, on their last trials.
bool better(const TuneCandidate& a, const TuneCandidate& b, const TuneOptions& options)
{
    const double ea = lastError(a);
    const double eb = lastError(b);
    if (options.targetRelMse > 0) {
        const bool fa = ea <= options.targetRelMse;
        const bool fb = eb <= options.targetRelMse;
        if (fa != fb)
            return fa;
        if (fa && a.bitsPerParam != b.bitsPerParam)
            return a.bitsPerParam < b.bitsPerParam;
    }
    if (ea != eb)
        return ea < eb;
    return a.bitsPerParam < b.bitsPerParam;
}

Matrix sampleOf(const Matrix& table, const std::vector<int64_t>& rows)
{
    Matrix out(static_cast<int64_t>(rows.size()), table.cols);
    for (size_t i = 0; i < rows.size(); ++i)
        std::copy_n(table.row(rows[i]), table.cols, out.row(static_cast<int64_t>(i)));
    return out;
}

} // namespace

void validateTuneOptions(const TuneOptions& options, int64_t rows, int64_t dim)
{
    if (rows <= 0 || dim <= 0)
        refuse("the table is empty");
    if (!(options.maxBits > 0) || !std::isfinite(options.maxBits))
        refuse("the bit budget must be a positive number of bits/param");
    if (!(options.targetRelMse >= 0) || !std::isfinite(options.targetRelMse))
        refuse("the target error must be a relative MSE >= 0");
    if (options.perMethod < 1 || options.perMethod > 1000)
        refuse("candidates per method must be between 1 and 1000");
    if (options.firstSample < 16)
        refuse("the first sample must hold at least 16 rows");
    if (options.finalSample < options.firstSample)
        refuse("the final sample (" + std::to_string(options.finalSample) + " rows) is smaller than the first ("
            + std::to_string(options.firstSample) + ")");
    if (options.eta < 2 || options.eta > 16)
        refuse("eta must be between 2 and 16");
    if (options.keep < 1)
        refuse("at least one result must be kept");
    if (!options.weights.empty() && static_cast<int64_t>(options.weights.size()) != rows)
        refuse("token weights hold " + std::to_string(options.weights.size()) + " values for a table of "
            + std::to_string(rows) + " rows");
    for (const std::string& m : options.methods)
        quantizer(m); // throws, listing the known names
}

std::vector<TuneCandidate> tuneCandidates(
    int64_t rows, int64_t dim, const TuneOptions& options, int64_t* costed, int64_t* withinBudget)
{
    validateTuneOptions(options, rows, dim);
    const int64_t firstRows = std::min(rows, options.firstSample);
    std::vector<const Quantizer*> methods;
    for (const std::string& m : options.methods)
        methods.push_back(&quantizer(m));
    if (methods.empty())
        methods = allQuantizers();

    std::vector<TuneCandidate> out;
    int64_t nCosted = 0;
    int64_t nWithin = 0;
    for (const Quantizer* q : methods) {
        const std::vector<Preset> presets = q->presets();
        std::vector<std::pair<std::string, std::vector<nlohmann::json>>> axes;
        for (const std::string& key : q->keyParameters())
            if (const ParamDef* p = q->schema().find(key))
                axes.emplace_back(key, axisValues(*p, presets));

        // Every combination of the axes (odometer order), plus the presets as they ship.
        std::vector<QuantSpec> specs;
        for (const Preset& p : presets)
            specs.push_back(p.spec);
        std::vector<size_t> at(axes.size(), 0);
        for (bool more = true; more;) {
            QuantSpec s { q->name(), nlohmann::json::object() };
            for (size_t i = 0; i < axes.size(); ++i)
                s.params[axes[i].first] = axes[i].second[at[i]];
            specs.push_back(std::move(s));
            more = false;
            for (size_t i = axes.size(); i-- > 0;) {
                if (++at[i] < axes[i].second.size()) {
                    more = true;
                    break;
                }
                at[i] = 0;
            }
        }

        std::vector<TuneCandidate> fits;
        std::set<std::string> seen;
        for (const QuantSpec& spec : specs) {
            TuneCandidate c;
            try {
                c.spec = q->validate(spec, rows, dim);
                // It must also fit the first sample (codebooks no larger than the rows they learn from).
                q->validate(spec, firstRows, dim);
                ++nCosted;
                c.bitsPerParam = q->estimate(c.spec, rows, dim).bitsPerParam();
            } catch (const Error&) {
                continue;
            }
            if (!(c.bitsPerParam <= options.maxBits))
                continue;
            ++nWithin;
            if (std::exp2(codewordBits(c.spec)) * kRowsPerCodeword > static_cast<double>(firstRows))
                continue;
            if (seen.insert(c.spec.toJson().dump()).second)
                fits.push_back(std::move(c));
        }
        // A spread over the bits: for a budget, over its upper 15% (more bits nearly always buy a lower
        // error, so the contest is between structures at about the same cost); for a target error, over
        // all of it.
        std::stable_sort(fits.begin(), fits.end(),
            [](const TuneCandidate& a, const TuneCandidate& b) { return a.bitsPerParam > b.bitsPerParam; });
        if (options.targetRelMse <= 0 && !fits.empty()) {
            const double floor = 0.85 * fits.front().bitsPerParam;
            std::erase_if(fits, [&](const TuneCandidate& c) { return c.bitsPerParam < floor; });
        }
        for (const size_t i : spread(fits.size(), static_cast<size_t>(options.perMethod)))
            out.push_back(fits[i]);
    }
    if (costed)
        *costed = nCosted;
    if (withinBudget)
        *withinBudget = nWithin;
    return out;
}

TuneResult autoTune(const Matrix& table, const TuneOptions& options, RunControl& control)
{
    TuneResult result;
    result.candidates = tuneCandidates(
        table.rows, table.cols, options, &result.configurationsCosted, &result.configurationsWithinBudget);
    if (result.candidates.empty())
        refuse("no configuration of " + (options.methods.empty() ? std::string("any method") : "the methods asked for")
            + " costs at most " + numberText(options.maxBits) + " bits/param on a table of "
            + std::to_string(table.rows) + " x " + std::to_string(table.cols));

    // Rounds and the fits they will run, known up front for the progress fraction.
    const auto keepAtLeast = static_cast<size_t>(options.keep);
    for (int64_t n = std::min(table.rows, options.firstSample);;) {
        result.sampleRows.push_back(n);
        const int64_t last = std::min(table.rows, options.finalSample);
        if (n >= last)
            break;
        n = std::min(last, n * options.eta);
    }
    std::vector<size_t> planned;
    for (size_t alive = result.candidates.size(), r = 0; r < result.sampleRows.size(); ++r) {
        planned.push_back(alive);
        alive = std::min(alive, std::max(keepAtLeast, (alive + options.eta - 1) / static_cast<size_t>(options.eta)));
    }
    double totalFits = 0;
    for (const size_t p : planned)
        totalFits += static_cast<double>(p);

    std::vector<size_t> alive(result.candidates.size());
    for (size_t i = 0; i < alive.size(); ++i)
        alive[i] = i;
    double fitsDone = 0;
    for (size_t round = 0; round < result.sampleRows.size(); ++round) {
        const int64_t n = result.sampleRows[round];
        const std::string stage = "tune: round " + std::to_string(round + 1) + " of "
            + std::to_string(result.sampleRows.size()) + " (" + std::to_string(n) + " rows)";
        const std::vector<int64_t> rows = vq::sampleRows(table.rows, n, control.seed + round);
        const Matrix sample = sampleOf(table, rows);
        std::vector<float> weights;
        if (!options.weights.empty())
            for (const int64_t r : rows)
                weights.push_back(options.weights[static_cast<size_t>(r)]);

        std::vector<size_t> survivors;
        for (const size_t idx : alive) {
            TuneCandidate& c = result.candidates[idx];
            control.report(stage, fitsDone / totalFits);
            // The method reports its own stages; they are folded into this one, and a cancel of the
            // search reaches the fit through them.
            RunControl inner;
            inner.seed = control.seed;
            inner.threads = control.threads;
            inner.setProgressCallback([&](std::string_view, double fraction) {
                if (control.cancelled())
                    inner.cancel();
                control.report(stage, (fitsDone + std::clamp(fraction, 0.0, 1.0)) / totalFits);
            });
            const auto start = std::chrono::steady_clock::now();
            try {
                const Quantizer& q = quantizer(c.spec.method);
                const QuantizedTable fitted = q.fit(FitInput { sample, weights }, c.spec, inner);
                control.throwIfCancelled();
                const Matrix recon = fitted.decodeAll();
                const ReconstructionMetrics m = computeReconstructionMetrics(sample, recon, weights, inner);
                const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
                c.trials.push_back({ n, m.weightedRelMse, took.count() });
                if (std::isfinite(m.weightedRelMse))
                    survivors.push_back(idx);
                else
                    c.error = "the error on the sample is not finite";
            } catch (const Cancelled&) {
                control.throwIfCancelled();
                throw;
            } catch (const Error& e) {
                control.throwIfCancelled();
                c.error = e.what();
            }
            fitsDone += 1;
        }
        std::stable_sort(survivors.begin(), survivors.end(),
            [&](size_t a, size_t b) { return better(result.candidates[a], result.candidates[b], options); });
        if (round + 1 < result.sampleRows.size())
            survivors.resize(std::min(survivors.size(), planned[round + 1]));
        alive = std::move(survivors);
    }
    control.report("tune: done", 1.0);

    // The last round's candidates best for the goal first, and which of them are Pareto-best (bits
    // against error).
    std::vector<ParetoPoint> points;
    for (const size_t i : alive)
        points.push_back({ result.candidates[i].bitsPerParam, lastError(result.candidates[i]) });
    std::vector<bool> onFrontier(alive.size(), false);
    for (const size_t k : paretoFrontier(points, true))
        onFrontier[k] = true;
    for (size_t k = 0; k < alive.size() && result.best.size() < keepAtLeast; ++k) {
        result.best.push_back(alive[k]);
        if (onFrontier[k])
            result.frontier.push_back(alive[k]);
    }
    return result;
}

} // namespace vq
