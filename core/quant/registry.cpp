#include "quant/registry.h"

#include "common/error.h"
#include "quant/methods/aqlm.h"
#include "quant/methods/carvq.h"
#include "quant/methods/crvq.h"
#include "quant/methods/ggmlblock.h"
#include "quant/methods/grvq.h"
#include "quant/methods/pq.h"
#include "quant/methods/rtn.h"

namespace vq {

namespace {

template <class Method> const Quantizer* instance()
{
    static const Method method;
    return &method;
}

} // namespace

const std::vector<const Quantizer*>& allQuantizers()
{
    // One line per method, in display order.
    static const std::vector<const Quantizer*> list = {
        instance<RtnQuantizer>(),
        instance<Q8_0Quantizer>(),
        instance<Q4_0Quantizer>(),
        instance<PqQuantizer>(),
        instance<GrvqQuantizer>(),
        instance<AqlmQuantizer>(),
        instance<CarvqQuantizer>(),
        instance<CrvqQuantizer>(),
        instance<GgmlTypeQuantizer<ggml::GgmlType::Q2_K>>(),
        instance<GgmlTypeQuantizer<ggml::GgmlType::Q3_K>>(),
        instance<GgmlTypeQuantizer<ggml::GgmlType::Q4_K>>(),
        instance<GgmlTypeQuantizer<ggml::GgmlType::Q5_K>>(),
        instance<GgmlTypeQuantizer<ggml::GgmlType::Q6_K>>(),
        instance<GgmlTypeQuantizer<ggml::GgmlType::Q4_1>>(),
        instance<GgmlTypeQuantizer<ggml::GgmlType::Q5_0>>(),
        instance<GgmlTypeQuantizer<ggml::GgmlType::Q5_1>>(),
        instance<GgmlTypeQuantizer<ggml::GgmlType::IQ4_NL>>(),
        instance<GgmlTypeQuantizer<ggml::GgmlType::IQ4_XS>>(),
    };
    return list;
}

const Quantizer& quantizer(const std::string& name)
{
    std::string known;
    for (const Quantizer* q : allQuantizers()) {
        if (q->name() == name)
            return *q;
        known += (known.empty() ? "" : ", ") + q->name();
    }
    throw Error(ErrorKind::InvalidArgument, {},
        "unknown quantization method '" + name + "' (known: " + (known.empty() ? "none" : known) + ")");
}

} // namespace vq
