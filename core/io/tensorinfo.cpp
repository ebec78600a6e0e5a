#include "io/tensorinfo.h"

#include "io/ggmlblocks.h"

namespace vq {

const char* nameOf(DType dtype)
{
    switch (dtype) {
    case DType::F32:
        return "F32";
    case DType::F16:
        return "F16";
    case DType::BF16:
        return "BF16";
    case DType::F64:
        return "F64";
    case DType::Q8_0:
        return "Q8_0";
    case DType::Q4_0:
        return "Q4_0";
    case DType::I8:
        return "I8";
    case DType::I16:
        return "I16";
    case DType::I32:
        return "I32";
    case DType::I64:
        return "I64";
    case DType::U8:
        return "U8";
    case DType::U16:
        return "U16";
    case DType::U32:
        return "U32";
    case DType::U64:
        return "U64";
    case DType::Bool:
        return "BOOL";
    case DType::String:
        return "STRING";
    case DType::Other:
        return "OTHER";
    case DType::Q4_1:
        return "Q4_1";
    case DType::Q5_0:
        return "Q5_0";
    case DType::Q5_1:
        return "Q5_1";
    case DType::Q2_K:
        return "Q2_K";
    case DType::Q3_K:
        return "Q3_K";
    case DType::Q4_K:
        return "Q4_K";
    case DType::Q5_K:
        return "Q5_K";
    case DType::Q6_K:
        return "Q6_K";
    case DType::IQ4_NL:
        return "IQ4_NL";
    case DType::IQ4_XS:
        return "IQ4_XS";
    case DType::TQ1_0:
        return "TQ1_0";
    case DType::TQ2_0:
        return "TQ2_0";
    }
    return "OTHER";
}

bool isLoadableFloat(DType dtype)
{
    switch (dtype) {
    case DType::F32:
    case DType::F16:
    case DType::BF16:
    case DType::F64:
    case DType::Q8_0:
    case DType::Q4_0:
    case DType::Q4_1:
    case DType::Q5_0:
    case DType::Q5_1:
    case DType::Q2_K:
    case DType::Q3_K:
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K:
    case DType::IQ4_NL:
    case DType::IQ4_XS:
    case DType::TQ1_0:
    case DType::TQ2_0:
        return true;
    default:
        return false;
    }
}

std::string unloadableReason(const TensorInfo& info)
{
    const auto ggmlType = ggml::typeFromName(info.dtypeName);
    if (!ggmlType || ggml::blockValues(*ggmlType) == 1)
        return "holds " + (info.dtypeName.empty() ? std::string(nameOf(info.dtype)) : info.dtypeName)
            + " values, not floats";
    return "is " + info.dtypeName + ", a ggml type vqscope cannot read (" + ggml::unreadableReason(*ggmlType)
        + "); readable ggml types: " + ggml::readableTypeList();
}

int64_t TensorInfo::elementCount() const
{
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    return n;
}

} // namespace vq
