#include "export/artifact.h"

#include "common/error.h"
#include "export/metricsarrays.h"
#include "io/safetensorswriter.h"
#include "vq/version.h"

#include <cstring>
#include <memory>

namespace vq {

namespace {

// The smallest PyTorch integer dtype that holds every value of the array exactly.
struct IntDtype {
    const char* name;
    size_t size;
};

IntDtype intDtypeFor(const StoredArray& a)
{
    const bool isSigned = a.type == StorageType::Int;
    if (a.bitWidth <= 8)
        return isSigned ? IntDtype { "I8", 1 } : IntDtype { "U8", 1 };
    if (a.bitWidth <= (isSigned ? 16 : 15))
        return { "I16", 2 };
    if (a.bitWidth <= (isSigned ? 32 : 31))
        return { "I32", 4 };
    return { "I64", 8 }; // unsigned 32-bit codes: held as int32 bit patterns, widened without sign
}

std::vector<uint8_t> encodeInts(const StoredArray& a, const IntDtype& d)
{
    std::vector<uint8_t> out(a.ints.size() * d.size);
    for (size_t i = 0; i < a.ints.size(); ++i) {
        const int32_t v = a.ints[i];
        uint8_t* p = out.data() + i * d.size;
        switch (d.size) {
        case 1: {
            const auto b = static_cast<uint8_t>(v);
            std::memcpy(p, &b, 1);
            break;
        }
        case 2: {
            const auto b = static_cast<int16_t>(v);
            std::memcpy(p, &b, 2);
            break;
        }
        case 4:
            std::memcpy(p, &v, 4);
            break;
        default: {
            const int64_t b = a.type == StorageType::UInt ? static_cast<int64_t>(static_cast<uint32_t>(v)) : v;
            std::memcpy(p, &b, 8);
            break;
        }
        }
    }
    return out;
}

DType floatDtype(StorageType t)
{
    return t == StorageType::F32 ? DType::F32 : t == StorageType::F16 ? DType::F16 : DType::BF16;
}

} // namespace

void writeArtifactSafetensors(const std::string& path, const ArtifactContents& contents, RunControl& control)
{
    control.throwIfCancelled();
    control.report("export", 0.0);
    const QuantizedTable& t = contents.table;
    if (!contents.metrics.is_object() || !contents.provenance.is_object())
        throw Error(ErrorKind::InvalidArgument, path, "metrics and provenance must be JSON objects");
    nlohmann::json metrics = contents.metrics;
    const std::vector<MetricsArray> perToken = extractMetricsArrays(metrics, t.rows);
    nlohmann::json provenance = contents.provenance;
    if (!provenance.contains("appVersion"))
        provenance["appVersion"] = kVersion;

    SafetensorsWriter writer(path);
    nlohmann::json arrays = nlohmann::json::array();
    std::vector<std::unique_ptr<std::vector<uint8_t>>> intBuffers; // alive until write() returns
    std::vector<std::unique_ptr<std::vector<float>>> floatBuffers;
    for (const StoredArray& a : t.arrays) {
        try {
            a.check();
        } catch (const Error& e) {
            throw Error(ErrorKind::InvalidArgument, path, e.message());
        }
        arrays.push_back({ { "name", a.name }, { "role", a.role }, { "label", a.label }, { "storage", nameOf(a.type) },
            { "bitWidth", a.bitWidth }, { "shape", a.shape } });
        if (a.type == StorageType::UInt || a.type == StorageType::Int) {
            const IntDtype d = intDtypeFor(a);
            intBuffers.push_back(std::make_unique<std::vector<uint8_t>>(encodeInts(a, d)));
            writer.addRawTensor(a.name, d.name, a.shape, *intBuffers.back());
        } else {
            writer.addTensor(a.name, floatDtype(a.type), a.shape, std::span<const float>(a.floats));
        }
    }
    for (const MetricsArray& m : perToken) {
        floatBuffers.push_back(std::make_unique<std::vector<float>>(m.values.begin(), m.values.end()));
        writer.addTensor("metrics" + m.pointer, DType::F32, { static_cast<int64_t>(m.values.size()) },
            std::span<const float>(*floatBuffers.back()));
    }

    const auto dump = [&](const nlohmann::json& j) {
        try {
            return j.dump();
        } catch (const nlohmann::json::exception& e) {
            throw Error(ErrorKind::InvalidArgument, path, std::string("metadata is not valid UTF-8: ") + e.what());
        }
    };
    writer.addMetadata("format", kArtifactFormat);
    writer.addMetadata("version", std::to_string(kArtifactVersion));
    writer.addMetadata("appVersion", kVersion);
    writer.addMetadata("method", t.spec.method);
    writer.addMetadata("spec", dump(t.spec.toJson()));
    writer.addMetadata("rows", std::to_string(t.rows));
    writer.addMetadata("dim", std::to_string(t.dim));
    writer.addMetadata("info", dump(t.info));
    writer.addMetadata("arrays", dump(arrays));
    writer.addMetadata("metrics", dump(metrics));
    writer.addMetadata("provenance", dump(provenance));

    RunControl inner;
    inner.setProgressCallback([&](std::string_view, double f) {
        control.report("export", f);
        if (control.cancelled())
            inner.cancel();
    });
    writer.write(inner);
    control.report("export", 1.0);
}

} // namespace vq
