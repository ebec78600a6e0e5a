#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace vq {

// Progress, cancellation, seed and thread count for one long operation (load, fit, metrics, export).
// The caller owns it and keeps it alive for the whole call. report() may be called from any thread
// (it serialises nothing: the callback must be thread-safe and cheap, e.g. store into atomics or post
// a queued signal). cancel() may be called from any thread; long loops poll cancelled() per chunk and
// stop within a fraction of a second.
class RunControl {
public:
    using ProgressFn = std::function<void(std::string_view stage, double fraction)>;

    RunControl() = default;
    RunControl(const RunControl&) = delete;
    RunControl& operator=(const RunControl&) = delete;

    void setProgressCallback(ProgressFn fn) { m_progress = std::move(fn); }
    // fraction in [0, 1] of the named stage.
    void report(std::string_view stage, double fraction) const
    {
        if (m_progress)
            m_progress(stage, fraction);
    }

    void cancel() noexcept { m_cancel.store(true, std::memory_order_relaxed); }
    bool cancelled() const noexcept { return m_cancel.load(std::memory_order_relaxed); }
    // Throws vq::Cancelled when cancel() was called.
    void throwIfCancelled() const;

    uint64_t seed = 0x5eed;
    int threads = 0; // 0: OpenMP's default

private:
    ProgressFn m_progress;
    std::atomic<bool> m_cancel { false };
};

// A RunControl for callers that need neither progress nor cancel.
RunControl& nullRunControl();

} // namespace vq
