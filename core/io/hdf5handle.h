#pragma once

// RAII ownership of HDF5 identifiers, for code inside vq_core (this header includes <hdf5.h>, which
// vq_core does not export). Create and use handles while holding an Hdf5Lock; the destructor takes
// the (recursive) lock itself, so a handle may also die outside one.

#include "common/error.h"
#include "io/hdf5lock.h"

#include <hdf5.h>

#include <string>
#include <utility>

namespace vq {

template <herr_t (*Close)(hid_t)> class Hdf5Handle {
public:
    Hdf5Handle() = default;
    // Takes ownership of id (negative ids, i.e. failed calls, are held as invalid).
    explicit Hdf5Handle(hid_t id)
        : m_id(id)
    {
    }
    ~Hdf5Handle() { reset(); }
    Hdf5Handle(Hdf5Handle&& other) noexcept
        : m_id(std::exchange(other.m_id, H5I_INVALID_HID))
    {
    }
    Hdf5Handle& operator=(Hdf5Handle&& other) noexcept
    {
        if (this != &other) {
            reset();
            m_id = std::exchange(other.m_id, H5I_INVALID_HID);
        }
        return *this;
    }
    Hdf5Handle(const Hdf5Handle&) = delete;
    Hdf5Handle& operator=(const Hdf5Handle&) = delete;

    hid_t id() const { return m_id; }
    bool valid() const { return m_id >= 0; }
    explicit operator bool() const { return valid(); }

    void reset()
    {
        if (m_id >= 0) {
            const Hdf5Lock lock;
            Close(m_id);
        }
        m_id = H5I_INVALID_HID;
    }
    // Gives up ownership without closing.
    hid_t release() { return std::exchange(m_id, H5I_INVALID_HID); }

private:
    hid_t m_id = H5I_INVALID_HID;
};

using Hdf5File = Hdf5Handle<H5Fclose>;
using Hdf5Group = Hdf5Handle<H5Gclose>;
using Hdf5Dataset = Hdf5Handle<H5Dclose>;
using Hdf5Dataspace = Hdf5Handle<H5Sclose>;
using Hdf5Datatype = Hdf5Handle<H5Tclose>;
using Hdf5Attribute = Hdf5Handle<H5Aclose>;
using Hdf5PropertyList = Hdf5Handle<H5Pclose>;
using Hdf5Object = Hdf5Handle<H5Oclose>; // any object opened with H5Oopen

// The most specific message on this thread's HDF5 error stack ("" when empty), then clears the stack.
// Call with an Hdf5Lock held.
std::string hdf5ErrorText();

// Throws vq::Error(kind, path, what + ": " + hdf5ErrorText()) when id (or a herr_t) is negative;
// returns it otherwise. Call with an Hdf5Lock held.
hid_t hdf5Check(hid_t id, ErrorKind kind, const std::string& path, const std::string& what);

} // namespace vq
