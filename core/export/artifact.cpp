#include "export/artifact.h"
#include "export/artifactgroup.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "export/hdf5attributes.h"
#include "export/metricsarrays.h"
#include "io/atomicfile.h"
#include "io/hdf5handle.h"
#include "io/mappedfile.h"
#include "quant/bitpack.h"
#include "quant/registry.h"
#include "vq/version.h"

#include <chrono>
#include <cstring>
#include <ctime>
#include <limits>

namespace vq {

namespace {

namespace attr = hdf5attr;

std::string utcNow()
{
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm {};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

// IEEE 754 binary16, little-endian, as h5py defines it: numpy and h5py read it as float16, and HDF5
// converts it to float or double on request.
Hdf5Datatype halfType(const std::string& path, ErrorKind kind)
{
    const std::string what = "cannot make the fp16 HDF5 type";
    Hdf5Datatype t(hdf5Check(H5Tcopy(H5T_IEEE_F32LE), kind, path, what));
    hdf5Check(H5Tset_fields(t.id(), 15, 10, 5, 0, 10), kind, path, what);
    hdf5Check(H5Tset_size(t.id(), 2), kind, path, what);
    hdf5Check(H5Tset_ebias(t.id(), 15), kind, path, what);
    return t;
}

bool isHalfType(hid_t type)
{
    if (H5Tget_class(type) != H5T_FLOAT || H5Tget_size(type) != 2 || H5Tget_order(type) != H5T_ORDER_LE)
        return false;
    size_t spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0;
    if (H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) < 0)
        return false;
    return spos == 15 && epos == 10 && esize == 5 && mpos == 0 && msize == 10 && H5Tget_ebias(type) == 15;
}

bool parseStorage(const std::string& s, StorageType& out)
{
    for (const StorageType t :
        { StorageType::F32, StorageType::F16, StorageType::BF16, StorageType::UInt, StorageType::Int }) {
        if (s == nameOf(t)) {
            out = t;
            return true;
        }
    }
    return false;
}

bool isFloat(StorageType t)
{
    return t == StorageType::F32 || t == StorageType::F16 || t == StorageType::BF16;
}

// Array names become HDF5 paths under /arrays: "adaptor/sigma0" is a dataset in the group "adaptor".
void checkArrayName(const std::string& name, const std::string& path)
{
    bool ok = !name.empty() && name.front() != '/' && name.back() != '/';
    size_t start = 0;
    while (ok && start <= name.size()) {
        const size_t slash = std::min(name.find('/', start), name.size());
        const std::string part = name.substr(start, slash - start);
        ok = !part.empty() && part != "." && part != "..";
        start = slash + 1;
    }
    if (!ok)
        throw Error(ErrorKind::InvalidArgument, path, "stored array name '" + name + "' cannot be an HDF5 path");
}

Hdf5Dataspace shapeSpace(const std::vector<int64_t>& shape, const std::string& path, const std::string& what)
{
    if (shape.empty())
        return Hdf5Dataspace(hdf5Check(H5Screate(H5S_SCALAR), ErrorKind::WriteFailed, path, what));
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    return Hdf5Dataspace(hdf5Check(
        H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), ErrorKind::WriteFailed, path, what));
}

void writeDataset(hid_t parent, const std::string& name, hid_t fileType, hid_t memType, const Hdf5Dataspace& space,
    const void* data, bool empty, const std::string& path)
{
    const std::string what = "cannot write dataset '" + name + "'";
    Hdf5PropertyList lcpl(hdf5Check(H5Pcreate(H5P_LINK_CREATE), ErrorKind::WriteFailed, path, what));
    hdf5Check(H5Pset_create_intermediate_group(lcpl.id(), 1), ErrorKind::WriteFailed, path, what);
    Hdf5Dataset ds(
        hdf5Check(H5Dcreate2(parent, name.c_str(), fileType, space.id(), lcpl.id(), H5P_DEFAULT, H5P_DEFAULT),
            ErrorKind::WriteFailed, path, what));
    if (!empty)
        hdf5Check(H5Dwrite(ds.id(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), ErrorKind::WriteFailed, path, what);
}

void writeArray(hid_t arrays, const StoredArray& a, const std::string& path)
{
    const std::string what = "cannot write array '" + a.name + "'";
    const bool empty = a.elementCount() == 0;
    if (isFloat(a.type)) {
        const Hdf5Dataspace space = shapeSpace(a.shape, path, what);
        if (a.type == StorageType::F32) {
            writeDataset(arrays, a.name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, space, a.floats.data(), empty, path);
        } else {
            std::vector<uint16_t> bits(a.floats.size());
            for (size_t i = 0; i < bits.size(); ++i)
                bits[i] = a.type == StorageType::F16 ? floatToHalf(a.floats[i]) : floatToBf16(a.floats[i]);
            if (a.type == StorageType::F16) {
                // Same type in memory and file: HDF5 copies the bit patterns without converting.
                const Hdf5Datatype half = halfType(path, ErrorKind::WriteFailed);
                writeDataset(arrays, a.name, half.id(), half.id(), space, bits.data(), empty, path);
            } else {
                writeDataset(arrays, a.name, H5T_STD_U16LE, H5T_NATIVE_UINT16, space, bits.data(), empty, path);
            }
        }
    } else {
        const std::vector<uint8_t> packed = packInts(a.ints, a.bitWidth, a.type == StorageType::Int);
        const hsize_t n = packed.size();
        Hdf5Dataspace space(hdf5Check(H5Screate_simple(1, &n, nullptr), ErrorKind::WriteFailed, path, what));
        writeDataset(arrays, a.name, H5T_STD_U8LE, H5T_NATIVE_UINT8, space, packed.data(), packed.empty(), path);
    }
    Hdf5Dataset ds(hdf5Check(H5Dopen2(arrays, a.name.c_str(), H5P_DEFAULT), ErrorKind::WriteFailed, path, what));
    attr::writeString(ds.id(), "storage", nameOf(a.type), path);
    attr::writeInt64(ds.id(), "bit_width", a.bitWidth, path);
    attr::writeInt64Array(ds.id(), "shape", a.shape, path);
    attr::writeInt64(ds.id(), "element_count", a.elementCount(), path);
    attr::writeString(ds.id(), "role", a.role, path);
    attr::writeString(ds.id(), "label", a.label, path);
}

Hdf5Group createGroup(hid_t parent, const char* name, const std::string& path)
{
    return Hdf5Group(hdf5Check(H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), ErrorKind::WriteFailed,
        path, std::string("cannot create group ") + name));
}

// JSON text for an attribute; invalid UTF-8 in a string is a caller error.
std::string dumpJson(const nlohmann::json& j, const std::string& path, const char* what)
{
    try {
        return j.dump();
    } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorKind::InvalidArgument, path, std::string(what) + " is not valid UTF-8: " + e.what());
    }
}

