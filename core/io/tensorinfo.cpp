#include "io/tensorinfo.h"

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
        return true;
    default:
        return false;
    }
}

int64_t TensorInfo::elementCount() const
{
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    return n;
}

} // namespace vq
