#pragma once

#include <cstdint>

namespace vq {

// The most memory one table, vocabulary or array read from a file may claim: three quarters of the
// physical memory, or of the address-space limit (setrlimit RLIMIT_AS) when that is lower. Sizes a
// file declares are checked against it before anything is allocated, so a header that claims
// 10^9 x 100 floats becomes a clear error instead of an allocation that takes the machine down.
uint64_t memoryBudgetBytes();

} // namespace vq
