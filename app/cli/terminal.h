#pragma once

#include "common/runcontrol.h"

#include <mutex>
#include <string>

namespace vqcli {

// Routes SIGINT to control.cancel() while alive, so long operations stop at their next chunk and the
// command exits with ExitCancelled. A second SIGINT falls back to the default action (terminate).
class InterruptGuard {
public:
    explicit InterruptGuard(vq::RunControl& control);
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;
};

// Shows "stage NN%" on stderr, only when stderr is a terminal (logs and pipes stay clean).
// Safe to be called from worker threads.
class TerminalProgress {
public:
    explicit TerminalProgress(vq::RunControl& control);
    ~TerminalProgress(); // clears the line
    TerminalProgress(const TerminalProgress&) = delete;
    TerminalProgress& operator=(const TerminalProgress&) = delete;

private:
    void show(std::string_view stage, double fraction);

    vq::RunControl& m_control;
    bool m_enabled = false;
    std::mutex m_mutex;
    std::string m_stage;
    int m_percent = -1;
};

} // namespace vqcli
