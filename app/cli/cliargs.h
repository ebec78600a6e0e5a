#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace vqcli {

// Exit codes shared by every subcommand (listed in --help).
enum ExitCode {
    ExitOk = 0,
    ExitFailure = 1, // the input could not be read or processed
    ExitUsage = 2, // bad command line
    ExitCancelled = 130, // interrupted by SIGINT (128 + 2, as shells report it)
};

// One --option of a subcommand. An empty valueName makes it a flag (no value).
struct OptionSpec {
    std::string name; // without dashes: "tensor"
    std::string valueName; // "NAME"; empty for a flag
    std::string help;
    bool repeatable = false; // may be given several times (--param a=1 --param b=2); values in order
};

struct PositionalSpec {
    std::string name; // "FILE"
    std::string help;
    bool repeated = false; // last positional only: one or more values
};

// What a subcommand accepts; drives both parsing and its --help text.
struct CommandSpec {
    std::string name; // "inspect"
    std::string summary; // one line for the global command list
    std::string description; // paragraph(s) for the command's --help
    std::vector<PositionalSpec> positionals; // all required, in order
    std::vector<OptionSpec> options;
};

// A malformed command line; main() prints it with a pointer to --help and exits with ExitUsage.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ParsedArgs {
    bool help = false; // --help / -h was given: nothing else is validated
    std::vector<std::string> positionals;
    std::map<std::string, std::string> values; // options given with a value (the last one, if repeatable)
    std::map<std::string, std::vector<std::string>> lists; // every value of a repeatable option, in order
    std::vector<std::string> flags; // flags given

    bool flag(const std::string& name) const;
    std::optional<std::string> value(const std::string& name) const;
    std::vector<std::string> valueList(const std::string& name) const; // empty when not given
};

// Parses the arguments after the subcommand name: "--opt value", "--opt=value", flags, positionals,
// "--" ending the options. Unknown options, missing or unexpected values, repeated options and a wrong
// number of positionals throw UsageError.
ParsedArgs parseArgs(const CommandSpec& spec, const std::vector<std::string>& args);

// The subcommand's --help text: usage line, description, arguments, options, exit codes.
std::string formatHelp(const CommandSpec& spec);

// The exit-code table printed by every --help.
std::string exitCodeHelp();

} // namespace vqcli
