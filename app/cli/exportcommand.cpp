#include "exportcommand.h"

#include "common/error.h"
#include "export/artifact.h"
#include "export/dequantizedexport.h"
#include "export/patchedcheckpoint.h"
#include "export/patchsupport.h"
#include "io/embeddingloader.h"
#include "io/ggmlwritable.h"
#include "io/tensorreader.h"
#include "progressreporter.h"
#include "tableformat.h"
#include "terminal.h"

#include <cstdio>

namespace vqcli {

namespace {

// The source table as the artifact's provenance describes it (names in the written metadata).
vq::TableSource sourceOf(const nlohmann::json& provenance)
{
    vq::TableSource s;
    s.file = provenance.value("sourceFile", std::string());
    s.format = provenance.value("sourceFormat", std::string());
    s.tensor = provenance.value("tensor", std::string());
    s.dtype = provenance.value("sourceDtype", std::string());
    s.checksum = provenance.value("sourceChecksum", std::string());
    return s;
}

// --type, or its older spelling --dtype; empty when neither is given.
std::string typeText(const ParsedArgs& args)
{
    const auto type = args.value("type");
    const auto dtype = args.value("dtype");
    if (type && dtype)
        throw UsageError("give either --type or --dtype, not both");
    return type ? *type : dtype.value_or("");
}

// Token strings for a standalone GGUF: --vocab, else those of the artifact's source file when it is
// still there. Says on stderr where they came from, or that there are none.
std::vector<std::string> tokensFor(const ParsedArgs& args, const vq::TableSource& source, int64_t rows)
{
    vq::LoadOptions options;
    options.vocabFile = args.value("vocab").value_or("");
    std::string from;
    std::vector<std::string> tokens;
    try {
        if (!options.vocabFile.empty()) {
            tokens = vq::readVocabFile(options.vocabFile);
            from = options.vocabFile;
            if (static_cast<int64_t>(tokens.size()) != rows)
                throw vq::Error(vq::ErrorKind::InvalidArgument, options.vocabFile,
                    std::to_string(tokens.size()) + " tokens for a table of " + std::to_string(rows) + " rows");
        } else if (!source.file.empty()) {
            const auto reader = vq::openTensorFile(source.file);
            tokens = vq::findTokenStrings(*reader, options, rows, &from);
            from = source.file + ": " + from;
        }
    } catch (const vq::Error& e) {
        if (!options.vocabFile.empty())
            throw;
        std::fprintf(stderr, "no token strings written: %s\n", e.what());
        return {};
    }
    if (tokens.empty())
        std::fprintf(stderr, "no token strings written (give --vocab FILE to add them)\n");
    else
        std::fprintf(stderr, "token strings from %s\n", from.c_str());
    return tokens;
}

} // namespace

CommandSpec exportCommandSpec()
{
    return {
        "export",
        "write an artifact's decoded table (.npy, safetensors, GGUF) or a patched checkpoint",
        "Reads a compressed artifact written by 'vqscope-cli quantize --artifact' and writes, atomically:\n"
        "  --out X.npy                     the decoded table as NumPy (--type f32 or f16)\n"
        "  --out X.safetensors             the decoded table as safetensors (--type f32, f16 or bf16)\n"
        "  --out X.gguf                    the decoded table as a standalone GGUF file (token_embd.weight,\n"
        "                                  --type any writable ggml type, default f16), with the token\n"
        "                                  strings of --vocab or of the artifact's source file\n"
        "  --checkpoint SRC --out PATH     a copy of the checkpoint SRC whose embedding tensor (--tensor,\n"
        "                                  default: the one the artifact was made from) is replaced by the\n"
        "                                  decoded table: a safetensors file or folder keeps the source\n"
        "                                  dtype; a GGUF file stores it as --type (default f16), copies\n"
        "                                  every other tensor and key/value byte for byte and records how\n"
        "                                  the embedding was made in the key vqscope.embedding\n"
        "  --twin --out X.safetensors      the artifact's arrays as safetensors, for PyTorch users\n"
        "Writable GGUF types: "
            + vq::ggml::writableTypeList()
            + ".\n"
              "Ctrl-C cancels: nothing is left behind, exit code 130.",
        { { "ARTIFACT", "a .vq.h5 file" } },
        {
            { "out", "PATH", "the file (or folder, for a sharded checkpoint) to write" },
            { "type", "T", "how the decoded table is stored (f32, f16, bf16; GGUF: a ggml type)" },
            { "dtype", "T", "the same as --type" },
            { "checkpoint", "SRC", "write a patched copy of this safetensors or GGUF checkpoint" },
            { "tensor", "NAME", "the embedding tensor to replace or to name the decoded table" },
            { "vocab", "FILE", "token strings for a standalone GGUF, one per line" },
            { "twin", "", "write the artifact's safetensors twin instead of a decoded table" },
        },
    };
}

int runExport(const ParsedArgs& args)
{
    const auto out = args.value("out");
    if (!out)
        throw UsageError("missing --out PATH");
    const bool twin = args.flag("twin");
    const auto checkpoint = args.value("checkpoint");
    if (twin && checkpoint)
        throw UsageError("give either --twin or --checkpoint, not both");
    const std::string type = typeText(args);
    const auto format = tableFormatOf(*out);
    const bool ggufCheckpoint
        = checkpoint && (vq::patch::isGgufFile(*checkpoint) || tableFormatOf(*checkpoint) == TableFormat::Gguf);
    std::string storedAs;
    if (ggufCheckpoint) {
        storedAs = checkedType(TableFormat::Gguf, type.empty() ? "f16" : type, "type");
    } else if (checkpoint || twin) {
        if (!type.empty())
            throw UsageError(checkpoint ? "--type applies to a GGUF checkpoint; a patched safetensors checkpoint keeps "
                                          "the source dtype"
                                        : "--type does not apply to --twin");
    } else if (!format) {
        throw UsageError("--out must end in .npy, .safetensors or .gguf (or give --checkpoint)");
    } else {
        storedAs = checkedType(*format, type.empty() ? (*format == TableFormat::Gguf ? "f16" : "f32") : type, "type");
    }
    if (args.value("vocab") && (checkpoint || twin || format != TableFormat::Gguf))
        throw UsageError("--vocab applies to a standalone GGUF (--out X.gguf)");

    vq::RunControl control;
    ProgressReporter progress(control);
    const InterruptGuard interrupt(control);
    const vq::ArtifactContents artifact = vq::readArtifact(args.positionals.front());
    const vq::TableSource source = sourceOf(artifact.provenance);

    if (twin) {
        vq::writeArtifactSafetensors(*out, artifact, control);
    } else if (checkpoint) {
        vq::PatchOptions options;
        options.tensorName = args.value("tensor").value_or(source.tensor);
        options.ggmlType = storedAs.empty() ? options.ggmlType : storedAs;
        options.tableSource = source;
        const vq::PatchResult r = vq::writePatchedCheckpoint(*checkpoint, *out, artifact.table, options, control);
        progress.clearLine();
        if (ggufCheckpoint) {
            std::fprintf(stderr, "replaced %s in %s, stored as %s\n", options.tensorName.c_str(), r.rewritten.c_str(),
                options.ggmlType.c_str());
            if (r.tiedHead)
                std::fprintf(stderr,
                    "note: %s has no output.weight: llama.cpp uses %s as the output layer too, so the replacement "
                    "changes the output layer as well\n",
                    checkpoint->c_str(), options.tensorName.c_str());
        } else {
            std::fprintf(stderr, "replaced %s in %s (%zu files copied unchanged)\n", options.tensorName.c_str(),
                r.rewritten.c_str(), r.copied.size());
        }
    } else {
        vq::DequantizedExportOptions options;
        options.tensorName = args.value("tensor").value_or("");
        if (*format == TableFormat::Gguf) {
            options.ggmlType = storedAs;
            options.tokens = tokensFor(args, source, artifact.table.rows);
            vq::exportDequantizedGguf(*out, artifact.table, source, options, control);
        } else {
            options.dtype = floatDType(storedAs);
            if (*format == TableFormat::Npy)
                vq::exportDequantizedNpy(*out, artifact.table, options, control);
            else
                vq::exportDequantizedSafetensors(*out, artifact.table, source, options, control);
        }
    }
    return ExitOk;
}

} // namespace vqcli
