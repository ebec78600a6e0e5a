#pragma once

#include "common/runcontrol.h"

#include <cstdint>
#include <string>

namespace vq {

// Isolation for the HDF5 parser. libhdf5 does not survive every damaged file (crashes, endless loops and
// heap overflows inside the library on hostile input), and a crash in the app takes the user's unsaved
// runs with it. So an HDF5 file (a checkpoint, artifact or session) is first parsed in a short-lived
// helper process, vqscope-probe, under a time and an address-space limit; only a file that parsed
// cleanly there is read in the app's own process.

struct ProbeLimits {
    double seconds = 120; // wall time before the helper is killed
    uint64_t addressSpaceBytes = 0; // the helper's RLIMIT_AS; 0: 4/3 of memoryBudgetBytes() plus 1 GiB for code
};

// Runs vqscope-probe on path unless an earlier probe in this process passed the same file and tensor
// (same path, size and modification time) or path is not an HDF5 file (other formats are parsed by our own code).
// tensor: the dataset the caller will read ("" for the automatic pick). Polls control for cancel (the
// helper is killed; throws vq::Cancelled). Throws vq::Error naming path: the helper's own error (the
// file is refused exactly as in-process reading would refuse it), Malformed when it crashed or was
// killed by its limits, Unsupported when no helper could be started.
void probeHdf5File(const std::string& path, const std::string& tensor = {}, RunControl& control = nullRunControl(),
    const ProbeLimits& limits = {});

// What the helper does with the file, in-process: a session or artifact is read and validated whole;
// any other HDF5 file is listed, its chosen (or given) tensor loaded as loadEmbedding loads it, and
// every 1-D string dataset read. Throws vq::Error as those readers do.
void parseHdf5AsTheAppWould(const std::string& path, const std::string& tensor);

// Where the helper is: $VQ_PROBE_PATH when set; else beside the running executable; else in
// ../libexec/vqscope/ relative to it (the installed layout). "" when none exists.
std::string probeExecutable();

// Forgets every cached verdict (tests; a file replaced within the mtime resolution).
void clearProbeCache();

} // namespace vq
