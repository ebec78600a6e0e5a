#include "io/hdf5reader.h"

#include "common/error.h"
#include "common/memorybudget.h"
#include "io/hdf5handle.h"
#include "io/hdf5lock.h"
#include "io/mappedfile.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <limits>
#include <new>

namespace vq {

struct Hdf5Reader::Handles {
    Hdf5File file;
    std::vector<bool> floatClass; // parallel to m_tensors: readable by readMatrix
};

namespace {

constexpr size_t kShownItems = 8; // attribute array items rendered in metadata()

std::string bitsName(size_t bytes)
{
    return std::to_string(bytes * 8);
}

struct TypeDesc {
    DType dtype = DType::Other;
    std::string name; // "H5T_IEEE_F32LE", "H5T_STRING (variable, UTF-8)"
    std::string shortName; // metadata: "f32", "i64", "str"
};

TypeDesc describeType(hid_t type)
{
    TypeDesc d;
    const H5T_class_t cls = H5Tget_class(type);
    const size_t size = H5Tget_size(type);
    const char* endian = H5Tget_order(type) == H5T_ORDER_BE ? "BE" : "LE";
    switch (cls) {
    case H5T_FLOAT:
        d.dtype = size == 2 ? DType::F16 : size == 4 ? DType::F32 : size == 8 ? DType::F64 : DType::Other;
        d.name = (size == 4 || size == 8 ? "H5T_IEEE_F" : "H5T_FLOAT ") + bitsName(size) + endian;
        d.shortName = "f" + bitsName(size);
        break;
    case H5T_INTEGER: {
        const bool isSigned = H5Tget_sign(type) != H5T_SGN_NONE;
        static constexpr DType sgn[] = { DType::I8, DType::I16, DType::I32, DType::I64 };
        static constexpr DType uns[] = { DType::U8, DType::U16, DType::U32, DType::U64 };
        const int idx = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : size == 8 ? 3 : -1;
        d.dtype = idx < 0 ? DType::Other : isSigned ? sgn[idx] : uns[idx];
        d.name = std::string("H5T_STD_") + (isSigned ? "I" : "U") + bitsName(size) + endian;
        d.shortName = (isSigned ? "i" : "u") + bitsName(size);
        break;
    }
    case H5T_STRING: {
        const bool variable = H5Tis_variable_str(type) > 0;
        d.dtype = DType::String;
        d.name = "H5T_STRING (" + (variable ? std::string("variable") : std::to_string(size) + " bytes") + ", "
            + (H5Tget_cset(type) == H5T_CSET_UTF8 ? "UTF-8" : "ASCII") + ")";
        d.shortName = "str";
        break;
    }
    case H5T_ENUM:
        // h5py stores numpy bools as a 1-byte enum {FALSE, TRUE}.
        d.dtype = size == 1 && H5Tget_nmembers(type) == 2 ? DType::Bool : DType::Other;
        d.name = "H5T_ENUM";
        d.shortName = d.dtype == DType::Bool ? "bool" : "enum";
        break;
    default: {
        static const char* names[] = { "H5T_INTEGER", "H5T_FLOAT", "H5T_TIME", "H5T_STRING", "H5T_BITFIELD",
            "H5T_OPAQUE", "H5T_COMPOUND", "H5T_REFERENCE", "H5T_ENUM", "H5T_VLEN", "H5T_ARRAY" };
        d.name
            = cls >= 0 && static_cast<size_t>(cls) < std::size(names) ? names[cls] : "H5T class " + std::to_string(cls);
        d.shortName = d.name;
        break;
    }
    }
    return d;
}

std::string bytesText(uint64_t n)
{
    return std::to_string(n) + " bytes";
}

// Refuses a dataset whose declared extent the file cannot hold, before anything is allocated for it:
// the memory it needs against the budget, contiguous and compact data against the bytes stored,
// chunked data against its allocated chunks (uncompressed) or the best ratio deflate reaches
// (compressed), and each chunk, which libhdf5 allocates whole, against the budget too.
void checkDeclaredSize(hid_t ds, uint64_t elements, uint64_t fileElementBytes, uint64_t memoryBytes,
    const std::string& path, const std::string& what)
{
    const uint64_t budget = memoryBudgetBytes();
    if (memoryBytes > budget)
        throw Error(ErrorKind::InvalidArgument, path,
            what + " needs " + bytesText(memoryBytes) + " of memory, more than the " + bytesText(budget)
                + " this machine allows one table");
    uint64_t declared = 0;
    if (__builtin_mul_overflow(elements, fileElementBytes, &declared))
        throw Error(ErrorKind::Malformed, path, what + " declares an impossibly large extent");
    Hdf5PropertyList dcpl(hdf5Check(H5Dget_create_plist(ds), ErrorKind::Malformed, path, what));
    const uint64_t stored = H5Dget_storage_size(ds);
    const auto refuse = [&](const std::string& why) {
        throw Error(ErrorKind::Malformed, path,
            what + " declares " + std::to_string(elements) + " elements (" + bytesText(declared) + ") but the file "
                + why);
    };
    switch (H5Pget_layout(dcpl.id())) {
    case H5D_COMPACT:
    case H5D_CONTIGUOUS:
        if (stored < declared)
            refuse("stores " + bytesText(stored));
        break;
    case H5D_CHUNKED: {
        // deflate cannot compress better than about 1032:1; no filter HDF5 ships does better.
        constexpr uint64_t kBestRatio = 1100;
        const int filters = H5Pget_nfilters(dcpl.id());
        if (filters == 0 && stored < declared)
            refuse("stores " + bytesText(stored) + " in its chunks");
        uint64_t bound = 0;
        if (filters > 0 && (__builtin_mul_overflow(stored, kBestRatio, &bound) || bound < declared))
            refuse("stores " + bytesText(stored) + " of compressed chunks, too few for any filter to expand");
        const int rank = H5Pget_chunk(dcpl.id(), 0, nullptr);
        std::vector<hsize_t> chunk(static_cast<size_t>(std::max(rank, 0)));
        if (rank <= 0 || H5Pget_chunk(dcpl.id(), rank, chunk.data()) != rank)
            refuse("has no readable chunk shape");
        uint64_t chunkBytes = fileElementBytes;
        for (const hsize_t c : chunk)
            if (__builtin_mul_overflow(chunkBytes, static_cast<uint64_t>(c), &chunkBytes) || chunkBytes > budget)
                throw Error(ErrorKind::InvalidArgument, path,
                    what + " is stored in chunks larger than the " + bytesText(budget) + " this machine allows");
        break;
    }
    default:
        throw Error(
            ErrorKind::Unsupported, path, what + " has a layout this reader does not read (virtual or unknown)");
    }
}

std::vector<int64_t> extent(hid_t space)
{
    const int rank = H5Sget_simple_extent_ndims(space);
    if (rank <= 0)
        return {};
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    return { dims.begin(), dims.end() };
}

// Reads n strings of fileType from a dataset or attribute (read(memType, buffer) performs the
// H5Dread/H5Aread). Variable-length strings are copied and the library's buffers reclaimed.
template <class ReadFn>
std::vector<std::string> readStringValues(
    hid_t fileType, hid_t space, size_t n, ReadFn read, const std::string& path, const std::string& what)
{
    std::vector<std::string> out;
    out.reserve(n);
    if (H5Tis_variable_str(fileType) > 0) {
        Hdf5Datatype mem(hdf5Check(H5Tcopy(H5T_C_S1), ErrorKind::Unreadable, path, what));
        H5Tset_size(mem.id(), H5T_VARIABLE);
        H5Tset_cset(mem.id(), H5Tget_cset(fileType));
        std::vector<char*> ptrs(n, nullptr);
        hdf5Check(read(mem.id(), ptrs.data()), ErrorKind::Unreadable, path, what);
        for (char* p : ptrs)
            out.emplace_back(p ? p : "");
#if H5_VERSION_GE(1, 12, 0)
        H5Treclaim(mem.id(), space, H5P_DEFAULT, ptrs.data());
#else
        H5Dvlen_reclaim(mem.id(), space, H5P_DEFAULT, ptrs.data());
#endif
        return out;
    }
    const size_t size = H5Tget_size(fileType);
    if (size == 0 || n > std::numeric_limits<size_t>::max() / size)
        throw Error(ErrorKind::Malformed, path, what + ": impossible string size");
    Hdf5Datatype mem(hdf5Check(H5Tcopy(fileType), ErrorKind::Unreadable, path, what));
    std::vector<char> buf(n * size);
    hdf5Check(read(mem.id(), buf.data()), ErrorKind::Unreadable, path, what);
    const bool spacePadded = H5Tget_strpad(fileType) == H5T_STR_SPACEPAD;
    for (size_t i = 0; i < n; ++i) {
        const char* s = buf.data() + i * size;
        size_t len = strnlen(s, size);
        if (spacePadded)
            while (len > 0 && s[len - 1] == ' ')
                --len;
        out.emplace_back(s, len);
    }
    return out;
}

template <class T> std::string numberText(T v)
{
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof(buf), v);
    return std::string(buf, r.ptr);
}

std::string quoted(const std::string& s)
{
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

// One root attribute as text.
MetadataEntry renderAttribute(hid_t attr, const std::string& key, const std::string& path)
{
    const std::string what = "attribute '" + key + "'";
    Hdf5Datatype type(hdf5Check(H5Aget_type(attr), ErrorKind::Unreadable, path, what));
    Hdf5Dataspace space(hdf5Check(H5Aget_space(attr), ErrorKind::Unreadable, path, what));
    const TypeDesc desc = describeType(type.id());
    const hssize_t points = H5Sget_simple_extent_npoints(space.id());
    const size_t n = points > 0 ? static_cast<size_t>(points) : 0;
    const bool scalar = H5Sget_simple_extent_type(space.id()) == H5S_SCALAR;

    MetadataEntry e;
    e.key = key;
    e.type = scalar ? desc.shortName : "arr[" + desc.shortName + "," + std::to_string(n) + "]";
    std::vector<std::string> items;
    const H5T_class_t cls = H5Tget_class(type.id());
    auto readAttr = [&](hid_t mem, void* buf) { return H5Aread(attr, mem, buf); };
    if (cls == H5T_STRING) {
        items = readStringValues(type.id(), space.id(), n, readAttr, path, what);
        if (!scalar)
            for (auto& s : items)
                s = quoted(s);
    } else if (cls == H5T_INTEGER || desc.dtype == DType::Bool) {
        if (H5Tget_sign(type.id()) == H5T_SGN_NONE) {
            std::vector<unsigned long long> v(n);
            hdf5Check(readAttr(H5T_NATIVE_ULLONG, v.data()), ErrorKind::Unreadable, path, what);
            for (auto x : v)
                items.push_back(numberText(x));
        } else {
            std::vector<long long> v(n);
            hdf5Check(readAttr(H5T_NATIVE_LLONG, v.data()), ErrorKind::Unreadable, path, what);
            for (auto x : v)
                items.push_back(numberText(x));
        }
    } else if (cls == H5T_FLOAT && H5Tget_size(type.id()) <= 4) {
        std::vector<float> v(n);
        hdf5Check(readAttr(H5T_NATIVE_FLOAT, v.data()), ErrorKind::Unreadable, path, what);
        for (auto x : v)
            items.push_back(numberText(x));
    } else if (cls == H5T_FLOAT) {
        std::vector<double> v(n);
        hdf5Check(readAttr(H5T_NATIVE_DOUBLE, v.data()), ErrorKind::Unreadable, path, what);
        for (auto x : v)
            items.push_back(numberText(x));
    } else {
        e.value = "(" + desc.name + ")";
        return e;
    }
    if (scalar) {
        e.value = items.empty() ? "" : items.front();
        return e;
    }
    e.value = "[";
    for (size_t i = 0; i < items.size() && i < kShownItems; ++i)
        e.value += (i ? ", " : "") + items[i];
    e.value += items.size() > kShownItems ? ", ...]" : "]";
    return e;
}

struct VisitState {
    std::vector<TensorInfo>* tensors;
    std::vector<bool>* floatClass;
    const std::string* path;
    std::string error; // set when a dataset could not be described
};

herr_t visitLink(hid_t group, const char* name, const H5L_info_t* info, void* data)
{
    auto* st = static_cast<VisitState*>(data);
    if (info->type != H5L_TYPE_HARD) // soft and external links point at objects listed elsewhere, or nowhere
        return 0;
    Hdf5Object obj(H5Oopen(group, name, H5P_DEFAULT));
    if (!obj || H5Iget_type(obj.id()) != H5I_DATASET)
        return 0;
    Hdf5Datatype type(H5Dget_type(obj.id()));
    Hdf5Dataspace space(H5Dget_space(obj.id()));
    if (!type || !space) {
        st->error = std::string("cannot describe dataset /") + name + ": " + hdf5ErrorText();
        return -1;
    }
    const TypeDesc desc = describeType(type.id());
    TensorInfo t;
    t.name = std::string("/") + name;
    t.dtype = desc.dtype;
    t.dtypeName = desc.name;
    t.shape = extent(space.id());
    t.byteSize = H5Dget_storage_size(obj.id());
    t.file = *st->path;
    st->tensors->push_back(std::move(t));
    st->floatClass->push_back(H5Tget_class(type.id()) == H5T_FLOAT);
    return 0;
}

herr_t visitAttribute(hid_t loc, const char* name, const H5A_info_t*, void* data)
{
    auto* names = static_cast<std::vector<std::string>*>(data);
    (void)loc;
    names->emplace_back(name);
    return 0;
}

std::string lastComponent(const std::string& path)
{
    const size_t slash = path.rfind('/');
    std::string s = slash == std::string::npos ? path : path.substr(slash + 1);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

} // namespace

Hdf5Reader::Hdf5Reader(std::string path)
    : m_path(std::move(path))
    , m_handles(std::make_unique<Handles>())
{
    MappedFile { m_path }; // the same missing / directory / empty / permission errors as every reader

    const Hdf5Lock lock;
    const htri_t isHdf5 = H5Fis_hdf5(m_path.c_str());
    if (isHdf5 <= 0) {
        hdf5ErrorText(); // clear
        throw Error(ErrorKind::Malformed, m_path, "not an HDF5 file (no HDF5 signature)");
    }
    const hid_t file = H5Fopen(m_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        const std::string detail = hdf5ErrorText();
        const bool truncated = detail.find("truncated") != std::string::npos;
        throw Error(truncated ? ErrorKind::Truncated : ErrorKind::Malformed, m_path,
            "HDF5 cannot open the file" + (detail.empty() ? std::string() : ": " + detail));
    }
    m_handles->file = Hdf5File(file);

    VisitState st { &m_tensors, &m_handles->floatClass, &m_path, {} };
    if (H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, visitLink, &st) < 0) {
        const std::string detail = st.error.empty() ? hdf5ErrorText() : st.error;
        throw Error(ErrorKind::Malformed, m_path, "cannot list the datasets: " + detail);
    }

    Hdf5Object root(hdf5Check(H5Oopen(file, "/", H5P_DEFAULT), ErrorKind::Malformed, m_path, "cannot open /"));
    std::vector<std::string> names;
    hsize_t idx = 0;
    hdf5Check(H5Aiterate2(root.id(), H5_INDEX_NAME, H5_ITER_INC, &idx, visitAttribute, &names), ErrorKind::Malformed,
        m_path, "cannot list the root attributes");
    for (const std::string& key : names) {
        Hdf5Attribute attr(hdf5Check(
            H5Aopen(root.id(), key.c_str(), H5P_DEFAULT), ErrorKind::Malformed, m_path, "attribute '" + key + "'"));
        m_metadata.push_back(renderAttribute(attr.id(), key, m_path));
    }
}

Hdf5Reader::~Hdf5Reader() = default;

const TensorInfo& Hdf5Reader::lookup(const std::string& name) const
{
    for (const TensorInfo& t : m_tensors)
        if (t.name == name)
            return t;
    throw Error(ErrorKind::NotFound, m_path, "no dataset named '" + name + "'");
}

Matrix Hdf5Reader::readMatrix(const std::string& name, RunControl& control) const
{
    const TensorInfo& t = lookup(name);
    const size_t index = static_cast<size_t>(&t - m_tensors.data());
    if (!t.isMatrix())
        throw Error(ErrorKind::InvalidArgument, m_path,
            "dataset '" + name + "' has " + std::to_string(t.shape.size()) + " dimensions, a table needs 2");
    if (!m_handles->floatClass[index])
        throw Error(
            ErrorKind::Unsupported, m_path, "dataset '" + name + "' is " + t.dtypeName + ", not a floating-point type");
    const int64_t rows = t.shape[0];
    const int64_t cols = t.shape[1];
    if (cols > 0 && rows > std::numeric_limits<int64_t>::max() / 4 / cols)
        throw Error(ErrorKind::Malformed, m_path, "dataset '" + name + "' is impossibly large");
    if (rows == 0 || cols == 0)
        return Matrix(rows, cols);

    Hdf5Dataset ds;
    Hdf5Dataspace fileSpace;
    int64_t blockRows = std::max<int64_t>(1, (int64_t(1) << 20) / cols); // about 4 MiB of float32 per block
    {
        const Hdf5Lock lock;
        const std::string what = "dataset '" + name + "'";
        ds = Hdf5Dataset(hdf5Check(H5Dopen2(m_handles->file.id(), name.c_str(), H5P_DEFAULT), ErrorKind::Unreadable,
            m_path, "cannot open " + what));
        Hdf5Datatype type(hdf5Check(H5Dget_type(ds.id()), ErrorKind::Unreadable, m_path, what));
        const auto elements = static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols);
        checkDeclaredSize(ds.id(), elements, H5Tget_size(type.id()), elements * sizeof(float), m_path, what);
        fileSpace = Hdf5Dataspace(hdf5Check(H5Dget_space(ds.id()), ErrorKind::Unreadable, m_path, what));
        // Whole chunks per block, so each compressed chunk is decoded once.
        Hdf5PropertyList dcpl(H5Dget_create_plist(ds.id()));
        if (dcpl && H5Pget_layout(dcpl.id()) == H5D_CHUNKED) {
            hsize_t chunk[2] = { 0, 0 };
            if (H5Pget_chunk(dcpl.id(), 2, chunk) == 2 && chunk[0] > 0) {
                const int64_t c = static_cast<int64_t>(chunk[0]);
                blockRows = (blockRows + c - 1) / c * c;
            }
        }
    }
    Matrix m;
    try {
        m = Matrix(rows, cols);
    } catch (const std::bad_alloc&) {
        throw Error(ErrorKind::InvalidArgument, m_path,
            "dataset '" + name + "' (" + std::to_string(rows) + " x " + std::to_string(cols)
                + ") does not fit in memory");
    }
    control.report("read", 0.0);
    for (int64_t r0 = 0; r0 < rows; r0 += blockRows) {
        control.throwIfCancelled();
        const int64_t n = std::min(blockRows, rows - r0);
        {
            const Hdf5Lock lock;
            const std::string what
                = "reading rows " + std::to_string(r0) + ".." + std::to_string(r0 + n) + " of dataset '" + name + "'";
            const hsize_t start[2] = { static_cast<hsize_t>(r0), 0 };
            const hsize_t count[2] = { static_cast<hsize_t>(n), static_cast<hsize_t>(cols) };
            hdf5Check(H5Sselect_hyperslab(fileSpace.id(), H5S_SELECT_SET, start, nullptr, count, nullptr),
                ErrorKind::Unreadable, m_path, what);
            Hdf5Dataspace memSpace(hdf5Check(H5Screate_simple(2, count, nullptr), ErrorKind::Unreadable, m_path, what));
            hdf5Check(H5Dread(ds.id(), H5T_NATIVE_FLOAT, memSpace.id(), fileSpace.id(), H5P_DEFAULT, m.row(r0)),
                ErrorKind::Unreadable, m_path, what);
        }
        control.report("read", static_cast<double>(r0 + n) / static_cast<double>(rows));
    }
    return m;
}