void writeProvenanceAttributes(hid_t group, const nlohmann::json& provenance, const std::string& path)
{
    for (auto it = provenance.begin(); it != provenance.end(); ++it) {
        const std::string& key = it.key();
        if (key == "json" || key.empty())
            continue;
        if (it->is_string())
            attr::writeString(group, key, it->get<std::string>(), path);
        else if (it->is_number_unsigned())
            attr::writeUInt64(group, key, it->get<uint64_t>(), path);
        else if (it->is_number_integer())
            attr::writeInt64(group, key, it->get<int64_t>(), path);
        else if (it->is_number_float())
            attr::writeDouble(group, key, it->get<double>(), path);
        else if (it->is_boolean())
            attr::writeInt64(group, key, it->get<bool>() ? 1 : 0, path);
        else
            attr::writeString(group, key, dumpJson(*it, path, "provenance"), path);
    }
}

} // namespace

void writeMetricsGroup(
    hid_t parent, const char* name, const nlohmann::json& metrics, int64_t rows, const std::string& path)
{
    nlohmann::json rest = metrics;
    const std::vector<MetricsArray> perToken = extractMetricsArrays(rest, rows);
    Hdf5Group group = createGroup(parent, name, path);
    attr::writeString(group.id(), "json", dumpJson(rest, path, "metrics"), path);
    for (const MetricsArray& m : perToken) {
        const hsize_t n = m.values.size();
        Hdf5Dataspace space(
            hdf5Check(H5Screate_simple(1, &n, nullptr), ErrorKind::WriteFailed, path, "cannot write " + m.pointer));
        writeDataset(
            group.id(), m.pointer.substr(1), H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space, m.values.data(), false, path);
    }
}

