#include "io/hdf5lock.h"

#include <hdf5.h>

namespace vq {

std::recursive_mutex& hdf5Mutex()
{
    static std::recursive_mutex mutex;
    return mutex;
}

Hdf5Lock::Hdf5Lock()
    : m_guard(hdf5Mutex())
{
    // The error stack (and its auto-print setting) is per thread in thread-safe builds, global otherwise.
    thread_local bool silenced = false;
    if (!silenced) {
        H5open();
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        silenced = true;
    }
}

} // namespace vq
