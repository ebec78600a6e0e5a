#include "io/ggufwriter.h"

#include "common/error.h"
#include "io/atomicfile.h"
#include "quant/rowblocks.h"

#include <algorithm>
#include <bit>
#include <cstring>

static_assert(std::endian::native == std::endian::little, "GGUF is written little-endian: so must the host be");

namespace vq {

namespace {

constexpr uint32_t kVersion = 3;
constexpr size_t kMaxNameBytes = 63; // GGML_MAX_NAME (64) counts the terminating zero
constexpr int kMaxDims = 4;
constexpr uint64_t kChunkValues = uint64_t(1) << 22; // 16 MiB of float32 encoded per step
constexpr uint64_t kRawChunk = uint64_t(4) << 20;
constexpr int64_t kEncodeBlockRows = 16;
const std::string kAlignmentKey = "general.alignment";

// resize + memcpy rather than insert(): GCC 12 reports a false stringop-overflow on the latter.
void append(std::vector<uint8_t>& out, const void* data, size_t size)
{
    if (size == 0)
        return;
    const size_t at = out.size();
    out.resize(at + size);
    std::memcpy(out.data() + at, data, size);
}

template <class T> void appendScalar(std::vector<uint8_t>& out, T v)
{
    append(out, &v, sizeof v);
}

template <class T> void appendScalar(std::string& out, T v)
{
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void appendString(std::string& out, std::string_view s)
{
    appendScalar(out, static_cast<uint64_t>(s.size()));
    out.append(s);
}

uint64_t padded(uint64_t n, uint64_t alignment)
{
    return (n + alignment - 1) / alignment * alignment;
}

} // namespace

GgufValue GgufValue::string(std::string_view s)
{
    GgufValue v;
    v.m_type = static_cast<uint32_t>(GgufType::String);
    appendScalar(v.m_bytes, static_cast<uint64_t>(s.size()));
    append(v.m_bytes, s.data(), s.size());
    return v;
}

GgufValue GgufValue::stringArray(std::span<const std::string> items)
{
    GgufValue v;
    v.m_type = static_cast<uint32_t>(GgufType::Array);
    size_t total = 12;
    for (const std::string& s : items)
        total += 8 + s.size();
    v.m_bytes.reserve(total);
    appendScalar(v.m_bytes, static_cast<uint32_t>(GgufType::String));
    appendScalar(v.m_bytes, static_cast<uint64_t>(items.size()));
    for (const std::string& s : items) {
        appendScalar(v.m_bytes, static_cast<uint64_t>(s.size()));
        append(v.m_bytes, s.data(), s.size());
    }
    return v;
}

GgufValue GgufValue::array(GgufType itemType, std::span<const GgufValue> items)
{
    GgufValue v;
    v.m_type = static_cast<uint32_t>(GgufType::Array);
    appendScalar(v.m_bytes, static_cast<uint32_t>(itemType));
    appendScalar(v.m_bytes, static_cast<uint64_t>(items.size()));
    for (const GgufValue& item : items) {
        if (item.m_type != static_cast<uint32_t>(itemType))
            throw Error(ErrorKind::InvalidArgument, "",
                "a GGUF array of type " + std::to_string(static_cast<uint32_t>(itemType)) + " holds an item of type "
                    + std::to_string(item.m_type));
        append(v.m_bytes, item.m_bytes.data(), item.m_bytes.size());
    }
    return v;
}

GgufValue GgufValue::raw(uint32_t type, std::span<const uint8_t> bytes)
{
    GgufValue v;
    v.m_type = type;
    v.m_bytes.assign(bytes.begin(), bytes.end());
    return v;
}

GgufWriter::GgufWriter(std::string path)
    : m_path(std::move(path))
{
}

bool GgufWriter::hasKey(std::string_view key) const
{
    return std::any_of(m_values.begin(), m_values.end(), [&](const auto& kv) { return kv.first == key; });
}

void GgufWriter::checkAlignmentValue(const std::string& key, const GgufValue& value)
{
    if (key != kAlignmentKey)
        return;
    uint32_t a = 0;
    if (value.typeId() != static_cast<uint32_t>(GgufType::U32) || value.bytes().size() != 4)
        throw Error(ErrorKind::InvalidArgument, m_path, "general.alignment must be a u32");
    std::memcpy(&a, value.bytes().data(), 4);
    if (a == 0 || (a & (a - 1)) != 0)
        throw Error(
            ErrorKind::InvalidArgument, m_path, "general.alignment " + std::to_string(a) + " is not a power of two");
    m_alignment = a;
}

void GgufWriter::add(std::string key, GgufValue value)
{
    if (key.empty())
        throw Error(ErrorKind::InvalidArgument, m_path, "a GGUF key cannot be empty");
    if (hasKey(key))
        throw Error(ErrorKind::InvalidArgument, m_path, "key '" + key + "' is added twice");
    checkAlignmentValue(key, value);
    m_values.emplace_back(std::move(key), std::move(value));
}

void GgufWriter::set(std::string key, GgufValue value)
{
    for (auto& [k, v] : m_values) {
        if (k == key) {
            checkAlignmentValue(key, value);
            v = std::move(value);
            return;
        }
    }
    add(std::move(key), std::move(value));
}

uint64_t GgufWriter::checkTensor(const std::string& name, const std::vector<int64_t>& shape) const
{
    if (name.empty() || name.size() > kMaxNameBytes)
        throw Error(ErrorKind::InvalidArgument, m_path,
            "tensor name '" + name + "' must be 1 to " + std::to_string(kMaxNameBytes) + " bytes long");
    if (std::any_of(m_tensors.begin(), m_tensors.end(), [&](const Tensor& t) { return t.name == name; }))
        throw Error(ErrorKind::InvalidArgument, m_path, "tensor '" + name + "' is added twice");
    if (shape.empty() || shape.size() > kMaxDims)
        throw Error(ErrorKind::InvalidArgument, m_path,
            "tensor '" + name + "' has " + std::to_string(shape.size()) + " dimensions (GGUF allows 1 to 4)");
    uint64_t elements = 1;
    for (int64_t d : shape) {
        if (d < 0 || __builtin_mul_overflow(elements, static_cast<uint64_t>(d), &elements)
            || elements > static_cast<uint64_t>(INT64_MAX))
            throw Error(ErrorKind::InvalidArgument, m_path, "tensor '" + name + "' has an impossible shape");
    }
    return elements;
}

void GgufWriter::addTensor(
    std::string name, std::vector<int64_t> shape, const ggml::WritableType& type, Producer producer)
{
    const uint64_t elements = checkTensor(name, shape);
    if (!producer)
        throw Error(ErrorKind::InvalidArgument, m_path, "tensor '" + name + "' has no data");
    if (shape.back() % type.blockValues != 0)
        throw Error(ErrorKind::InvalidArgument, m_path,
            "tensor '" + name + "' has rows of " + std::to_string(shape.back()) + " values; " + std::string(type.name)
                + " stores whole blocks of " + std::to_string(type.blockValues));
    Tensor t;
    t.name = std::move(name);
    t.shape = std::move(shape);
    t.ggmlType = type.id;
    t.elements = elements;
    t.byteSize = type.storedBytes(elements);
    t.type = &type;
    t.producer = std::move(producer);
    m_tensors.push_back(std::move(t));
}

void GgufWriter::addRawTensor(
    std::string name, std::vector<int64_t> shape, uint32_t ggmlType, std::span<const uint8_t> bytes)
{
    const uint64_t elements = checkTensor(name, shape);
    if (const ggml::WritableType* type = ggml::writableTypeById(ggmlType)) {
        if (shape.back() % type->blockValues != 0 || type->storedBytes(elements) != bytes.size())
            throw Error(ErrorKind::InvalidArgument, m_path,
                "tensor '" + name + "': " + std::to_string(bytes.size()) + " bytes do not hold its shape in "
                    + std::string(type->name));
    }
    Tensor t;
    t.name = std::move(name);
    t.shape = std::move(shape);
    t.ggmlType = ggmlType;
    t.elements = elements;
    t.byteSize = bytes.size();
    t.raw = bytes;
    m_tensors.push_back(std::move(t));
}

std::string GgufWriter::header() const
{
    std::string out = "GGUF";
    appendScalar(out, kVersion);
    appendScalar(out, static_cast<uint64_t>(m_tensors.size()));
    appendScalar(out, static_cast<uint64_t>(m_values.size()));
    for (const auto& [key, value] : m_values) {
        appendString(out, key);
        appendScalar(out, value.typeId());
        out.append(reinterpret_cast<const char*>(value.bytes().data()), value.bytes().size());
    }
    uint64_t offset = 0;
    for (const Tensor& t : m_tensors) {
        appendString(out, t.name);
        appendScalar(out, static_cast<uint32_t>(t.shape.size()));
        for (auto d = t.shape.rbegin(); d != t.shape.rend(); ++d) // fastest first
            appendScalar(out, static_cast<uint64_t>(*d));
        appendScalar(out, t.ggmlType);
        appendScalar(out, offset);
        offset += padded(t.byteSize, m_alignment);
    }
    out.resize(padded(out.size(), m_alignment), '\0');
    return out;
}

void GgufWriter::writeProduced(
    AtomicFile& file, const Tensor& t, RunControl& control, const std::function<void(uint64_t)>& progress) const
{
    const ggml::WritableType& type = *t.type;
    const auto rowValues = static_cast<uint64_t>(t.shape.back());
    if (rowValues == 0 || t.byteSize == 0)
        return;
    const uint64_t rows = t.elements / rowValues;
    const uint64_t rowBytes = type.storedBytes(rowValues);
    const uint64_t chunkRows = std::max<uint64_t>(1, kChunkValues / rowValues);
    std::vector<float> values(static_cast<size_t>(std::min(rows, chunkRows) * rowValues));
    std::vector<uint8_t> encoded(static_cast<size_t>(std::min(rows, chunkRows) * rowBytes));
    // Rows encode independently, in parallel on the caller's thread count; progress and cancel are
    // handled per chunk here.
    RunControl encoding;
    encoding.threads = control.threads;
    for (uint64_t r0 = 0; r0 < rows; r0 += chunkRows) {
        control.throwIfCancelled();
        const auto n = static_cast<int64_t>(std::min(chunkRows, rows - r0));
        const std::span<float> chunk(values.data(), static_cast<size_t>(n) * rowValues);
        t.producer(r0 * rowValues, chunk);
        parallelRowBlocks(n, kEncodeBlockRows, encoding, {}, [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r)
                type.encode(chunk.subspan(static_cast<size_t>(r) * rowValues, rowValues),
                    std::span<uint8_t>(encoded.data() + static_cast<size_t>(r) * rowBytes, rowBytes));
        });
        const uint64_t bytes = static_cast<uint64_t>(n) * rowBytes;
        file.write(encoded.data(), bytes);
        progress(bytes);
    }
}

void GgufWriter::write(RunControl& control, std::string_view stage)
{
    if (m_written)
        throw Error(ErrorKind::InvalidArgument, m_path, "already written");
    m_written = true;
    control.throwIfCancelled();

    uint64_t totalData = 0;
    for (const Tensor& t : m_tensors)
        totalData += padded(t.byteSize, m_alignment);
    const std::string head = header();

    const auto report = [&](double fraction) {
        if (!stage.empty())
            control.report(stage, fraction);
    };
    AtomicFile file(m_path);
    file.write(head.data(), head.size());
    report(0.0);
    uint64_t done = 0;
    const std::function<void(uint64_t)> progress = [&](uint64_t bytes) {
        done += bytes;
        report(totalData ? static_cast<double>(done) / static_cast<double>(totalData) : 1.0);
        control.throwIfCancelled();
    };
    const std::vector<uint8_t> zeros(static_cast<size_t>(m_alignment), 0);
    for (const Tensor& t : m_tensors) {
        if (t.producer) {
            writeProduced(file, t, control, progress);
        } else {
            for (uint64_t at = 0; at < t.byteSize; at += kRawChunk) {
                const uint64_t n = std::min(kRawChunk, t.byteSize - at);
                file.write(t.raw.data() + at, n);
                progress(n);
            }
        }
        const uint64_t pad = padded(t.byteSize, m_alignment) - t.byteSize;
        file.write(zeros.data(), pad);
        progress(pad);
    }
    control.throwIfCancelled();
    file.commit();
    report(1.0);
}

} // namespace vq