void writeArtifactGroup(hid_t root, const ArtifactContents& c, const std::string& path, RunControl& control)
{
    const QuantizedTable& t = c.table;
    nlohmann::json provenance = c.provenance;
    if (!provenance.contains("appVersion"))
        provenance["appVersion"] = kVersion;
    if (!provenance.contains("created"))
        provenance["created"] = utcNow();

    attr::writeString(root, "format", kArtifactFormat, path);
    attr::writeInt64(root, "version", kArtifactVersion, path);
    attr::writeString(root, "app_version", kVersion, path);
    attr::writeString(root, "method", t.spec.method, path);
    attr::writeString(root, "spec", dumpJson(t.spec.toJson(), path, "spec"), path);
    attr::writeInt64(root, "rows", t.rows, path);
    attr::writeInt64(root, "dim", t.dim, path);
    attr::writeString(root, "info", dumpJson(t.info, path, "method info"), path);

    Hdf5Group arrays = createGroup(root, "arrays", path);
    nlohmann::json names = nlohmann::json::array();
    for (const StoredArray& a : t.arrays)
        names.push_back(a.name);
    attr::writeString(arrays.id(), "names", dumpJson(names, path, "array names"), path);
    for (size_t i = 0; i < t.arrays.size(); ++i) {
        control.throwIfCancelled();
        writeArray(arrays.id(), t.arrays[i], path);
        control.report("export", 0.9 * static_cast<double>(i + 1) / static_cast<double>(t.arrays.size()));
    }

    writeMetricsGroup(root, "metrics", c.metrics, t.rows, path);

    Hdf5Group provenanceGroup = createGroup(root, "provenance", path);
    attr::writeString(provenanceGroup.id(), "json", dumpJson(provenance, path, "provenance"), path);
    writeProvenanceAttributes(provenanceGroup.id(), provenance, path);
}

Hdf5File createHdf5File(const std::string& filePath, const std::string& path)
{
    const std::string what = "cannot create the HDF5 file " + filePath;
    Hdf5PropertyList fapl(hdf5Check(H5Pcreate(H5P_FILE_ACCESS), ErrorKind::WriteFailed, path, what));
    // The 1.8 file format: large attributes (long JSON) go to dense storage instead of failing, and every
    // HDF5 from 1.8 on (h5py, HDFView, MATLAB) reads the file.
    hdf5Check(H5Pset_libver_bounds(fapl.id(), H5F_LIBVER_V18, H5F_LIBVER_V18), ErrorKind::WriteFailed, path, what);
    return Hdf5File(hdf5Check(
        H5Fcreate(filePath.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.id()), ErrorKind::WriteFailed, path, what));
}

