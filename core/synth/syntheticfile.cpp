#include "synth/syntheticfile.h"

#include "common/error.h"
#include "export/tablefiles.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace vq {

namespace {

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

SyntheticSpec syntheticSpecFor(int64_t rows, int64_t dim, uint64_t seed)
{
    SyntheticSpec spec;
    spec.rows = rows;
    spec.dim = dim;
    spec.seed = seed;
    spec.rank = static_cast<int>(std::clamp<int64_t>(dim, 0, spec.rank));
    spec.outlierDims = static_cast<int>(std::clamp<int64_t>(dim / 8, 0, spec.outlierDims));
    return spec;
}

void writeSyntheticTable(const std::string& path, const SyntheticSpec& spec, DType dtype, RunControl& control)
{
    const bool npy = endsWith(path, ".npy");
    if (!npy && !endsWith(path, ".safetensors"))
        throw Error(ErrorKind::InvalidArgument, path, "a synthetic table is written as .npy or .safetensors");
    if (npy ? dtype != DType::F32 && dtype != DType::F16
            : dtype != DType::F32 && dtype != DType::F16 && dtype != DType::BF16)
        throw Error(ErrorKind::InvalidArgument, path,
            std::string(npy ? ".npy holds F32 or F16" : ".safetensors holds F32, F16 or BF16") + ", not "
                + nameOf(dtype));
    if (spec.rows < 1 || spec.dim < 1 || spec.rows > kMaxSyntheticValues / spec.dim)
        throw Error(ErrorKind::InvalidArgument, path,
            "a synthetic table of " + std::to_string(spec.rows) + " x " + std::to_string(spec.dim)
                + " is refused: rows and dim must be at least 1 and rows x dim at most "
                + std::to_string(kMaxSyntheticValues));
    Matrix values;
    try {
        values = generateSyntheticTable(spec, control);
    } catch (const Cancelled&) {
        throw;
    } catch (const Error& e) {
        throw Error(e.kind(), path, e.message());
    }
    const TableRows rows = matrixRows(values, control);
    if (npy)
        writeTableNpy(path, rows, dtype, control);
    else
        writeTableSafetensors(path, rows, "model.embed_tokens.weight", dtype,
            { { "format", "pt" },
                { "vqscope.synthetic",
                    nlohmann::json { { "rows", spec.rows }, { "dim", spec.dim }, { "seed", spec.seed } }.dump() } },
            control);
}

} // namespace vq
