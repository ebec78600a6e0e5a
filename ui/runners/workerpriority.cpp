#include "workerpriority.h"

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace vq {

void lowerCurrentThreadPriority()
{
#if defined(__linux__)
    // On Linux the nice value belongs to the thread (the tid), not the whole process.
    constexpr int kWorkerNice = 10;
    const auto tid = static_cast<id_t>(syscall(SYS_gettid));
    if (getpriority(PRIO_PROCESS, tid) < kWorkerNice)
        (void)setpriority(PRIO_PROCESS, tid, kWorkerNice);
#endif
}

} // namespace vq
