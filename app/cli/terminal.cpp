#include "terminal.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace vqcli {

namespace {

std::atomic<vq::RunControl*> g_interruptTarget { nullptr };

extern "C" void onInterrupt(int)
{
    // Only lock-free atomic stores: async-signal-safe.
    if (vq::RunControl* control = g_interruptTarget.load())
        control->cancel();
}

} // namespace

InterruptGuard::InterruptGuard(vq::RunControl& control)
{
    g_interruptTarget.store(&control);
    struct sigaction action { };
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND; // a second Ctrl-C terminates at once
    sigaction(SIGINT, &action, nullptr);
}

InterruptGuard::~InterruptGuard()
{
    std::signal(SIGINT, SIG_DFL);
    g_interruptTarget.store(nullptr);
}

TerminalProgress::TerminalProgress(vq::RunControl& control)
    : m_control(control)
    , m_enabled(::isatty(STDERR_FILENO) == 1)
{
    if (m_enabled)
        control.setProgressCallback([this](std::string_view stage, double fraction) { show(stage, fraction); });
}

TerminalProgress::~TerminalProgress()
{
    if (m_enabled)
        m_control.setProgressCallback({});
    if (m_enabled && m_percent >= 0)
        std::fputs("\r\033[K", stderr);
}

void TerminalProgress::show(std::string_view stage, double fraction)
{
    const int percent = static_cast<int>(fraction * 100.0);
    const std::lock_guard lock(m_mutex);
    if (stage == m_stage && percent <= m_percent)
        return; // unchanged, or an older chunk reporting late
    m_stage = stage;
    m_percent = percent;
    std::fprintf(stderr, "\r\033[K%s %3d%%", m_stage.c_str(), percent);
    std::fflush(stderr);
}

} // namespace vqcli