namespace {

// Writes the whole artifact with HDF5 into filePath (the temporary file of an AtomicFile; errors name
// path, the target). The file is closed when this returns.
void buildFile(const std::string& filePath, const std::string& path, const ArtifactContents& c, RunControl& control)
{
    const Hdf5Lock lock;
    Hdf5File file = createHdf5File(filePath, path);
    {
        Hdf5Group root(hdf5Check(H5Gopen2(file.id(), "/", H5P_DEFAULT), ErrorKind::WriteFailed, path, "cannot open /"));
        writeArtifactGroup(root.id(), c, path, control);
    }
    hdf5Check(H5Fclose(file.release()), ErrorKind::WriteFailed, path, "cannot close " + filePath);
}

// ---- reading ----

struct DatasetList {
    std::vector<std::string> names; // paths relative to the visited group
};

herr_t collectDatasets(hid_t group, const char* name, const H5L_info_t* info, void* data)
{
    if (info->type != H5L_TYPE_HARD)
        return 0;
    Hdf5Object obj(H5Oopen(group, name, H5P_DEFAULT));
    if (obj && H5Iget_type(obj.id()) == H5I_DATASET)
        static_cast<DatasetList*>(data)->names.emplace_back(name);
    return 0;
}

std::vector<std::string> datasetsUnder(hid_t group, const std::string& path, const std::string& where)
{
    DatasetList list;
    hdf5Check(H5Lvisit(group, H5_INDEX_NAME, H5_ITER_INC, collectDatasets, &list), ErrorKind::Malformed, path,
        "cannot list the datasets of " + where);
    return list.names;
}

Hdf5Group openGroup(hid_t file, const char* name, const std::string& path)
{
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
        throw Error(ErrorKind::Malformed, path, std::string("missing group /") + name);
    Hdf5Object obj(
        hdf5Check(H5Oopen(file, name, H5P_DEFAULT), ErrorKind::Malformed, path, std::string("cannot open /") + name));
    if (H5Iget_type(obj.id()) != H5I_GROUP)
        throw Error(ErrorKind::Malformed, path, std::string("/") + name + " is not a group");
    return Hdf5Group(
        hdf5Check(H5Gopen2(file, name, H5P_DEFAULT), ErrorKind::Malformed, path, std::string("cannot open /") + name));
}

nlohmann::json parseJson(const std::string& text, const std::string& path, const std::string& where)
{
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorKind::Malformed, path, where + " is not valid JSON: " + e.what());
    }
}

nlohmann::json readJsonObject(hid_t object, const std::string& name, const std::string& path, const std::string& where)
{
    nlohmann::json j = parseJson(attr::readString(object, name, path, where), path, where + " attribute " + name);
    if (!j.is_object())
        throw Error(ErrorKind::Malformed, path, where + " attribute " + name + " is not a JSON object");
    return j;
}

int64_t checkedCount(const std::vector<int64_t>& shape, const std::string& path, const std::string& where)
{
    int64_t n = 1;
    for (const int64_t d : shape)
        if (d < 0 || __builtin_mul_overflow(n, d, &n) || n > (int64_t(1) << 42))
            throw Error(ErrorKind::Malformed, path, where + " has an impossible shape");
    return n;
}

