#include "common/memorybudget.h"

#include <algorithm>
#include <sys/resource.h>
#include <unistd.h>

namespace vq {

uint64_t memoryBudgetBytes()
{
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long pageSize = sysconf(_SC_PAGE_SIZE);
    uint64_t limit = pages > 0 && pageSize > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize)
                                               : uint64_t(1) << 34;
    rlimit as {};
    if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
        limit = std::min<uint64_t>(limit, as.rlim_cur);
    return limit / 4 * 3;
}

} // namespace vq
