#pragma once

#include <mutex>

namespace vq {

// The HDF5 library as Debian ships it is not thread-safe: every HDF5 call in vqscope is made while
// holding this one process-wide (recursive) mutex, so readers, writers and handle destructors on
// different threads never overlap inside the library.
std::recursive_mutex& hdf5Mutex();

// Scoped hold of hdf5Mutex(). The first hold on each thread also turns off HDF5's automatic printing
// of error stacks to stderr: failures are reported as vq::Error instead (see hdf5ErrorText()).
class Hdf5Lock {
public:
    Hdf5Lock();
    Hdf5Lock(const Hdf5Lock&) = delete;
    Hdf5Lock& operator=(const Hdf5Lock&) = delete;

private:
    std::lock_guard<std::recursive_mutex> m_guard;
};

} // namespace vq
