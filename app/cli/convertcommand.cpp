#include "convertcommand.h"

#include "export/tablefiles.h"
#include "io/embeddingloader.h"
#include "io/ggmlwritable.h"
#include "progressreporter.h"
#include "runsupport.h"
#include "tableformat.h"
#include "terminal.h"
#include "vq/version.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace vqcli {

namespace {

// Where the table came from, recorded in the written file's metadata.
std::string sourceRecord(const vq::EmbeddingTable& table)
{
    nlohmann::ordered_json j;
    j["sourceFile"] = std::filesystem::path(table.source.file).filename().string();
    j["sourceTensor"] = table.source.tensor;
    j["sourceDtype"] = table.source.dtype;
    j["sourceChecksum"] = table.source.checksum;
    j["appVersion"] = vq::kVersion;
    return j.dump();
}

} // namespace

CommandSpec convertCommandSpec()
{
    return {
        "convert",
        "write a table in another format and type (.npy, safetensors, GGUF)",
        "Loads the embedding table of FILE (any format and type 'inspect' reads, e.g. a Q8_0 GGUF or a BF16\n"
        "safetensors checkpoint) and writes it, atomically, as:\n"
        "  --out X.npy           NumPy, --type f32 or f16\n"
        "  --out X.safetensors   safetensors, --type f32, f16 or bf16; the tensor keeps its name\n"
        "  --out X.gguf          GGUF (token_embd.weight, with the token strings), --type "
            + vq::ggml::writableTypeList()
            + "\n"
              "The default type is the stored one when the output format has it, else f32.\n"
              "Ctrl-C cancels: nothing is left behind, exit code 130.",
        { { "FILE", "a checkpoint, GGUF, HDF5 or .npy file (or a sharded checkpoint's folder)" } },
        {
            { "out", "PATH", "the file to write; its extension picks the format" },
            { "type", "T", "how the values are stored" },
            { "tensor", "NAME", "convert this tensor instead of the automatic pick" },
            { "vocab", "FILE", "token strings, one per line (default: found beside FILE)" },
            { "threads", "N", "worker threads (default: all cores)" },
        },
    };
}

int runConvert(const ParsedArgs& args)
{
    const auto out = args.value("out");
    if (!out)
        throw UsageError("missing --out PATH");
    const auto format = tableFormatOf(*out);
    if (!format)
        throw UsageError("--out must end in .npy, .safetensors or .gguf");
    const auto type = args.value("type");
    if (type)
        checkedType(*format, *type, "type"); // before the table is loaded

    vq::RunControl control;
    control.threads = static_cast<int>(intOption(args, "threads", 0, 0, 4096));
    ProgressReporter progress(control);
    const InterruptGuard interrupt(control);
    vq::LoadOptions load;
    load.tensor = args.value("tensor").value_or("");
    load.vocabFile = args.value("vocab").value_or("");
    const vq::EmbeddingTable table = vq::loadEmbedding(args.positionals.front(), load, control);
    const std::string storedAs = type
        ? checkedType(*format, *type, "type")
        : checkedType(*format, formatHolds(*format, table.source.dtype) ? table.source.dtype : "f32", "type");

    const vq::TableRows rows = vq::matrixRows(table.values, control);
    switch (*format) {
    case TableFormat::Npy:
        vq::writeTableNpy(*out, rows, floatDType(storedAs), control);
        break;
    case TableFormat::Safetensors:
        vq::writeTableSafetensors(*out, rows, table.source.tensor, floatDType(storedAs),
            { { "format", "pt" }, { "vqscope.source", sourceRecord(table) } }, control);
        break;
    case TableFormat::Gguf: {
        vq::GgufTableOptions options;
        options.type = storedAs;
        options.name = std::filesystem::path(table.source.file).stem().string();
        options.tokens = table.tokens;
        options.metadata.emplace_back("vqscope.source", vq::GgufValue::string(sourceRecord(table)));
        vq::writeTableGguf(*out, rows, options, control);
        break;
    }
    }
    progress.clearLine();
    std::fprintf(stderr, "wrote %s (%lld x %lld %s) as %s\n", table.source.tensor.c_str(),
        static_cast<long long>(table.rows()), static_cast<long long>(table.dim()), table.source.dtype.c_str(),
        storedAs.c_str());
    return ExitOk;
}

} // namespace vqcli
