#include "io/safetensorsreader.h"

#include "common/error.h"
#include "common/halffloat.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <omp.h>
#include <set>

namespace vq {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian; so must the host be");

namespace {

using Json = nlohmann::ordered_json;

// A header larger than this is not a checkpoint header but a corrupt length field; refusing it keeps a
// bad file from making us parse hundreds of megabytes as JSON. (The reference implementation uses the
// same limit.)
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DTypeSpec {
    const char* name;
    DType dtype;
    uint64_t size;
};

// safetensors' dtype names. The 8-bit float formats are listed (with their size, so files holding them
// are still validated) but have no vq::DType and cannot be loaded.
constexpr DTypeSpec kDTypes[] = {
    { "F64", DType::F64, 8 },
    { "F32", DType::F32, 4 },
    { "F16", DType::F16, 2 },
    { "BF16", DType::BF16, 2 },
    { "I64", DType::I64, 8 },
    { "I32", DType::I32, 4 },
    { "I16", DType::I16, 2 },
    { "I8", DType::I8, 1 },
    { "U64", DType::U64, 8 },
    { "U32", DType::U32, 4 },
    { "U16", DType::U16, 2 },
    { "U8", DType::U8, 1 },
    { "BOOL", DType::Bool, 1 },
    { "F8_E4M3", DType::Other, 1 },
    { "F8_E5M2", DType::Other, 1 },
    { "F8_E8M0", DType::Other, 1 },
};

const DTypeSpec* findDType(const std::string& name)
{
    for (const DTypeSpec& d : kDTypes) {
        if (name == d.name)
            return &d;
    }
    return nullptr;
}

uint64_t readLittleU64(const uint8_t* p)
{
    uint64_t v = 0;
    std::memcpy(&v, p, sizeof v);
    return v;
}

std::string shapeText(const std::vector<int64_t>& shape)
{
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i)
            s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

// Converts n little-endian elements at src (any alignment) to float32.
void convertRow(DType dtype, const uint8_t* src, float* dst, int64_t n)
{
    switch (dtype) {
    case DType::F32:
        std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
        break;
    case DType::F16:
        for (int64_t i = 0; i < n; ++i) {
            uint16_t h;
            std::memcpy(&h, src + 2 * i, 2);
            dst[i] = halfToFloat(h);
        }
        break;
    case DType::BF16:
        for (int64_t i = 0; i < n; ++i) {
            uint16_t b;
            std::memcpy(&b, src + 2 * i, 2);
            dst[i] = bf16ToFloat(b);
        }
        break;
    case DType::F64:
        for (int64_t i = 0; i < n; ++i) {
            double d;
            std::memcpy(&d, src + 8 * i, 8);
            dst[i] = static_cast<float>(d);
        }
        break;
    default:
        break; // refused before the loop
    }
}

} // namespace

uint64_t SafetensorsReader::dtypeSize(const std::string& dtypeName)
{
    const DTypeSpec* d = findDType(dtypeName);
    return d ? d->size : 0;
}

DType SafetensorsReader::dtypeFromName(const std::string& dtypeName)
{
    const DTypeSpec* d = findDType(dtypeName);
    return d ? d->dtype : DType::Other;
}

SafetensorsReader::SafetensorsReader(std::string path)
    : m_path(std::move(path))
    , m_file(std::make_unique<MappedFile>(m_path))
{
    const uint64_t fileSize = m_file->size();
    if (fileSize < 8) {
        throw Error(ErrorKind::Truncated, m_path,
            "file has " + std::to_string(fileSize) + " bytes, too short for the 8-byte safetensors header length");
    }
    const uint64_t headerLength = readLittleU64(m_file->data());
    if (headerLength > kMaxHeaderBytes) {
        throw Error(ErrorKind::Malformed, m_path,
            "header length " + std::to_string(headerLength)
                + " bytes is implausible (limit 100 MB): not a safetensors file or a corrupt one");
    }
    if (headerLength > fileSize - 8) {
        throw Error(ErrorKind::Truncated, m_path,
            "header says it is " + std::to_string(headerLength) + " bytes, but only " + std::to_string(fileSize - 8)
                + " bytes follow the length field");
    }
    const std::span<const uint8_t> headerBytes = m_file->bytes(8, headerLength, "the JSON header");
    const uint64_t dataStart = 8 + headerLength;
    const uint64_t dataSize = fileSize - dataStart;

    // The JSON parser stops at a NUL byte and would ignore whatever follows; the format allows none.
    if (std::memchr(headerBytes.data(), 0, headerBytes.size()) != nullptr)
        throw Error(ErrorKind::Malformed, m_path, "header is not valid JSON: it contains a NUL byte");
    // The JSON parser keeps the last of two equal keys; a tensor named twice would silently be the
    // second one, so names are collected while parsing and a repeated one refused.
    std::set<std::string> names;
    std::string repeated;
    const Json::parser_callback_t noteNames = [&](int depth, Json::parse_event_t event, Json& parsed) {
        if (depth == 1 && event == Json::parse_event_t::key && parsed.is_string()
            && !names.insert(parsed.get<std::string>()).second && repeated.empty())
            repeated = parsed.get<std::string>();
        return true;
    };
    Json header;
    try {
        header = Json::parse(headerBytes.begin(), headerBytes.end(), noteNames);
    } catch (const Json::exception& e) {
        throw Error(ErrorKind::Malformed, m_path, std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object())
        throw Error(ErrorKind::Malformed, m_path, "header is not a JSON object");
    if (!repeated.empty())
        throw Error(ErrorKind::Malformed, m_path, "header names \"" + repeated + "\" twice");

    for (const auto& [key, entry] : header.items()) {
        if (key == "__metadata__") {
            if (!entry.is_object())
                throw Error(ErrorKind::Malformed, m_path, "__metadata__ is not a JSON object");
            for (const auto& [mkey, mvalue] : entry.items()) {
                if (!mvalue.is_string())
                    throw Error(ErrorKind::Malformed, m_path, "__metadata__ value of \"" + mkey + "\" is not a string");
                m_metadata.push_back({ mkey, "str", mvalue.get<std::string>() });
            }
            continue;
        }
        const std::string where = "tensor \"" + key + "\"";
        if (!entry.is_object())
            throw Error(ErrorKind::Malformed, m_path, where + ": entry is not a JSON object");
        const auto dtypeIt = entry.find("dtype");
        const auto shapeIt = entry.find("shape");
        const auto offsetsIt = entry.find("data_offsets");
        if (dtypeIt == entry.end() || shapeIt == entry.end() || offsetsIt == entry.end())
            throw Error(ErrorKind::Malformed, m_path, where + ": needs \"dtype\", \"shape\" and \"data_offsets\"");
        if (!dtypeIt->is_string())
            throw Error(ErrorKind::Malformed, m_path, where + ": \"dtype\" is not a string");
        if (!shapeIt->is_array())
            throw Error(ErrorKind::Malformed, m_path, where + ": \"shape\" is not an array");
        if (!offsetsIt->is_array() || offsetsIt->size() != 2 || !(*offsetsIt)[0].is_number_unsigned()
            || !(*offsetsIt)[1].is_number_unsigned())
            throw Error(
                ErrorKind::Malformed, m_path, where + ": \"data_offsets\" is not a pair of non-negative integers");

        TensorInfo info;
        info.name = key;
        info.dtypeName = dtypeIt->get<std::string>();
        info.dtype = dtypeFromName(info.dtypeName);
        info.file = m_path;
        // Element count in 64 bits without overflow: a corrupt shape must not wrap around and pass the size check.
        uint64_t elements = 1;
        bool overflow = false;
        for (const Json& d : *shapeIt) {
            if (!d.is_number_unsigned())
                throw Error(ErrorKind::Malformed, m_path,
                    where + ": \"shape\" holds something other than a non-negative integer");
            const uint64_t dim = d.get<uint64_t>();
            if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                || __builtin_mul_overflow(elements, dim, &elements))
                overflow = true;
            info.shape.push_back(static_cast<int64_t>(std::min<uint64_t>(dim, std::numeric_limits<int64_t>::max())));
        }
        if (overflow || elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            throw Error(ErrorKind::Malformed, m_path, where + ": shape " + shapeText(info.shape) + " is too large");

        const uint64_t begin = (*offsetsIt)[0].get<uint64_t>();
        const uint64_t end = (*offsetsIt)[1].get<uint64_t>();
        if (end < begin) {
            throw Error(ErrorKind::Malformed, m_path,
                where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end)
                    + "] end before they begin");
        }
        if (end > dataSize) {
            throw Error(ErrorKind::Truncated, m_path,
                where + ": data_offsets end at " + std::to_string(end) + ", but the data area has only "
                    + std::to_string(dataSize) + " bytes");
        }
        info.byteSize = end - begin;
        const uint64_t elementSize = dtypeSize(info.dtypeName);
        uint64_t expected = 0;
        if (elementSize != 0
            && (__builtin_mul_overflow(elements, elementSize, &expected) || expected != info.byteSize)) {
            throw Error(ErrorKind::Malformed, m_path,
                where + ": shape " + shapeText(info.shape) + " of " + info.dtypeName + " needs "
                    + (expected ? std::to_string(expected) : std::string("more than 2^64"))
                    + " bytes, but data_offsets span " + std::to_string(info.byteSize));
        }
        m_locations.emplace(key, Location { m_tensors.size(), dataStart + begin });
        m_tensors.push_back(std::move(info));
    }
    refuseOverlaps();
}

void SafetensorsReader::refuseOverlaps() const
{
    // Two tensors sharing bytes would alias each other (a write through one, or a patched checkpoint,
    // changes both), which no writer produces; the order in the header does not matter.
    std::vector<const Location*> byOffset;
    for (const auto& [name, loc] : m_locations)
        if (m_tensors[loc.index].byteSize > 0)
            byOffset.push_back(&loc);
    std::sort(byOffset.begin(), byOffset.end(), [](const Location* a, const Location* b) {
        return a->offset != b->offset ? a->offset < b->offset : a->index < b->index;
    });
    for (size_t i = 1; i < byOffset.size(); ++i) {
        const Location& prev = *byOffset[i - 1];
        const Location& cur = *byOffset[i];
        const uint64_t prevEnd = prev.offset + m_tensors[prev.index].byteSize;
        if (cur.offset < prevEnd)
            throw Error(ErrorKind::Malformed, m_path,
                "tensors \"" + m_tensors[prev.index].name + "\" and \"" + m_tensors[cur.index].name
                    + "\" overlap: their data_offsets share " + std::to_string(prevEnd - cur.offset) + " bytes");
    }
}

const SafetensorsReader::Location& SafetensorsReader::locate(const std::string& name) const
{
    const auto it = m_locations.find(name);
    if (it == m_locations.end())
        throw Error(ErrorKind::NotFound, m_path, "no tensor named \"" + name + "\"");
    return it->second;
}

std::span<const uint8_t> SafetensorsReader::rawBytes(const std::string& name) const
{
    const Location& loc = locate(name);
    return m_file->bytes(loc.offset, m_tensors[loc.index].byteSize, "tensor data");
}

Matrix SafetensorsReader::readMatrix(const std::string& name, RunControl& control) const
{
    const Location& loc = locate(name);
    const TensorInfo& info = m_tensors[loc.index];
    if (!info.isMatrix()) {
        throw Error(ErrorKind::InvalidArgument, m_path,
            "tensor \"" + name + "\" has shape " + shapeText(info.shape) + ", not a 2-D matrix");
    }
    if (info.dtype != DType::F32 && info.dtype != DType::F16 && info.dtype != DType::BF16 && info.dtype != DType::F64) {
        throw Error(ErrorKind::Unsupported, m_path,
            "tensor \"" + name + "\" has dtype " + info.dtypeName + "; only F32, F16, BF16 and F64 load as a table");
    }
    control.throwIfCancelled();

    const int64_t rows = info.shape[0];
    const int64_t cols = info.shape[1];
    const uint64_t elementSize = dtypeSize(info.dtypeName);
    const uint64_t rowBytes = static_cast<uint64_t>(cols) * elementSize;
    // Checked once here so the parallel loop below cannot read outside the map.
    const uint8_t* const base = m_file->bytes(loc.offset, info.byteSize, "tensor data").data();

    Matrix m(rows, cols);
    control.report("read", 0.0);
    if (m.empty()) {
        control.report("read", 1.0);
        return m;
    }

    // About 4 MB of file per chunk: large enough to amortise scheduling, small enough that cancel is prompt
    // and the pages released behind us keep the resident file share small.
    const int64_t chunkRows
        = std::max<int64_t>(1, static_cast<int64_t>((uint64_t(4) << 20) / std::max<uint64_t>(rowBytes, 1)));
    const int64_t chunks = (rows + chunkRows - 1) / chunkRows;
    const int threads = control.threads > 0 ? control.threads : omp_get_max_threads();

    std::atomic<bool> stop { false };
    std::atomic<int64_t> rowsDone { 0 };
    std::exception_ptr failure; // a throwing progress callback must not escape the parallel region
    std::mutex failureMutex;

#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int64_t c = 0; c < chunks; ++c) {
        if (stop.load(std::memory_order_relaxed))
            continue;
        if (control.cancelled()) {
            stop.store(true, std::memory_order_relaxed);
            continue;
        }
        const int64_t r0 = c * chunkRows;
        const int64_t r1 = std::min(rows, r0 + chunkRows);
        for (int64_t r = r0; r < r1; ++r)
            convertRow(info.dtype, base + static_cast<uint64_t>(r) * rowBytes, m.row(r), cols);
        m_file->release(loc.offset + static_cast<uint64_t>(r0) * rowBytes, static_cast<uint64_t>(r1 - r0) * rowBytes);
        const int64_t done = rowsDone.fetch_add(r1 - r0, std::memory_order_relaxed) + (r1 - r0);
        try {
            control.report("read", static_cast<double>(done) / static_cast<double>(rows));
        } catch (...) {
            std::lock_guard lock(failureMutex);
            if (!failure)
                failure = std::current_exception();
            stop.store(true, std::memory_order_relaxed);
        }
    }

    if (failure)
        std::rethrow_exception(failure);
    if (stop.load())
        throw Cancelled();
    return m;
}

} // namespace vq
