#pragma once

#include "cliargs.h"
#include "common/runcontrol.h"
#include "io/embeddingtable.h"
#include "quant/quantspec.h"
#include "run/runexecutor.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace vqcli {

// The options shared by the commands that load a table and run quantizers (quantize, eval, sweep).
std::vector<OptionSpec> tableOptions(); // --tensor, --vocab, --rows
std::vector<OptionSpec> runOptions(); // --weights, --zipf, --seed, --threads, metrics switches

// Loads FILE (positional 0) as --tensor/--vocab say and keeps the first --rows rows (checksum
// recomputed for the slice). Throws UsageError for a malformed --rows.
vq::EmbeddingTable loadTable(const ParsedArgs& args, vq::RunControl& control);
// Seed and threads into control; throws UsageError for malformed values.
void applyControlOptions(const ParsedArgs& args, vq::RunControl& control);
vq::RunOptions runOptionsFrom(const ParsedArgs& args);

// --config FILE (a QuantSpec JSON), then --method, then each --param key=value on top. Values are
// typed by the method's schema (Int, Float, Bool as JSON; Choice as text); unknown keys are kept for
// the schema to refuse. Throws UsageError when no method is given or the config is unreadable.
vq::QuantSpec specFrom(const ParsedArgs& args);

// Reads a whole JSON file; throws vq::Error naming it.
nlohmann::json readJsonFile(const std::string& path);
// Writes text to path atomically (vq::AtomicFile), or to stdout when path is empty.
void writeOutput(const std::string& path, const std::string& text);

// Parses an integer option; throws UsageError naming the option.
long long intOption(const ParsedArgs& args, const std::string& name, long long fallback, long long min, long long max);

} // namespace vqcli
