#pragma once

#include "common/runcontrol.h"

#include <cstdint>
#include <functional>
#include <string_view>

namespace vq {

// Runs fn(begin, end) over [0, rows) in blocks of blockRows rows, in parallel (OpenMP, control.threads
// threads or OpenMP's default when 0). Blocks are fixed by rows and blockRows only, so any work that
// depends on its own block alone gives the same result for every thread count. Reports progress under
// `stage` (fraction of blocks done) and polls control's cancel flag before each block; throws
// vq::Cancelled when cancelled, and rethrows the first exception thrown by fn (later blocks are skipped).
// fn is called concurrently from several threads and must only write its own rows' outputs.
void parallelRowBlocks(int64_t rows, int64_t blockRows, const RunControl& control, std::string_view stage,
    const std::function<void(int64_t begin, int64_t end)>& fn);

} // namespace vq
