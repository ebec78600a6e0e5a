#pragma once

#include "common/runcontrol.h"

#include <chrono>
#include <mutex>
#include <string>

namespace vqcli {

// Progress of a long command (quantize, sweep) on stderr: "prefix stage NN% ETA 1m05s". On a terminal
// one line rewritten with \r; otherwise (batch-scheduler logs) a plain line at most every
// `logInterval`, so short runs print nothing. The ETA extrapolates the current stage's elapsed time.
// The callback may be called from worker threads.
class ProgressReporter {
public:
    explicit ProgressReporter(vq::RunControl& control, std::chrono::seconds logInterval = std::chrono::seconds(5));
    ~ProgressReporter(); // detaches from control and clears the terminal line
    ProgressReporter(const ProgressReporter&) = delete;
    ProgressReporter& operator=(const ProgressReporter&) = delete;

    // Shown before the stage ("[3/12] pq bits=8"); thread-safe.
    void setPrefix(std::string prefix);
    // Ends the current terminal line, so a message printed next starts on a clean line.
    void clearLine();

private:
    using Clock = std::chrono::steady_clock;
    void show(std::string_view stage, double fraction);

    vq::RunControl& m_control;
    const bool m_tty;
    const std::chrono::seconds m_interval;
    std::mutex m_mutex;
    std::string m_prefix;
    std::string m_stage;
    Clock::time_point m_stageStart;
    Clock::time_point m_lastPrint;
    int m_percent = -1;
    bool m_lineShown = false;
};

} // namespace vqcli
