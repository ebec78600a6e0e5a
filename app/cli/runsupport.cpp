#include "runsupport.h"

#include "common/error.h"
#include "io/atomicfile.h"
#include "io/embeddingloader.h"
#include "quant/registry.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace vqcli {

namespace {

double floatOption(const ParsedArgs& args, const std::string& name)
{
    const std::string text = *args.value(name);
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || errno != 0)
        throw UsageError("option '--" + name + "' needs a number, got '" + text + "'");
    return v;
}

nlohmann::json paramValue(const vq::QuantSpec& spec, const std::string& key, const std::string& text)
{
    const vq::ParamDef* def = nullptr;
    try {
        def = vq::quantizer(spec.method).schema().find(key);
    } catch (const vq::Error&) {
        // Unknown method: validation names it later.
    }
    if (def && (def->type == vq::ParamDef::Type::Choice || def->type == vq::ParamDef::Type::Path))
        return text;
    const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded() || parsed.is_structured())
        return text; // the schema refuses it with the allowed range
    return parsed;
}

} // namespace

std::vector<OptionSpec> tableOptions()
{
    return {
        { "tensor", "NAME", "use this tensor instead of the automatic pick" },
        { "vocab", "FILE", "token strings, one per line (default: found beside FILE)" },
        { "rows", "N", "use only the first N rows of the table (quick trials)" },
    };
}

std::vector<OptionSpec> runOptions()
{
    return {
        { "weights", "FILE", "token counts (one per line, or a .npy vector) weighting the fit and metrics" },
        { "zipf", "S", "token weights 1/(t+1)^S for tables whose rows are sorted by frequency" },
        { "seed", "N", "random seed (default 24301)" },
        { "threads", "N", "worker threads (default: all cores)" },
        { "recall-queries", "N", "sampled tokens for neighbour recall (default 1000; 0: skip)" },
        { "logit-fidelity", "on|off|auto", "logit fidelity metric (auto: only for a tied output head)" },
        { "hidden-states", "FILE", "final hidden states (Q x dim matrix) as logit-fidelity queries" },
    };
}

long long intOption(const ParsedArgs& args, const std::string& name, long long fallback, long long min, long long max)
{
    const auto text = args.value(name);
    if (!text)
        return fallback;
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(text->c_str(), &end, 10);
    if (end == text->c_str() || *end != '\0' || errno != 0 || v < min || v > max)
        throw UsageError("option '--" + name + "' needs an integer in " + std::to_string(min) + ".."
            + std::to_string(max) + ", got '" + *text + "'");
    return v;
}

vq::EmbeddingTable loadTable(const ParsedArgs& args, vq::RunControl& control)
{
    const long long rows = intOption(args, "rows", 0, 1, INT64_MAX);
    vq::LoadOptions options;
    options.tensor = args.value("tensor").value_or("");
    options.vocabFile = args.value("vocab").value_or("");
    vq::EmbeddingTable table = vq::loadEmbedding(args.positionals.front(), options, control);
    if (rows > 0 && rows < table.rows()) {
        table.values.rows = rows;
        table.values.values.resize(static_cast<size_t>(rows * table.dim()));
        table.values.values.shrink_to_fit();
        if (table.tokens.size() > static_cast<size_t>(rows))
            table.tokens.resize(static_cast<size_t>(rows));
        table.source.checksum = vq::tableChecksum(table.values);
        table.source.selectionReason += ", first " + std::to_string(rows) + " rows";
        table.nanCount = 0;
        table.infCount = 0;
        for (float v : table.values.values) {
            table.nanCount += std::isnan(v);
            table.infCount += std::isinf(v);
        }
    }
    return table;
}

void applyControlOptions(const ParsedArgs& args, vq::RunControl& control)
{
    control.seed = static_cast<uint64_t>(intOption(args, "seed", static_cast<long long>(control.seed), 0, INT64_MAX));
    control.threads = static_cast<int>(intOption(args, "threads", 0, 0, 4096));
}

vq::RunOptions runOptionsFrom(const ParsedArgs& args)
{
    vq::RunOptions o;
    o.weightsFile = args.value("weights").value_or("");
    if (args.value("zipf"))
        o.zipf = floatOption(args, "zipf");
    if (!o.weightsFile.empty() && o.zipf)
        throw UsageError("give either --weights or --zipf, not both");
    o.recallQueries = intOption(args, "recall-queries", o.recallQueries, 0, INT64_MAX);
    o.neighbourRecall = o.recallQueries > 0;
    if (const auto lf = args.value("logit-fidelity")) {
        if (*lf == "on")
            o.logitFidelity = true;
        else if (*lf == "off")
            o.logitFidelity = false;
        else if (*lf != "auto")
            throw UsageError("option '--logit-fidelity' takes on, off or auto, got '" + *lf + "'");
    }
    o.hiddenStatesFile = args.value("hidden-states").value_or("");
    return o;
}

vq::QuantSpec specFrom(const ParsedArgs& args)
{
    vq::QuantSpec spec;
    if (const auto config = args.value("config"))
        spec = vq::QuantSpec::fromJson(readJsonFile(*config));
    if (const auto method = args.value("method")) {
        if (!spec.method.empty() && spec.method != *method)
            spec.params = nlohmann::json::object(); // the config's parameters belong to another method
        spec.method = *method;
    }
    if (spec.method.empty())
        throw UsageError("no method: give --method NAME or --config SPEC.json");
    if (!spec.params.is_object())
        spec.params = nlohmann::json::object();
    for (const std::string& kv : args.valueList("param")) {
        const size_t eq = kv.find('=');
        if (eq == 0 || eq == std::string::npos || eq + 1 == kv.size())
            throw UsageError("option '--param' takes key=value, got '" + kv + "'");
        const std::string key = kv.substr(0, eq);
        spec.params[key] = paramValue(spec, key, kv.substr(eq + 1));
    }
    return spec;
}

nlohmann::json readJsonFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw vq::Error(errno == ENOENT ? vq::ErrorKind::NotFound : vq::ErrorKind::Unreadable, path,
            errno == ENOENT ? "no such file" : std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    try {
        return nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception& e) {
        throw vq::Error(vq::ErrorKind::Malformed, path, std::string("not valid JSON: ") + e.what());
    }
}

void writeOutput(const std::string& path, const std::string& text)
{
    if (path.empty()) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        if (std::fflush(stdout) != 0)
            throw vq::Error(vq::ErrorKind::WriteFailed, "<stdout>", std::strerror(errno));
        return;
    }
    vq::AtomicFile file(path);
    file.write(text.data(), text.size());
    file.commit();
}

} // namespace vqcli
