#include "io/safetensorswriter.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "io/atomicfile.h"
#include "io/safetensorsreader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

namespace vq {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian; so must the host be");

namespace {

using Json = nlohmann::ordered_json;

constexpr uint64_t kChunkElements = uint64_t(1) << 18; // 1 MB of float32 per conversion step

void encode(DType dtype, const float* src, uint8_t* dst, size_t n)
{
    switch (dtype) {
    case DType::F32:
        std::memcpy(dst, src, n * sizeof(float));
        break;
    case DType::F16:
        for (size_t i = 0; i < n; ++i) {
            const uint16_t h = floatToHalf(src[i]);
            std::memcpy(dst + 2 * i, &h, 2);
        }
        break;
    case DType::BF16:
        for (size_t i = 0; i < n; ++i) {
            const uint16_t b = floatToBf16(src[i]);
            std::memcpy(dst + 2 * i, &b, 2);
        }
        break;
    default:
        break; // refused when declared
    }
}

} // namespace

SafetensorsWriter::SafetensorsWriter(std::string path)
    : m_path(std::move(path))
{
}

void SafetensorsWriter::addMetadata(std::string key, std::string value)
{
    for (auto& [k, v] : m_metadata) {
        if (k == key) {
            v = std::move(value);
            return;
        }
    }
    m_metadata.emplace_back(std::move(key), std::move(value));
}

uint64_t SafetensorsWriter::checkDeclaration(const std::string& name, const std::vector<int64_t>& shape) const
{
    if (name.empty() || name == "__metadata__")
        throw Error(ErrorKind::InvalidArgument, m_path, "\"" + name + "\" cannot name a tensor");
    for (const Entry& e : m_entries) {
        if (e.name == name)
            throw Error(ErrorKind::InvalidArgument, m_path, "tensor \"" + name + "\" is added twice");
    }
    uint64_t elements = 1;
    for (int64_t d : shape) {
        if (d < 0 || __builtin_mul_overflow(elements, static_cast<uint64_t>(d), &elements))
            throw Error(ErrorKind::InvalidArgument, m_path, "tensor \"" + name + "\" has an impossible shape");
    }
    return elements;
}

void SafetensorsWriter::addTensor(std::string name, DType dtype, std::vector<int64_t> shape, Producer producer)
{
    const uint64_t elements = checkDeclaration(name, shape);
    if (dtype != DType::F32 && dtype != DType::F16 && dtype != DType::BF16) {
        throw Error(ErrorKind::InvalidArgument, m_path,
            "tensor \"" + name + "\": float data is stored as F32, F16 or BF16, not " + nameOf(dtype));
    }
    if (!producer)
        throw Error(ErrorKind::InvalidArgument, m_path, "tensor \"" + name + "\" has no data");
    Entry e;
    e.dtypeName = nameOf(dtype); // vq spells these three exactly as safetensors does
    e.elementSize = SafetensorsReader::dtypeSize(e.dtypeName);
    if (__builtin_mul_overflow(elements, e.elementSize, &e.byteSize))
        throw Error(ErrorKind::InvalidArgument, m_path, "tensor \"" + name + "\" is too large");
    e.name = std::move(name);
    e.dtype = dtype;
    e.shape = std::move(shape);
    e.producer = std::move(producer);
    m_entries.push_back(std::move(e));
}

void SafetensorsWriter::addTensor(
    std::string name, DType dtype, std::vector<int64_t> shape, std::span<const float> values)
{
    const uint64_t elements = checkDeclaration(name, shape);
    if (values.size() != elements) {
        throw Error(ErrorKind::InvalidArgument, m_path,
            "tensor \"" + name + "\": " + std::to_string(values.size()) + " values for a shape of "
                + std::to_string(elements) + " elements");
    }
    addTensor(std::move(name), dtype, std::move(shape), [values](uint64_t first, std::span<float> out) {
        std::memcpy(out.data(), values.data() + first, out.size_bytes());
    });
}

void SafetensorsWriter::addRawTensor(
    std::string name, std::string dtypeName, std::vector<int64_t> shape, std::span<const uint8_t> bytes)
{
    const uint64_t elements = checkDeclaration(name, shape);
    if (dtypeName.empty())
        throw Error(ErrorKind::InvalidArgument, m_path, "tensor \"" + name + "\" has no dtype");
    Entry e;
    e.elementSize = SafetensorsReader::dtypeSize(dtypeName);
    uint64_t expected = 0;
    if (e.elementSize != 0
        && (__builtin_mul_overflow(elements, e.elementSize, &expected) || expected != bytes.size())) {
        throw Error(ErrorKind::InvalidArgument, m_path,
            "tensor \"" + name + "\": " + std::to_string(bytes.size()) + " bytes do not hold "
                + std::to_string(elements) + " elements of " + dtypeName);
    }
    e.name = std::move(name);
    e.dtypeName = std::move(dtypeName);
    e.shape = std::move(shape);
    e.byteSize = bytes.size();
    e.raw = bytes;
    m_entries.push_back(std::move(e));
}

void SafetensorsWriter::write(RunControl& control, std::string_view stage)
{
    if (m_written)
        throw Error(ErrorKind::InvalidArgument, m_path, "already written");
    m_written = true;
    control.throwIfCancelled();

    // Largest elements first keeps every tensor aligned to its element size (the header is padded to 8).
    std::vector<const Entry*> order;
    for (const Entry& e : m_entries)
        order.push_back(&e);
    std::stable_sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
        if (a->elementSize != b->elementSize)
            return a->elementSize > b->elementSize;
        return a->name < b->name;
    });

    Json header = Json::object();
    if (!m_metadata.empty()) {
        Json meta = Json::object();
        for (const auto& [k, v] : m_metadata)
            meta[k] = v;
        header["__metadata__"] = std::move(meta);
    }
    uint64_t offset = 0;
    for (const Entry* e : order) {
        header[e->name] = { { "dtype", e->dtypeName }, { "shape", e->shape },
            { "data_offsets", { offset, offset + e->byteSize } } };
        offset += e->byteSize;
    }
    const uint64_t totalData = offset;
    std::string text;
    try {
        text = header.dump();
    } catch (const Json::exception& e) {
        throw Error(ErrorKind::InvalidArgument, m_path,
            std::string("a tensor name or metadata is not valid UTF-8: ") + e.what());
    }
    text.append((8 - text.size() % 8) % 8, ' ');

    AtomicFile file(m_path);
    const uint64_t headerLength = text.size();
    file.write(&headerLength, sizeof headerLength);
    file.write(text.data(), text.size());

    const auto report = [&](double fraction) {
        if (!stage.empty())
            control.report(stage, fraction);
    };
    report(0.0);
    uint64_t done = 0;
    auto progress = [&](uint64_t bytes) {
        done += bytes;
        report(totalData ? static_cast<double>(done) / static_cast<double>(totalData) : 1.0);
        control.throwIfCancelled();
    };
    std::vector<float> floats;
    std::vector<uint8_t> encoded;
    for (const Entry* e : order) {
        if (!e->producer) {
            for (uint64_t at = 0; at < e->byteSize; at += kChunkElements * 4) {
                const uint64_t n = std::min(kChunkElements * 4, e->byteSize - at);
                file.write(e->raw.data() + at, n);
                progress(n);
            }
            continue;
        }
        const uint64_t elements = e->byteSize / e->elementSize;
        floats.resize(static_cast<size_t>(std::min(kChunkElements, elements)));
        encoded.resize(floats.size() * e->elementSize);
        for (uint64_t first = 0; first < elements; first += kChunkElements) {
            const size_t n = static_cast<size_t>(std::min(kChunkElements, elements - first));
            e->producer(first, std::span<float>(floats.data(), n));
            encode(e->dtype, floats.data(), encoded.data(), n);
            file.write(encoded.data(), n * e->elementSize);
            progress(n * e->elementSize);
        }
    }
    control.throwIfCancelled();
    file.commit();
    report(1.0);
}

} // namespace vq
