#include "quant/quantizer.h"

#include "common/error.h"

namespace vq {

QuantSpec Quantizer::validate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    if (!spec.method.empty() && spec.method != name())
        throw Error(
            ErrorKind::InvalidArgument, {}, "spec for method '" + spec.method + "' given to method '" + name() + "'");
    if (rows <= 0 || dim <= 0)
        throw Error(ErrorKind::InvalidArgument, {},
            "method '" + name() + "': table shape " + std::to_string(rows) + " x " + std::to_string(dim) + " is empty");
    QuantSpec named = spec;
    named.method = name();
    return schema().resolve(named);
}

} // namespace vq
