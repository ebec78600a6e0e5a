#include "quant/rowblocks.h"

#include "common/error.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>

namespace vq {

void parallelRowBlocks(int64_t rows, int64_t blockRows, const RunControl& control, std::string_view stage,
    const std::function<void(int64_t begin, int64_t end)>& fn)
{
    if (rows <= 0)
        return;
    blockRows = std::max<int64_t>(1, blockRows);
    const int64_t blocks = (rows + blockRows - 1) / blockRows;
    const int threads = control.threads > 0 ? control.threads : omp_get_max_threads();
    std::atomic<int64_t> done { 0 };
    std::atomic<bool> failed { false };
    std::exception_ptr error;
    std::mutex errorMutex;
    control.report(stage, 0.0);

    // No break out of the omp for: remaining blocks are skipped once cancelled or failed.
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int64_t b = 0; b < blocks; ++b) {
        if (failed.load(std::memory_order_relaxed) || control.cancelled())
            continue;
        try {
            fn(b * blockRows, std::min(rows, (b + 1) * blockRows));
        } catch (...) {
            std::lock_guard lock(errorMutex);
            if (!error)
                error = std::current_exception();
            failed.store(true, std::memory_order_relaxed);
        }
        const int64_t n = done.fetch_add(1, std::memory_order_relaxed) + 1;
        // About 100 reports per stage keep callbacks cheap on large tables.
        if (n == blocks || n % std::max<int64_t>(1, blocks / 100) == 0)
            control.report(stage, static_cast<double>(n) / static_cast<double>(blocks));
    }
    if (error)
        std::rethrow_exception(error);
    control.throwIfCancelled();
}

} // namespace vq
