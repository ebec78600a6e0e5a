#include "runners/backgroundrelease.h"

#include "runners/workerpriority.h"

#include <QThreadPool>

namespace vq {

namespace {

// One thread: releases are rare and cheap in CPU; what they cost is the GUI thread's time. Destroyed at
// exit, after waiting for the releases in flight.
QThreadPool& releasePool()
{
    static QThreadPool pool;
    static const bool configured = [] {
        pool.setMaxThreadCount(1);
        pool.setObjectName(QStringLiteral("vq-release"));
        return true;
    }();
    (void)configured;
    return pool;
}

thread_local bool t_releasing = false;

} // namespace

void releaseInBackground(std::shared_ptr<const void> p)
{
    if (!p)
        return;
    // A release nested in one running on the release thread: p is dropped right here, on that thread.
    if (t_releasing)
        return;
    releasePool().start([p = std::move(p)]() mutable {
        t_releasing = true;
        lowerCurrentThreadPriority();
        p.reset();
        t_releasing = false;
    });
}

void waitForBackgroundReleases()
{
    releasePool().waitForDone();
}

} // namespace vq
