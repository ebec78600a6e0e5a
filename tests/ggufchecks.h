#pragma once

// Helpers shared by the GGUF writing tests (writer, patched checkpoints, table files): the reference
// table of the gguf-py fixtures, values encoded by a writable type, and a GGUF file copied through
// GgufWriter with a hook to change what is copied.
#include "common/matrix.h"
#include "io/ggmlwritable.h"
#include "io/ggufreader.h"
#include "io/ggufwriter.h"
#include "npyfixture_gguf.h"
#include "testutil.h"

#include <QTest>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace vqtest {

// The first cols columns of the fixtures' 512 x 100 reference table (block types need 96).
inline vq::Matrix referenceTable(int64_t cols)
{
    const NpyF32 ref = readNpyF32(dataPath("reference-512x100-f32.npy"));
    vq::Matrix m(ref.rows, cols);
    m.values = ref.leftColumns(cols);
    return m;
}

// values as the writable type stores them.
inline std::vector<uint8_t> encodedAs(const vq::ggml::WritableType& type, std::span<const float> values)
{
    std::vector<uint8_t> out(static_cast<size_t>(type.storedBytes(values.size())));
    type.encode(values, out);
    return out;
}

inline bool sameBytes(std::span<const uint8_t> a, std::span<const uint8_t> b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

// Declares in writer every key/value of reader (raw) and every tensor (raw), in order. replace(name)
// may declare a tensor itself and return true, for the tensor to be left out of the copy.
inline void copyGguf(const vq::GgufReader& reader, vq::GgufWriter& writer,
    const std::function<bool(const vq::TensorInfo&)>& replace = {})
{
    for (size_t i = 0; i < reader.metadata().size(); ++i) {
        const vq::GgufReader::RawValue raw = reader.rawValue(i);
        writer.add(reader.metadata()[i].key, vq::GgufValue::raw(raw.type, raw.bytes));
    }
    for (const vq::TensorInfo& t : reader.tensors()) {
        if (replace && replace(t))
            continue;
        writer.addRawTensor(t.name, t.shape, reader.ggmlTypeId(t.name), reader.tensorBytes(t.name));
    }
}

} // namespace vqtest
