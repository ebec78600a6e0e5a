#pragma once

// Typed HDF5 attribute access for the artifact writer and reader (internal to vq_core: includes
// <hdf5.h>). Every function must be called with an Hdf5Lock held. Writers throw
// vq::Error(WriteFailed, path, ...), readers vq::Error(Malformed, path, ...) naming the object and the
// attribute, so a hand-edited file gets a message that says what is wrong where.

#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vq::hdf5attr {

// Strings are written as variable-length UTF-8 (h5py reads them as str).
void writeString(hid_t object, const std::string& name, const std::string& value, const std::string& path);
void writeInt64(hid_t object, const std::string& name, int64_t value, const std::string& path);
void writeUInt64(hid_t object, const std::string& name, uint64_t value, const std::string& path);
void writeDouble(hid_t object, const std::string& name, double value, const std::string& path);
// A 1-D int64 array; an empty vector is written with a null dataspace.
void writeInt64Array(
    hid_t object, const std::string& name, const std::vector<int64_t>& values, const std::string& path);

bool exists(hid_t object, const std::string& name);
// Fixed- or variable-length strings; `where` names the object in messages ("/arrays/codes").
std::string readString(hid_t object, const std::string& name, const std::string& path, const std::string& where);
// Any scalar integer attribute, converted by HDF5 to int64.
int64_t readInt64(hid_t object, const std::string& name, const std::string& path, const std::string& where);
// A 1-D integer attribute (or a null dataspace: empty).
std::vector<int64_t> readInt64Array(
    hid_t object, const std::string& name, const std::string& path, const std::string& where);

} // namespace vq::hdf5attr
