#include "progressreporter.h"

#include <unistd.h>

#include <cstdio>

namespace vqcli {

namespace {

std::string durationText(double seconds)
{
    const long s = static_cast<long>(seconds + 0.5);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else if (s >= 60)
        std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%lds", s);
    return buf;
}

} // namespace

ProgressReporter::ProgressReporter(vq::RunControl& control, std::chrono::seconds logInterval)
    : m_control(control)
    , m_tty(::isatty(STDERR_FILENO) == 1)
    , m_interval(logInterval)
    , m_stageStart(Clock::now())
    , m_lastPrint(Clock::now())
{
    control.setProgressCallback([this](std::string_view stage, double fraction) { show(stage, fraction); });
}

ProgressReporter::~ProgressReporter()
{
    m_control.setProgressCallback({});
    clearLine();
}

void ProgressReporter::setPrefix(std::string prefix)
{
    const std::lock_guard lock(m_mutex);
    m_prefix = std::move(prefix);
}

void ProgressReporter::clearLine()
{
    const std::lock_guard lock(m_mutex);
    if (m_tty && m_lineShown) {
        std::fputs("\r\033[K", stderr);
        std::fflush(stderr);
    }
    m_lineShown = false;
}

void ProgressReporter::show(std::string_view stage, double fraction)
{
    const Clock::time_point now = Clock::now();
    const int percent = static_cast<int>(fraction * 100.0);
    const std::lock_guard lock(m_mutex);
    if (stage != m_stage) {
        m_stage = stage;
        m_stageStart = now;
        m_percent = -1;
    } else if (percent <= m_percent) {
        return; // unchanged, or an older chunk reporting late
    }
    m_percent = percent;
    if (!m_tty && now - m_lastPrint < m_interval)
        return;
    m_lastPrint = now;
    std::string eta;
    const double elapsed = std::chrono::duration<double>(now - m_stageStart).count();
    if (fraction > 0.02 && fraction < 1 && elapsed > 1)
        eta = " ETA " + durationText(elapsed / fraction * (1 - fraction));
    const std::string prefix = m_prefix.empty() ? "" : m_prefix + " ";
    if (m_tty) {
        std::fprintf(stderr, "\r\033[K%s%s %3d%%%s", prefix.c_str(), m_stage.c_str(), percent, eta.c_str());
        m_lineShown = true;
    } else {
        std::fprintf(stderr, "%s%s %d%%%s\n", prefix.c_str(), m_stage.c_str(), percent, eta.c_str());
    }
    std::fflush(stderr);
}

} // namespace vqcli
