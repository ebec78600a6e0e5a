#include "tunecommand.h"

#include "common/error.h"
#include "progressreporter.h"
#include "quant/registry.h"
#include "run/autotune.h"
#include "run/runexecutor.h"
#include "runsupport.h"
#include "terminal.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace vqcli {

namespace {

// The method, its key parameters, and the others where they differ from their defaults.
std::string paramsText(const vq::QuantSpec& s)
{
    const vq::Quantizer& q = vq::quantizer(s.method);
    const std::vector<std::string> keys = q.keyParameters();
    std::string t = s.method;
    for (const auto& [key, value] : s.params.items()) {
        const vq::ParamDef* def = q.schema().find(key);
        if (std::find(keys.begin(), keys.end(), key) == keys.end() && def && def->defaultValue == value)
            continue;
        t += " " + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
    }
    return t;
}

nlohmann::json candidateJson(const vq::TuneCandidate& c)
{
    nlohmann::json trials = nlohmann::json::array();
    for (const vq::TuneTrial& t : c.trials)
        trials.push_back({ { "rows", t.rows }, { "relMse", t.relMse }, { "seconds", t.seconds } });
    nlohmann::json j { { "spec", c.spec.toJson() }, { "bitsPerParam", c.bitsPerParam }, { "trials", trials } };
    if (!c.error.empty())
        j["error"] = c.error;
    return j;
}

std::vector<std::string> splitList(const std::string& text)
{
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty())
            out.push_back(item);
    return out;
}

} // namespace

CommandSpec tuneCommandSpec()
{
    std::vector<OptionSpec> options = {
        { "bits", "B", "bit budget: the lowest error at <= B bits/param all-in (default 2)" },
        { "target-error", "E", "goal: the fewest bits (<= --bits, default 8 here) whose relative MSE is <= E" },
        { "methods", "A,B,...", "methods to search (default: every method)" },
        { "per-method", "N", "configurations of each method entering the search (default 8)" },
        { "first-rows", "N",
            "sample rows of the first round (default 4096); codebooks of at most N/16 codewords are searched" },
        { "final-rows", "N", "sample rows of the last round (default 16384)" },
        { "eta", "N", "keep 1/N of the candidates each round, on N times the rows (default 3)" },
        { "keep", "N", "best configurations reported (default 5)" },
        { "out", "FILE.json", "write the whole search (every candidate and trial) here" },
        { "best-spec", "FILE.json", "write the winner's spec here, for 'quantize --config'" },
    };
    for (const OptionSpec& o : tableOptions())
        options.push_back(o);
    for (const char* name : { "weights", "zipf", "seed", "threads" })
        for (const OptionSpec& o : runOptions())
            if (o.name == name)
                options.push_back(o);
    return {
        "tune",
        "search the methods' configurations for the best one at a bit budget",
        "Costs every configuration of the methods' key parameters exactly (all-in bits/param on the\n"
        "whole table, as estimate() gives), takes a spread of those within the budget, and ranks them by\n"
        "fitting each on a seeded row sample: each round keeps the best 1/eta on eta times the rows\n"
        "(successive halving). Prints the last round's Pareto-best (bits against error). Errors are\n"
        "measured on the sampled rows the fit saw, so run the winners on the whole table to confirm them\n"
        "(quantize --config with --best-spec's file).",
        { { "FILE", "checkpoint file or model folder" } },
        options,
    };
}

