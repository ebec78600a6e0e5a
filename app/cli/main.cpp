// vqscope-cli: the headless front end. Each subcommand declares its arguments (CommandSpec) and a run
// function; this file only dispatches and maps errors to exit codes.
#include "cliargs.h"
#include "codebookcommand.h"
#include "common/error.h"
#include "convertcommand.h"
#include "evalcommand.h"
#include "exportcommand.h"
#include "generatecommand.h"
#include "inspectcommand.h"
#include "methodscommand.h"
#include "quantizecommand.h"
#include "slurmsweep.h"
#include "sweepcommand.h"
#include "tunecommand.h"
#include "vq/versionline.h"

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace {

struct Command {
    vqcli::CommandSpec spec;
    std::function<int(const vqcli::ParsedArgs&)> run;
};

std::vector<Command> commands()
{
    return {
        { vqcli::inspectCommandSpec(), vqcli::runInspect },
        { vqcli::methodsCommandSpec(), vqcli::runMethods },
        { vqcli::quantizeCommandSpec(), vqcli::runQuantize },
        { vqcli::evalCommandSpec(), vqcli::runEval },
        { vqcli::sweepCommandSpec(), vqcli::runSweep },
        { vqcli::mergeCommandSpec(), vqcli::runMerge },
        { vqcli::sweepStatusCommandSpec(), vqcli::runSweepStatus },
        { vqcli::exportCommandSpec(), vqcli::runExport },
        { vqcli::generateCommandSpec(), vqcli::runGenerate },
        { vqcli::convertCommandSpec(), vqcli::runConvert },
        { vqcli::tuneCommandSpec(), vqcli::runTune },
        { vqcli::codebookCommandSpec(), vqcli::runCodebook },
    };
}

std::string globalHelp(const std::vector<Command>& all)
{
    std::string text = "Usage: vqscope-cli COMMAND [ARGS...]\n"
                       "       vqscope-cli COMMAND --help\n"
                       "       vqscope-cli --version\n\n"
                       "Compression lab for LLM token-embedding tables, headless.\n\nCommands:\n";
    for (const Command& c : all)
        text += "  " + c.spec.name + std::string(c.spec.name.size() < 12 ? 12 - c.spec.name.size() : 1, ' ')
            + c.spec.summary + "\n";
    return text + "\n" + vqcli::exitCodeHelp();
}

int runCommand(const Command& command, const std::vector<std::string>& args)
{
    vqcli::ParsedArgs parsed;
    try {
        parsed = vqcli::parseArgs(command.spec, args);
    } catch (const vqcli::UsageError& e) {
        std::fprintf(stderr, "vqscope-cli %s: %s\nTry 'vqscope-cli %s --help'.\n", command.spec.name.c_str(), e.what(),
            command.spec.name.c_str());
        return vqcli::ExitUsage;
    }
    if (parsed.help) {
        std::fputs(vqcli::formatHelp(command.spec).c_str(), stdout);
        return vqcli::ExitOk;
    }
    try {
        return command.run(parsed);
    } catch (const vqcli::UsageError& e) {
        std::fprintf(stderr, "vqscope-cli %s: %s\nTry 'vqscope-cli %s --help'.\n", command.spec.name.c_str(), e.what(),
            command.spec.name.c_str());
        return vqcli::ExitUsage;
    } catch (const vq::Cancelled&) {
        std::fprintf(stderr, "vqscope-cli: cancelled\n");
        return vqcli::ExitCancelled;
    } catch (const vq::Error& e) {
        std::fprintf(stderr, "vqscope-cli: %s\n", e.what());
        return vqcli::ExitFailure;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "vqscope-cli: out of memory\n");
        return vqcli::ExitFailure;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "vqscope-cli: %s\n", e.what());
        return vqcli::ExitFailure;
    }
}

} // namespace

int main(int argc, char** argv)
{
    const std::vector<Command> all = commands();
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::fputs(globalHelp(all).c_str(), stderr);
        return vqcli::ExitUsage;
    }
    const std::string& first = args.front();
    if (first == "--version") {
        std::printf("vqscope-cli %s\n", vq::kVersionLine);
        return vqcli::ExitOk;
    }
    if (first == "--help" || first == "-h" || first == "help") {
        if (first == "help" && args.size() > 1) {
            for (const Command& c : all) {
                if (c.spec.name == args[1]) {
                    std::fputs(vqcli::formatHelp(c.spec).c_str(), stdout);
                    return vqcli::ExitOk;
                }
            }
        }
        std::fputs(globalHelp(all).c_str(), stdout);
        return vqcli::ExitOk;
    }
    for (const Command& c : all) {
        if (c.spec.name == first)
            return runCommand(c, std::vector<std::string>(args.begin() + 1, args.end()));
    }
    std::fprintf(stderr, "vqscope-cli: unknown command '%s'\nTry 'vqscope-cli --help'.\n", first.c_str());
    return vqcli::ExitUsage;
}
