#include "export/patchedgguf.h"

#include "common/error.h"
#include "export/dequantizedexport.h"
#include "export/patchsupport.h"
#include "export/rowblockdecoder.h"
#include "io/ggufreader.h"
#include "io/ggufwriter.h"

namespace vq {

PatchResult writePatchedGguf(const std::string& source, const std::string& output, const QuantizedTable& table,
    const PatchOptions& options, RunControl& control)
{
    patch::checkRequest(source, output, table, options.tensorName);
    if (patch::samePath(output, source))
        throw Error(ErrorKind::InvalidArgument, output, "the output file is the source file");
    const ggml::WritableType& type = ggml::requireWritableType(options.ggmlType, output);

    const GgufReader reader(source);
    const TensorInfo* target = reader.find(options.tensorName);
    if (!target)
        throw Error(ErrorKind::NotFound, source, "no tensor named \"" + options.tensorName + "\"");
    patch::checkSameShape(source, *target, table);
    control.throwIfCancelled();
    control.report("export", 0.0);

    GgufWriter writer(output);
    const std::string record = embeddingRecord(table, options.tableSource, type.name);
    for (size_t i = 0; i < reader.metadata().size(); ++i) {
        const std::string& key = reader.metadata()[i].key;
        if (key == kEmbeddingKey) {
            writer.add(key, GgufValue::string(record));
            continue;
        }
        const GgufReader::RawValue raw = reader.rawValue(i);
        writer.add(key, GgufValue::raw(raw.type, raw.bytes));
    }
    if (!writer.hasKey(kEmbeddingKey))
        writer.add(kEmbeddingKey, GgufValue::string(record));

    RunControl quiet; // progress counts bytes written; the writer checks cancel
    RowBlockDecoder decoder(table, options.blockRows, quiet);
    for (const TensorInfo& t : reader.tensors()) {
        if (t.name == target->name)
            writer.addTensor(
                t.name, t.shape, type, [&decoder](uint64_t first, std::span<float> out) { decoder.read(first, out); });
        else
            writer.addRawTensor(t.name, t.shape, reader.ggmlTypeId(t.name), reader.tensorBytes(t.name));
    }
    writer.write(control, "export");

    PatchResult result;
    result.output = output;
    result.rewritten = output;
    result.tiedHead = reader.find("output.weight") == nullptr;
    return result;
}

} // namespace vq
