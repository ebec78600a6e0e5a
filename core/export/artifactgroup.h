#pragma once

// The artifact's HDF5 layout written into, and read from, any group rather than a whole file, so that
// other HDF5 files of vqscope (the session file, core/run/session.h) embed artifacts without a second
// copy of the array code. Internal to vq_core (includes <hdf5.h>); every function must be called with
// an Hdf5Lock held. Errors name path (the file) as writeArtifact/readArtifact do.

#include "common/runcontrol.h"
#include "export/artifact.h"
#include "io/hdf5handle.h"

#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace vq {

// A new HDF5 file in the 1.8 format (as every artifact), truncating filePath; errors name path.
Hdf5File createHdf5File(const std::string& filePath, const std::string& path);
// Opens path read-only after the checks readArtifact makes: NotFound, Empty, Unreadable, Malformed
// (not HDF5), Truncated (cut short).
Hdf5File openHdf5ForReading(const std::string& path);

// The root attributes and the groups arrays, metrics and provenance of ARTIFACT.md, written into group.
// Contents must have passed the checks of writeArtifact. Reports stage "export"; honours cancel.
void writeArtifactGroup(hid_t group, const ArtifactContents& contents, const std::string& path, RunControl& control);
// Reads and validates what writeArtifactGroup wrote into group, as readArtifact does for a file.
ArtifactContents readArtifactGroup(hid_t group, const std::string& path);

// A metrics JSON as the artifact's /metrics group: subgroup name of parent with the attribute "json"
// and every array of rows numbers as a float64 dataset at its JSON pointer.
void writeMetricsGroup(
    hid_t parent, const char* name, const nlohmann::json& metrics, int64_t rows, const std::string& path);
// The JSON writeMetricsGroup was given (arrays put back; finite numbers as doubles).
nlohmann::json readMetricsGroup(hid_t parent, const char* name, const std::string& path);

} // namespace vq
