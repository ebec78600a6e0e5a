#include "cliargs.h"

#include <algorithm>

namespace vqcli {

bool ParsedArgs::flag(const std::string& name) const
{
    return std::find(flags.begin(), flags.end(), name) != flags.end();
}

std::optional<std::string> ParsedArgs::value(const std::string& name) const
{
    const auto it = values.find(name);
    if (it == values.end())
        return std::nullopt;
    return it->second;
}

std::vector<std::string> ParsedArgs::valueList(const std::string& name) const
{
    const auto it = lists.find(name);
    return it == lists.end() ? std::vector<std::string>() : it->second;
}

ParsedArgs parseArgs(const CommandSpec& spec, const std::vector<std::string>& args)
{
    ParsedArgs out;
    bool optionsEnded = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (optionsEnded || arg.size() < 2 || arg[0] != '-') {
            out.positionals.push_back(arg);
            continue;
        }
        if (arg == "--") {
            optionsEnded = true;
            continue;
        }
        if (arg == "--help" || arg == "-h") {
            out.help = true;
            return out;
        }
        if (arg.rfind("--", 0) != 0)
            throw UsageError("unknown option '" + arg + "'");
        const size_t eq = arg.find('=');
        const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
        const auto opt = std::find_if(
            spec.options.begin(), spec.options.end(), [&](const OptionSpec& o) { return o.name == name; });
        if (opt == spec.options.end())
            throw UsageError("unknown option '--" + name + "'");
        if ((out.values.count(name) && !opt->repeatable) || out.flag(name))
            throw UsageError("option '--" + name + "' given twice");
        if (opt->valueName.empty()) {
            if (eq != std::string::npos)
                throw UsageError("option '--" + name + "' takes no value");
            out.flags.push_back(name);
            continue;
        }
        if (eq != std::string::npos) {
            out.values[name] = arg.substr(eq + 1);
        } else {
            if (i + 1 >= args.size())
                throw UsageError("option '--" + name + "' needs a value (" + opt->valueName + ")");
            out.values[name] = args[++i];
        }
        if (out.values[name].empty())
            throw UsageError("option '--" + name + "' needs a non-empty value");
        if (opt->repeatable)
            out.lists[name].push_back(out.values[name]);
    }
    if (out.positionals.size() < spec.positionals.size())
        throw UsageError("missing " + spec.positionals[out.positionals.size()].name);
    const bool variadic = !spec.positionals.empty() && spec.positionals.back().repeated;
    if (out.positionals.size() > spec.positionals.size() && !variadic)
        throw UsageError("unexpected argument '" + out.positionals[spec.positionals.size()] + "'");
    return out;
}

std::string exitCodeHelp()
{
    return "Exit codes:\n"
           "  0    success\n"
           "  1    the input could not be read or processed (the message names the file)\n"
           "  2    usage error (bad command line)\n"
           "  130  cancelled by SIGINT (Ctrl-C)\n";
}

std::string formatHelp(const CommandSpec& spec)
{
    std::string usage = "Usage: vqscope-cli " + spec.name;
    for (const PositionalSpec& p : spec.positionals)
        usage += " " + p.name + (p.repeated ? "..." : "");
    for (const OptionSpec& o : spec.options)
        usage += " [--" + o.name + (o.valueName.empty() ? "" : " " + o.valueName) + "]" + (o.repeatable ? "..." : "");
    std::string text = usage + "\n\n" + spec.description + "\n";
    size_t width = 10;
    const auto label
        = [](const OptionSpec& o) { return "--" + o.name + (o.valueName.empty() ? "" : " " + o.valueName); };
    for (const OptionSpec& o : spec.options)
        width = std::max(width, label(o).size());
    for (const PositionalSpec& p : spec.positionals)
        width = std::max(width, p.name.size());
    const auto line = [&](const std::string& left, const std::string& right) {
        return "  " + left + std::string(width + 2 - left.size(), ' ') + right + "\n";
    };
    if (!spec.positionals.empty()) {
        text += "\nArguments:\n";
        for (const PositionalSpec& p : spec.positionals)
            text += line(p.name, p.help);
    }
    text += "\nOptions:\n";
    for (const OptionSpec& o : spec.options)
        text += line(label(o), o.help);
    text += line("-h, --help", "show this help");
    return text + "\n" + exitCodeHelp();
}

} // namespace vqcli
