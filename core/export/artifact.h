#pragma once

#include "common/runcontrol.h"
#include "io/embeddingtable.h"
#include "quant/quantizedtable.h"

#include <nlohmann/json.hpp>

#include <string>

namespace vq {

// The compressed artifact (".vq.h5"): everything a deployment needs to decode the table, plus the
// metrics and provenance of the run. The schema is documented in core/export/ARTIFACT.md.
inline constexpr const char* kArtifactFormat = "vqscope-artifact";
inline constexpr int kArtifactVersion = 1;

struct ArtifactContents {
    QuantizedTable table;
    // Metrics JSON (e.g. RunMetrics::toJson). Every array of `table.rows` numbers in it (per-token
    // errors) is stored as a float64 dataset rather than inside the JSON text.
    nlohmann::json metrics = nlohmann::json::object();
    // Where the table came from and how the run went (see makeProvenance).
    nlohmann::json provenance = nlohmann::json::object();
};

// Provenance of a run: source file, format, tensor, stored dtype and shape, checksum, the seed and
// thread count of control, the given timings (seconds by stage), the app version and the creation time
// (UTC, ISO 8601).
nlohmann::json makeProvenance(
    const TableSource& source, const RunControl& control, const nlohmann::json& timings = nlohmann::json::object());

// Writes the artifact atomically (temporary file in the target folder, then rename). Provenance gets
// "appVersion" and "created" when it has none. Reports stage "export"; honours cancel (vq::Cancelled,
// nothing written). Errors: InvalidArgument for a table that does not pass StoredArray::check() or
// metrics/provenance that are not JSON objects; WriteFailed naming path for I/O (an existing file at
// path is left untouched). Takes the HDF5 lock: serialised with every other HDF5 call.
void writeArtifact(const std::string& path, const ArtifactContents& contents, RunControl& control = nullRunControl());

// Reads and validates an artifact: format and version, the spec (a method this build knows, parameters
// that fit rows x dim), every array (present, storage type, bit width, shape, byte count, values that
// fit their storage) and that the arrays hold exactly the bits the method's estimate() promises. The
// loaded table decodes to the same floats, bit for bit, as the table that was written.
// Errors name path: NotFound, Unreadable, Empty, Truncated (cut short), Malformed (not HDF5, missing
// group/array/attribute, inconsistent sizes), Unsupported (not a vqscope artifact, another version, a
// method this build does not have).
ArtifactContents readArtifact(const std::string& path);

// The same content as a .safetensors file for PyTorch users: one tensor per stored array under its
// name. Float arrays keep their storage type (F32/F16/BF16). Integer arrays are unpacked to the smallest
// integer dtype that holds them: unsigned up to 8 bits U8, signed up to 8 bits I8, up to 16 bits I16
// (unsigned: up to 15), otherwise I32 (unsigned 32-bit codes: I64). Per-token metric arrays become F32
// tensors "metrics/<json pointer>". __metadata__ holds "format" = "vqscope-artifact", "version", "spec",
// "method", "rows", "dim", "appVersion", "info", "arrays" (JSON list: name, role, label, storage,
// bitWidth, shape), "metrics" and "provenance" (JSON text). Atomic like writeArtifact; reports "export".
void writeArtifactSafetensors(
    const std::string& path, const ArtifactContents& contents, RunControl& control = nullRunControl());

} // namespace vq
