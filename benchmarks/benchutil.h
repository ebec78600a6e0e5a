// Measurement helpers shared by the benchmarks: load, CPU time, peak RSS and time per progress stage.
#pragma once

#include "common/runcontrol.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace vqbench {

// The 1-minute load average (-1 when unknown): the machine may be shared, so every figure carries it.
inline double loadAverage()
{
    double load[1] = { -1 };
    return getloadavg(load, 1) == 1 ? load[0] : -1;
}

// CPU seconds of the whole process (every thread).
inline double cpuSeconds()
{
    timespec t {};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// Peak resident set of the process so far, MiB.
inline double peakRssMiB()
{
    rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0; // KiB on Linux
}

// Wall seconds per progress stage: installs itself as the progress callback of `control`. A stage runs
// from its first report to the next report of another stage.
class StageTimer {
public:
    explicit StageTimer(vq::RunControl& control)
    {
        control.setProgressCallback([this](std::string_view stage, double) {
            const std::lock_guard lock(m_mutex);
            const auto now = std::chrono::steady_clock::now();
            if (!m_current.empty())
                m_seconds[m_current] += std::chrono::duration<double>(now - m_last).count();
            m_current = std::string(stage);
            m_last = now;
        });
    }
    std::map<std::string, double> seconds() const
    {
        const std::lock_guard lock(m_mutex);
        return m_seconds;
    }

private:
    mutable std::mutex m_mutex;
    std::map<std::string, double> m_seconds;
    std::string m_current;
    std::chrono::steady_clock::time_point m_last = std::chrono::steady_clock::now();
};

} // namespace vqbench
