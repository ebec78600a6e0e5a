#include "methodscommand.h"

#include "quant/registry.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace vqcli {

namespace {

nlohmann::json methodJson(const vq::Quantizer& q)
{
    nlohmann::json presets = nlohmann::json::array();
    for (const vq::Preset& p : q.presets())
        presets.push_back({ { "label", p.label }, { "spec", p.spec.toJson() } });
    return {
        { "name", q.name() },
        { "label", q.label() },
        { "description", q.description() },
        { "baseline", q.isBaseline() },
        { "params", q.schema().toJson() },
        { "presets", presets },
    };
}

std::string rangeText(const vq::ParamDef& p)
{
    switch (p.type) {
    case vq::ParamDef::Type::Int:
        return "int " + std::to_string(static_cast<long long>(p.min)) + ".."
            + std::to_string(static_cast<long long>(p.max));
    case vq::ParamDef::Type::Float: {
        char buf[64];
        std::snprintf(buf, sizeof buf, "float %g..%g", p.min, p.max);
        return buf;
    }
    case vq::ParamDef::Type::Bool:
        return "bool";
    case vq::ParamDef::Type::Choice: {
        std::string s;
        for (const std::string& c : p.choices)
            s += (s.empty() ? "" : "|") + c;
        return s;
    }
    case vq::ParamDef::Type::Path:
        return "path";
    }
    return {};
}

void printMethod(const vq::Quantizer& q)
{
    std::printf("%s  %s%s\n", q.name().c_str(), q.label().c_str(), q.isBaseline() ? " [baseline]" : "");
    std::printf("  %s\n", q.description().c_str());
    for (const vq::ParamDef& p : q.schema().params)
        std::printf("  %-12s %-22s default %-10s %s\n", p.name.c_str(), rangeText(p).c_str(),
            p.defaultValue.dump().c_str(), p.help.c_str());
    for (const vq::Preset& p : q.presets())
        std::printf("  preset: %s  %s\n", p.label.c_str(), p.spec.params.dump().c_str());
    std::printf("\n");
}

} // namespace

CommandSpec methodsCommandSpec()
{
    return {
        "methods",
        "list the quantization methods, their parameters and presets",
        "Lists every quantization method this build knows: its name (for --method and spec files),\n"
        "a description, each parameter with its type, allowed range, default and help, and presets.",
        {},
        { { "json", "", "print one JSON object {\"methods\": [...]} instead of text" } },
    };
}

int runMethods(const ParsedArgs& args)
{
    if (args.flag("json")) {
        nlohmann::json list = nlohmann::json::array();
        for (const vq::Quantizer* q : vq::allQuantizers())
            list.push_back(methodJson(*q));
        const nlohmann::json out = { { "methods", list } };
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        for (const vq::Quantizer* q : vq::allQuantizers())
            printMethod(*q);
    }
    return std::fflush(stdout) == 0 ? ExitOk : ExitFailure;
}

} // namespace vqcli