StoredArray readArray(hid_t arrays, const std::string& name, const std::string& path)
{
    const std::string where = "/arrays/" + name;
    if (H5Lexists(arrays, name.c_str(), H5P_DEFAULT) <= 0)
        throw Error(ErrorKind::Malformed, path, "array '" + name + "' is missing (no dataset " + where + ")");
    Hdf5Dataset ds(hdf5Check(
        H5Dopen2(arrays, name.c_str(), H5P_DEFAULT), ErrorKind::Malformed, path, "cannot open dataset " + where));
    StoredArray a;
    a.name = name;
    const std::string storage = attr::readString(ds.id(), "storage", path, where);
    if (!parseStorage(storage, a.type))
        throw Error(ErrorKind::Malformed, path, where + " has an unknown storage type '" + storage + "'");
    const int64_t bitWidth = attr::readInt64(ds.id(), "bit_width", path, where);
    if (bitWidth < 1 || bitWidth > 32)
        throw Error(ErrorKind::Malformed, path, where + " has a bit width of " + std::to_string(bitWidth));
    a.bitWidth = static_cast<int>(bitWidth);
    a.shape = attr::readInt64Array(ds.id(), "shape", path, where);
    a.role = attr::readString(ds.id(), "role", path, where);
    a.label = attr::readString(ds.id(), "label", path, where);
    const int64_t count = checkedCount(a.shape, path, where);
    const int64_t declared = attr::readInt64(ds.id(), "element_count", path, where);
    if (declared != count)
        throw Error(ErrorKind::Malformed, path,
            where + " declares " + std::to_string(declared) + " elements but its shape holds " + std::to_string(count));

    const std::string what = "cannot read " + where;
    Hdf5Datatype type(hdf5Check(H5Dget_type(ds.id()), ErrorKind::Malformed, path, what));
    Hdf5Dataspace space(hdf5Check(H5Dget_space(ds.id()), ErrorKind::Malformed, path, what));
    const int ndims = H5Sget_simple_extent_ndims(space.id());
    std::vector<hsize_t> dims(static_cast<size_t>(std::max(ndims, 0)));
    if (ndims < 0 || H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr) < 0)
        throw Error(ErrorKind::Malformed, path, what + ": bad dataspace");

    if (!isFloat(a.type)) {
        const size_t need = packedBytes(static_cast<size_t>(count), a.bitWidth);
        if (H5Tget_class(type.id()) != H5T_INTEGER || H5Tget_size(type.id()) != 1 || ndims != 1)
            throw Error(ErrorKind::Malformed, path, where + " is not a 1-D byte dataset of packed integers");
        if (dims[0] != need)
            throw Error(ErrorKind::Malformed, path,
                where + " holds " + std::to_string(dims[0]) + " bytes, but " + std::to_string(count) + " values of "
                    + std::to_string(a.bitWidth) + " bits need " + std::to_string(need));
        std::vector<uint8_t> bytes(need);
        if (need > 0)
            hdf5Check(H5Dread(ds.id(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()),
                ErrorKind::Malformed, path, what);
        a.ints = unpackInts(bytes, a.bitWidth, static_cast<size_t>(count), a.type == StorageType::Int);
        return a;
    }

    const bool sameShape = std::equal(dims.begin(), dims.end(), a.shape.begin(), a.shape.end(),
        [](hsize_t d, int64_t s) { return d == static_cast<hsize_t>(s); });
    if (!sameShape)
        throw Error(ErrorKind::Malformed, path, where + ": the dataset's extent does not match its shape attribute");
    const bool typeOk = a.type == StorageType::F32 ? H5Tget_class(type.id()) == H5T_FLOAT && H5Tget_size(type.id()) == 4
        : a.type == StorageType::F16               ? isHalfType(type.id())
                                     : H5Tget_class(type.id()) == H5T_INTEGER && H5Tget_size(type.id()) == 2;
    if (!typeOk)
        throw Error(ErrorKind::Malformed, path, where + ": the dataset's type is not " + storage);
    a.floats.resize(static_cast<size_t>(count));
    if (count == 0)
        return a;
    if (a.type == StorageType::F32) {
        hdf5Check(H5Dread(ds.id(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.floats.data()),
            ErrorKind::Malformed, path, what);
        return a;
    }
    std::vector<uint16_t> bits(static_cast<size_t>(count));
    hdf5Check(H5Dread(ds.id(), a.type == StorageType::F16 ? type.id() : H5T_NATIVE_UINT16, H5S_ALL, H5S_ALL,
                  H5P_DEFAULT, bits.data()),
        ErrorKind::Malformed, path, what);
    for (size_t i = 0; i < bits.size(); ++i)
        a.floats[i] = a.type == StorageType::F16 ? halfToFloat(bits[i]) : bf16ToFloat(bits[i]);
    return a;
}

MetricsArray readMetricsArray(hid_t group, const std::string& name, const std::string& path)
{
    const std::string where = "/metrics/" + name;
    Hdf5Dataset ds(
        hdf5Check(H5Dopen2(group, name.c_str(), H5P_DEFAULT), ErrorKind::Malformed, path, "cannot open " + where));
    Hdf5Dataspace space(hdf5Check(H5Dget_space(ds.id()), ErrorKind::Malformed, path, "cannot read " + where));
    Hdf5Datatype type(hdf5Check(H5Dget_type(ds.id()), ErrorKind::Malformed, path, "cannot read " + where));
    const hssize_t n = H5Sget_simple_extent_npoints(space.id());
    if (H5Sget_simple_extent_ndims(space.id()) != 1 || n < 0 || H5Tget_class(type.id()) != H5T_FLOAT)
        throw Error(ErrorKind::Malformed, path, where + " is not a 1-D float dataset");
    MetricsArray m { "/" + name, std::vector<double>(static_cast<size_t>(n)) };
    if (n > 0)
        hdf5Check(H5Dread(ds.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, m.values.data()),
            ErrorKind::Malformed, path, "cannot read " + where);
    return m;
}

void checkTable(const std::string& path, QuantizedTable& t)
{
    const Quantizer* q = nullptr;
    try {
        q = &quantizer(t.spec.method);
    } catch (const Error& e) {
        throw Error(ErrorKind::Unsupported, path, "method of this artifact: " + e.message());
    }
    try {
        t.spec = q->validate(t.spec, t.rows, t.dim);
    } catch (const Error& e) {
        throw Error(ErrorKind::Malformed, path, "the stored spec does not fit the table: " + e.message());
    }
    for (const StoredArray& a : t.arrays) {
        try {
            a.check();
        } catch (const Error& e) {
            throw Error(ErrorKind::Malformed, path, e.message());
        }
    }
    try {
        q->checkStored(t);
    } catch (const Error& e) {
        throw Error(ErrorKind::Malformed, path, e.message());
    }
    const BitBudget expected = q->estimate(t.spec, t.rows, t.dim);
    const uint64_t stored = t.bits().totalBits();
    if (expected.totalBits() != stored)
        throw Error(ErrorKind::Malformed, path,
            "the arrays hold " + std::to_string(stored) + " bits, but " + t.spec.method + " with this spec stores "
                + std::to_string(expected.totalBits()));
}

} // namespace

