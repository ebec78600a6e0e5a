#include "export/hdf5attributes.h"

#include "common/error.h"
#include "io/hdf5handle.h"

namespace vq::hdf5attr {

namespace {

void writeScalar(
    hid_t object, const std::string& name, hid_t fileType, hid_t memType, const void* value, const std::string& path)
{
    const std::string what = "cannot write attribute '" + name + "'";
    Hdf5Dataspace space(hdf5Check(H5Screate(H5S_SCALAR), ErrorKind::WriteFailed, path, what));
    Hdf5Attribute attr(hdf5Check(H5Acreate2(object, name.c_str(), fileType, space.id(), H5P_DEFAULT, H5P_DEFAULT),
        ErrorKind::WriteFailed, path, what));
    hdf5Check(H5Awrite(attr.id(), memType, value), ErrorKind::WriteFailed, path, what);
}

Hdf5Attribute open(hid_t object, const std::string& name, const std::string& path, const std::string& where)
{
    if (!exists(object, name))
        throw Error(ErrorKind::Malformed, path, where + " has no attribute '" + name + "'");
    return Hdf5Attribute(hdf5Check(H5Aopen(object, name.c_str(), H5P_DEFAULT), ErrorKind::Malformed, path,
        "cannot open attribute '" + name + "' of " + where));
}

[[noreturn]] void wrongType(
    const std::string& name, const std::string& path, const std::string& where, const char* expected)
{
    throw Error(ErrorKind::Malformed, path, "attribute '" + name + "' of " + where + " is not " + expected);
}

} // namespace

void writeString(hid_t object, const std::string& name, const std::string& value, const std::string& path)
{
    const std::string what = "cannot write attribute '" + name + "'";
    Hdf5Datatype type(hdf5Check(H5Tcopy(H5T_C_S1), ErrorKind::WriteFailed, path, what));
    hdf5Check(H5Tset_size(type.id(), H5T_VARIABLE), ErrorKind::WriteFailed, path, what);
    hdf5Check(H5Tset_cset(type.id(), H5T_CSET_UTF8), ErrorKind::WriteFailed, path, what);
    const char* text = value.c_str();
    writeScalar(object, name, type.id(), type.id(), &text, path);
}

void writeInt64(hid_t object, const std::string& name, int64_t value, const std::string& path)
{
    writeScalar(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, path);
}

void writeUInt64(hid_t object, const std::string& name, uint64_t value, const std::string& path)
{
    writeScalar(object, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value, path);
}

void writeDouble(hid_t object, const std::string& name, double value, const std::string& path)
{
    writeScalar(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, path);
}

void writeInt64Array(hid_t object, const std::string& name, const std::vector<int64_t>& values, const std::string& path)
{
    const std::string what = "cannot write attribute '" + name + "'";
    const hsize_t n = values.size();
    Hdf5Dataspace space(hdf5Check(
        values.empty() ? H5Screate(H5S_NULL) : H5Screate_simple(1, &n, nullptr), ErrorKind::WriteFailed, path, what));
    Hdf5Attribute attr(hdf5Check(H5Acreate2(object, name.c_str(), H5T_STD_I64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT),
        ErrorKind::WriteFailed, path, what));
    if (!values.empty())
        hdf5Check(H5Awrite(attr.id(), H5T_NATIVE_INT64, values.data()), ErrorKind::WriteFailed, path, what);
}

bool exists(hid_t object, const std::string& name)
{
    return H5Aexists(object, name.c_str()) > 0;
}

std::string readString(hid_t object, const std::string& name, const std::string& path, const std::string& where)
{
    const Hdf5Attribute attr = open(object, name, path, where);
    const std::string what = "cannot read attribute '" + name + "' of " + where;
    Hdf5Datatype type(hdf5Check(H5Aget_type(attr.id()), ErrorKind::Malformed, path, what));
    Hdf5Dataspace space(hdf5Check(H5Aget_space(attr.id()), ErrorKind::Malformed, path, what));
    if (H5Tget_class(type.id()) != H5T_STRING || H5Sget_simple_extent_npoints(space.id()) != 1)
        wrongType(name, path, where, "a string");
    Hdf5Datatype mem(hdf5Check(H5Tcopy(H5T_C_S1), ErrorKind::Malformed, path, what));
    // HDF5 converts no string between character sets: read in the file's (ASCII or UTF-8).
    hdf5Check(H5Tset_cset(mem.id(), H5Tget_cset(type.id())), ErrorKind::Malformed, path, what);
    if (H5Tis_variable_str(type.id()) > 0) {
        hdf5Check(H5Tset_size(mem.id(), H5T_VARIABLE), ErrorKind::Malformed, path, what);
        char* text = nullptr;
        hdf5Check(H5Aread(attr.id(), mem.id(), &text), ErrorKind::Malformed, path, what);
        std::string value = text ? text : "";
        H5free_memory(text);
        return value;
    }
    const size_t size = H5Tget_size(type.id());
    if (size == 0 || size > (size_t(1) << 30))
        wrongType(name, path, where, "a string of a sensible size");
    hdf5Check(H5Tset_size(mem.id(), size + 1), ErrorKind::Malformed, path, what);
    std::string buffer(size + 1, '\0');
    hdf5Check(H5Aread(attr.id(), mem.id(), buffer.data()), ErrorKind::Malformed, path, what);
    buffer.resize(buffer.find('\0'));
    return buffer;
}

int64_t readInt64(hid_t object, const std::string& name, const std::string& path, const std::string& where)
{
    const Hdf5Attribute attr = open(object, name, path, where);
    const std::string what = "cannot read attribute '" + name + "' of " + where;
    Hdf5Datatype type(hdf5Check(H5Aget_type(attr.id()), ErrorKind::Malformed, path, what));
    Hdf5Dataspace space(hdf5Check(H5Aget_space(attr.id()), ErrorKind::Malformed, path, what));
    if (H5Tget_class(type.id()) != H5T_INTEGER || H5Sget_simple_extent_npoints(space.id()) != 1)
        wrongType(name, path, where, "an integer");
    int64_t value = 0;
    hdf5Check(H5Aread(attr.id(), H5T_NATIVE_INT64, &value), ErrorKind::Malformed, path, what);
    return value;
}

std::vector<int64_t> readInt64Array(
    hid_t object, const std::string& name, const std::string& path, const std::string& where)
{
    const Hdf5Attribute attr = open(object, name, path, where);
    const std::string what = "cannot read attribute '" + name + "' of " + where;
    Hdf5Datatype type(hdf5Check(H5Aget_type(attr.id()), ErrorKind::Malformed, path, what));
    Hdf5Dataspace space(hdf5Check(H5Aget_space(attr.id()), ErrorKind::Malformed, path, what));
    if (H5Tget_class(type.id()) != H5T_INTEGER)
        wrongType(name, path, where, "an integer array");
    if (H5Sget_simple_extent_type(space.id()) == H5S_NULL)
        return {};
    if (H5Sget_simple_extent_ndims(space.id()) != 1)
        wrongType(name, path, where, "a 1-D integer array");
    const hssize_t n = H5Sget_simple_extent_npoints(space.id());
    if (n < 0 || n > 64)
        wrongType(name, path, where, "an integer array of at most 64 entries");
    std::vector<int64_t> values(static_cast<size_t>(n));
    if (n > 0)
        hdf5Check(H5Aread(attr.id(), H5T_NATIVE_INT64, values.data()), ErrorKind::Malformed, path, what);
    return values;
}

} // namespace vq::hdf5attr
