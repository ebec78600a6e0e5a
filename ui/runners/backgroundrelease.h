#pragma once

#include <memory>

namespace vq {

// Frees large immutable results off the GUI thread. The arrays of a run on a 128256 x 2048 table are
// hundreds of MB; dropping the last reference to them on the GUI thread (closing a session, removing
// or replacing a run) unmaps their pages there, 50 ms and more. Here the last reference moves to a
// background thread of its own, which drops it.

// Drops p on the background thread (at once when p is null).
void releaseInBackground(std::shared_ptr<const void> p);

// A pointer to the same object whose last release, on whichever thread, hands the object to
// releaseInBackground. A pointer made by this function comes back as it is.
template <class T> std::shared_ptr<const T> releasedInBackground(std::shared_ptr<const T> p);

// Blocks until everything handed over so far has been dropped (tests; shutdown waits by itself).
void waitForBackgroundReleases();

namespace detail {

// The deleter of releasedInBackground: keeps the original owner and hands it over when called.
struct BackgroundReleaser {
    std::shared_ptr<const void> owner;
    void operator()(const void*) { releaseInBackground(std::move(owner)); }
};

} // namespace detail

template <class T> std::shared_ptr<const T> releasedInBackground(std::shared_ptr<const T> p)
{
    if (!p || std::get_deleter<detail::BackgroundReleaser>(p))
        return p;
    const T* object = p.get();
    return std::shared_ptr<const T>(object, detail::BackgroundReleaser { std::move(p) });
}

} // namespace vq
