#pragma once

namespace vq {

// Lowers the calling thread's scheduling priority (nice +10 on Linux) so that a fit or metric running on
// every core never starves the GUI thread: the event loop keeps its turn on a busy machine. Threads the
// caller creates afterwards (OpenMP's team for this thread) inherit it. Idempotent; failures are
// ignored (the work then runs at normal priority).
void lowerCurrentThreadPriority();

} // namespace vq