std::vector<std::string> Hdf5Reader::readStrings(const std::string& name) const
{
    const TensorInfo& t = lookup(name);
    if (t.dtype != DType::String || t.shape.size() != 1)
        throw Error(ErrorKind::InvalidArgument, m_path, "dataset '" + name + "' is not a 1-D string dataset");
    const Hdf5Lock lock;
    const std::string what = "dataset '" + name + "'";
    Hdf5Dataset ds(hdf5Check(H5Dopen2(m_handles->file.id(), name.c_str(), H5P_DEFAULT), ErrorKind::Unreadable, m_path,
        "cannot open " + what));
    Hdf5Datatype type(hdf5Check(H5Dget_type(ds.id()), ErrorKind::Unreadable, m_path, what));
    Hdf5Dataspace space(hdf5Check(H5Dget_space(ds.id()), ErrorKind::Unreadable, m_path, what));
    // A variable-length string is a global-heap reference of at least 8 bytes in the file; in memory
    // each becomes a pointer and a std::string.
    const auto n = static_cast<uint64_t>(t.shape[0]);
    const bool variable = H5Tis_variable_str(type.id()) > 0;
    const uint64_t fileBytes = variable ? 8 : H5Tget_size(type.id());
    checkDeclaredSize(
        ds.id(), n, fileBytes, n > (uint64_t(1) << 50) ? ~uint64_t(0) : n * (fileBytes + 40), m_path, what);
    auto readDs = [&](hid_t mem, void* buf) { return H5Dread(ds.id(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf); };
    return readStringValues(type.id(), space.id(), static_cast<size_t>(t.shape[0]), readDs, m_path, what);
}

std::vector<std::string> Hdf5Reader::embeddedTokens(std::string* source) const
{
    if (source)
        source->clear();
    const TensorInfo* best = nullptr;
    for (const TensorInfo& t : m_tensors) {
        if (t.dtype != DType::String || t.shape.size() != 1)
            continue;
        const std::string last = lastComponent(t.name);
        if (last == "vocab" || last == "tokens" || last == "vocabulary") {
            best = &t;
            break;
        }
        if (!best)
            best = &t;
    }
    if (!best)
        return {};
    std::vector<std::string> tokens = readStrings(best->name);
    if (source)
        *source = best->name;
    return tokens;
}

} // namespace vq