nlohmann::json makeProvenance(const TableSource& source, const RunControl& control, const nlohmann::json& timings)
{
    return {
        { "sourceFile", source.file },
        { "sourceFormat", source.format },
        { "tensor", source.tensor },
        { "sourceDtype", source.dtype },
        { "sourceShape", source.storedShape },
        { "sourceChecksum", source.checksum },
        { "seed", control.seed },
        { "threads", control.threads },
        { "timings", timings },
        { "appVersion", kVersion },
        { "created", utcNow() },
    };
}

void writeArtifact(const std::string& path, const ArtifactContents& contents, RunControl& control)
{
    control.throwIfCancelled();
    control.report("export", 0.0);
    const QuantizedTable& t = contents.table;
    if (!contents.metrics.is_object() || !contents.provenance.is_object())
        throw Error(ErrorKind::InvalidArgument, path, "metrics and provenance must be JSON objects");
    if (t.rows <= 0 || t.dim <= 0)
        throw Error(ErrorKind::InvalidArgument, path, "the quantized table is empty");
    for (const StoredArray& a : t.arrays) {
        checkArrayName(a.name, path);
        try {
            a.check();
        } catch (const Error& e) {
            throw Error(ErrorKind::InvalidArgument, path, e.message());
        }
    }
    // HDF5 writes the AtomicFile's temporary file by name; AtomicFile itself writes nothing, and commit()
    // syncs that file and renames it over the target (or the destructor removes it on any failure).
    AtomicFile file(path);
    buildFile(file.temporaryPath(), path, contents, control);
    control.throwIfCancelled();
    file.commit();
    control.report("export", 1.0);
}

Hdf5File openHdf5ForReading(const std::string& path)
{
    MappedFile { path }; // missing, directory, no permission and empty files give the usual errors

    const Hdf5Lock lock;
    if (H5Fis_hdf5(path.c_str()) <= 0) {
        hdf5ErrorText(); // clear
        throw Error(ErrorKind::Malformed, path, "not an HDF5 file (no HDF5 signature)");
    }
    const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (id < 0) {
        const std::string detail = hdf5ErrorText();
        const bool truncated = detail.find("truncated") != std::string::npos;
        throw Error(truncated ? ErrorKind::Truncated : ErrorKind::Malformed, path,
            "HDF5 cannot open the file" + (detail.empty() ? std::string() : ": " + detail));
    }
    return Hdf5File(id);
}

