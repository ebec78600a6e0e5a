#include "exportcommand.h"

#include "export/artifact.h"
#include "export/dequantizedexport.h"
#include "export/patchedcheckpoint.h"
#include "progressreporter.h"
#include "runsupport.h"
#include "terminal.h"

#include <cstdio>

namespace vqcli {

namespace {

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

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

} // namespace

CommandSpec exportCommandSpec()
{
    return {
        "export",
        "write an artifact's decoded table (.npy, safetensors) or a patched checkpoint",
        "Reads a compressed artifact written by 'vqscope-cli quantize --artifact' and writes, atomically:\n"
        "  --out X.npy                     the decoded table as NumPy (--dtype f32 or f16)\n"
        "  --out X.safetensors             the decoded table as safetensors (--dtype f32, f16 or bf16)\n"
        "  --checkpoint SRC --out PATH     a copy of the safetensors checkpoint SRC whose embedding tensor\n"
        "                                  (--tensor, default: the one the artifact was made from) is\n"
        "                                  replaced by the decoded table, at the source dtype\n"
        "  --twin --out X.safetensors      the artifact's arrays as safetensors, for PyTorch users\n"
        "Ctrl-C cancels: nothing is left behind, exit code 130.",
        { { "ARTIFACT", "a .vq.h5 file" } },
        {
            { "out", "PATH", "the file (or folder, for a sharded checkpoint) to write" },
            { "dtype", "f32|f16|bf16", "precision of the decoded table (default f32)" },
            { "checkpoint", "SRC", "write a patched copy of this safetensors checkpoint" },
            { "tensor", "NAME", "the embedding tensor to replace or to name the decoded table" },
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
    const vq::DType dtype = dtypeOption(args);
    if (!checkpoint && !twin && !endsWith(*out, ".npy") && !endsWith(*out, ".safetensors"))
        throw UsageError("--out must end in .npy or .safetensors (or give --checkpoint)");
    if (endsWith(*out, ".npy") && dtype == vq::DType::BF16)
        throw UsageError(".npy has no bf16: use --dtype f32 or f16");

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
        const vq::PatchResult r = vq::writePatchedCheckpoint(*checkpoint, *out, artifact.table, options, control);
        progress.clearLine();
        std::fprintf(stderr, "replaced %s in %s (%zu files copied unchanged)\n", options.tensorName.c_str(),
            r.rewritten.c_str(), r.copied.size());
    } else {
        vq::DequantizedExportOptions options;
        options.dtype = dtype;
        options.tensorName = args.value("tensor").value_or("");
        if (endsWith(*out, ".npy"))
            vq::exportDequantizedNpy(*out, artifact.table, options, control);
        else
            vq::exportDequantizedSafetensors(*out, artifact.table, source, options, control);
    }
    return ExitOk;
}

} // namespace vqcli
