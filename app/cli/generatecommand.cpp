#include "generatecommand.h"

#include "progressreporter.h"
#include "runsupport.h"
#include "synth/syntheticfile.h"
#include "tableformat.h"
#include "terminal.h"

#include <cstdio>

namespace vqcli {

CommandSpec generateCommandSpec()
{
    return {
        "generate",
        "write a synthetic LLM-shaped embedding table",
        "Writes a seeded random table shaped like an LLM's token embeddings: heavy-tailed row norms, a few\n"
        "outlier columns, correlated columns (a low-rank part plus noise) and a tail of rare tokens near a\n"
        "common mean. The same rows, dim and seed always give the same values. .npy holds f32 or f16;\n"
        ".safetensors holds f32, f16 or bf16 as one tensor named model.embed_tokens.weight.\n",
        {},
        {
            { "rows", "R", "rows (tokens) of the table" },
            { "dim", "D", "columns (hidden size) of the table" },
            { "seed", "S", "seed of the generator (default 1)" },
            { "dtype", "f32|f16|bf16", "stored precision (default f32)" },
            { "out", "FILE", "the .npy or .safetensors file to write" },
        },
    };
}

int runGenerate(const ParsedArgs& args)
{
    const auto out = args.value("out");
    if (!out)
        throw UsageError("missing --out FILE");
    if (!args.value("rows") || !args.value("dim"))
        throw UsageError("missing --rows R or --dim D");
    const long long rows = intOption(args, "rows", 0, 1, vq::kMaxSyntheticValues);
    const long long dim = intOption(args, "dim", 0, 1, vq::kMaxSyntheticValues);
    const auto seed = static_cast<uint64_t>(intOption(args, "seed", 1, 0, INT64_MAX));
    const auto format = tableFormatOf(*out);
    if (!format || *format == TableFormat::Gguf)
        throw UsageError("option '--out': a synthetic table is written as .npy or .safetensors, not '" + *out + "'");
    const vq::DType dtype = floatDType(checkedType(*format, args.value("dtype").value_or("f32"), "dtype"));

    vq::RunControl control;
    ProgressReporter progress(control);
    const InterruptGuard interrupt(control);
    vq::writeSyntheticTable(*out, vq::syntheticSpecFor(rows, dim, seed), dtype, control);
    progress.clearLine();
    std::fprintf(stderr, "wrote %s: %lld x %lld %s, seed %llu\n", out->c_str(), rows, dim, vq::nameOf(dtype),
        static_cast<unsigned long long>(seed));
    return ExitOk;
}

} // namespace vqcli