nlohmann::json readMetricsGroup(hid_t parent, const char* name, const std::string& path)
{
    const Hdf5Group metrics = openGroup(parent, name, path);
    const std::string where = std::string("/") + name;
    nlohmann::json json = readJsonObject(metrics.id(), "json", path, where);
    for (const std::string& dataset : datasetsUnder(metrics.id(), path, where)) {
        const MetricsArray m = readMetricsArray(metrics.id(), dataset, path);
        try {
            restoreMetricsArray(json, m);
        } catch (const nlohmann::json::exception& e) {
            throw Error(ErrorKind::Malformed, path,
                "dataset " + where + "/" + dataset + " has no place in the metrics JSON: " + e.what());
        }
    }
    return json;
}

ArtifactContents readArtifactGroup(hid_t root, const std::string& path)
{
    if (!attr::exists(root, "format"))
        throw Error(ErrorKind::Unsupported, path, "not a vqscope artifact (no 'format' attribute)");
    const std::string format = attr::readString(root, "format", path, "/");
    if (format != kArtifactFormat)
        throw Error(ErrorKind::Unsupported, path, "not a vqscope artifact (format '" + format + "')");
    const int64_t version = attr::readInt64(root, "version", path, "/");
    if (version != kArtifactVersion)
        throw Error(ErrorKind::Unsupported, path,
            "artifact version " + std::to_string(version) + "; this build reads version "
                + std::to_string(kArtifactVersion));

    ArtifactContents c;
    QuantizedTable& t = c.table;
    try {
        t.spec = QuantSpec::fromJson(parseJson(attr::readString(root, "spec", path, "/"), path, "spec"));
    } catch (const Error& e) {
        if (!e.path().empty())
            throw;
        throw Error(ErrorKind::Malformed, path, "spec: " + e.message());
    }
    const std::string method = attr::readString(root, "method", path, "/");
    if (method != t.spec.method)
        throw Error(ErrorKind::Malformed, path,
            "the method attribute '" + method + "' differs from the spec's '" + t.spec.method + "'");
    t.rows = attr::readInt64(root, "rows", path, "/");
    t.dim = attr::readInt64(root, "dim", path, "/");
    if (t.rows <= 0 || t.dim <= 0)
        throw Error(ErrorKind::Malformed, path,
            "impossible table shape " + std::to_string(t.rows) + " x " + std::to_string(t.dim));
    t.info = readJsonObject(root, "info", path, "/");

    const Hdf5Group arrays = openGroup(root, "arrays", path);
    const nlohmann::json names
        = parseJson(attr::readString(arrays.id(), "names", path, "/arrays"), path, "/arrays attribute names");
    if (!names.is_array())
        throw Error(ErrorKind::Malformed, path, "/arrays attribute names is not a JSON list");
    for (const auto& n : names) {
        if (!n.is_string())
            throw Error(ErrorKind::Malformed, path, "/arrays attribute names holds a non-string");
        const std::string name = n.get<std::string>();
        if (t.findArray(name))
            throw Error(ErrorKind::Malformed, path, "array '" + name + "' is listed twice");
        t.arrays.push_back(readArray(arrays.id(), name, path));
    }
    for (const std::string& name : datasetsUnder(arrays.id(), path, "/arrays"))
        if (!t.findArray(name))
            throw Error(ErrorKind::Malformed, path, "dataset /arrays/" + name + " is not listed in /arrays names");
    checkTable(path, t);

    c.metrics = readMetricsGroup(root, "metrics", path);

    const Hdf5Group provenance = openGroup(root, "provenance", path);
    c.provenance = readJsonObject(provenance.id(), "json", path, "/provenance");
    return c;
}

ArtifactContents readArtifact(const std::string& path)
{
    const Hdf5File file = openHdf5ForReading(path);
    const Hdf5Lock lock;
    Hdf5Group root(hdf5Check(H5Gopen2(file.id(), "/", H5P_DEFAULT), ErrorKind::Malformed, path, "cannot open /"));
    return readArtifactGroup(root.id(), path);
}

} // namespace vq