int runTune(const ParsedArgs& args)
{
    vq::TuneOptions options;
    const bool target = args.value("target-error").has_value();
    options.maxBits = args.value("bits") ? floatOption(args, "bits") : (target ? 8.0 : 2.0);
    if (target)
        options.targetRelMse = floatOption(args, "target-error");
    if (const auto m = args.value("methods"))
        options.methods = splitList(*m);
    options.perMethod = static_cast<int>(intOption(args, "per-method", options.perMethod, 1, 1000));
    options.firstSample = intOption(args, "first-rows", options.firstSample, 16, INT64_MAX);
    options.finalSample
        = intOption(args, "final-rows", std::max(options.finalSample, options.firstSample), 16, INT64_MAX);
    options.eta = static_cast<int>(intOption(args, "eta", options.eta, 2, 16));
    options.keep = static_cast<int>(intOption(args, "keep", options.keep, 1, 1000));

    vq::RunControl control;
    applyControlOptions(args, control);
    const vq::RunOptions runOptions = runOptionsFrom(args);
    ProgressReporter progress(control);
    const InterruptGuard interrupt(control);
    const vq::EmbeddingTable table = loadTable(args, control);
    options.weights = vq::resolveTokenWeights(runOptions, table.rows()).weights;
    try {
        vq::validateTuneOptions(options, table.rows(), table.dim());
    } catch (const vq::Error& e) {
        if (e.kind() == vq::ErrorKind::InvalidArgument)
            throw UsageError(e.message());
        throw;
    }
    const vq::TuneResult result = vq::autoTune(table.values, options, control);
    progress.clearLine();

    const int64_t lastRows = result.sampleRows.back();
    std::string roundsText;
    for (const int64_t n : result.sampleRows)
        roundsText += (roundsText.empty() ? "" : ", ") + std::to_string(n);
    std::printf("%lld configurations costed, %lld within %g bits/param; %zu candidates on %s rows\n",
        static_cast<long long>(result.configurationsCosted), static_cast<long long>(result.configurationsWithinBudget),
        options.maxBits, result.candidates.size(), roundsText.c_str());
    std::printf("%-5s  %-10s  %-12s  %-7s  %s\n", "rank", "bits/param", "relMSE", "fit s", "configuration");
    for (size_t k = 0; k < result.best.size(); ++k) {
        const size_t i = result.best[k];
        const vq::TuneCandidate& c = result.candidates[i];
        const bool pareto = std::find(result.frontier.begin(), result.frontier.end(), i) != result.frontier.end();
        std::printf("%-5s  %-10.4f  %-12.5g  %-7.2f  %s\n", (std::to_string(k + 1) + (pareto ? "*" : "")).c_str(),
            c.bitsPerParam, c.trials.back().relMse, c.trials.back().seconds, paramsText(c.spec).c_str());
    }
    std::printf("(relMSE on %lld sampled rows%s; * Pareto-best: no other costs fewer bits for a lower error)\n",
        static_cast<long long>(lastRows), options.weights.empty() ? "" : ", token-weighted");
    if (options.targetRelMse > 0 && !result.best.empty()
        && result.candidates[result.best.front()].trials.back().relMse > options.targetRelMse)
        std::printf("no configuration within %g bits/param reached the target error %g\n", options.maxBits,
            options.targetRelMse);
    if (std::fflush(stdout) != 0)
        return ExitFailure;

    if (const auto out = args.value("out")) {
        nlohmann::json candidates = nlohmann::json::array();
        for (const vq::TuneCandidate& c : result.candidates)
            candidates.push_back(candidateJson(c));
        nlohmann::json best = nlohmann::json::array();
        for (const size_t i : result.best) {
            best.push_back(candidateJson(result.candidates[i]));
            best.back()["pareto"]
                = std::find(result.frontier.begin(), result.frontier.end(), i) != result.frontier.end();
        }
        const nlohmann::json j { { "table", table.source.file }, { "tensor", table.source.tensor },
            { "checksum", table.source.checksum }, { "rows", table.rows() }, { "dim", table.dim() },
            { "maxBits", options.maxBits }, { "targetRelMse", options.targetRelMse },
            { "sampleRows", result.sampleRows }, { "seed", control.seed },
            { "configurationsCosted", result.configurationsCosted },
            { "configurationsWithinBudget", result.configurationsWithinBudget }, { "best", best },
            { "candidates", candidates } };
        writeOutput(*out, j.dump(2) + "\n");
    }
    if (const auto spec = args.value("best-spec"); spec && !result.best.empty())
        writeOutput(*spec, result.candidates[result.best.front()].spec.toJson().dump(2) + "\n");
    return result.best.empty() ? ExitFailure : ExitOk;
}

} // namespace vqcli
