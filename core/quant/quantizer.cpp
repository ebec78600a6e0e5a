#include "quant/quantizer.h"

#include "common/error.h"

#include <cmath>

namespace vq {

void checkFitInput(const FitInput& input, const std::string& method)
{
    const Matrix& e = input.table;
    if (e.empty() || e.values.size() != static_cast<size_t>(e.rows * e.cols))
        throw Error(ErrorKind::InvalidArgument, {},
            method + ": the table is empty or inconsistent (" + std::to_string(e.rows) + " x " + std::to_string(e.cols)
                + ")");
    if (input.weights.empty())
        return;
    if (input.weights.size() != static_cast<size_t>(e.rows))
        throw Error(ErrorKind::InvalidArgument, {},
            method + ": " + std::to_string(input.weights.size()) + " token weights for a table of "
                + std::to_string(e.rows) + " rows");
    for (size_t i = 0; i < input.weights.size(); ++i)
        if (!std::isfinite(input.weights[i]) || input.weights[i] < 0)
            throw Error(ErrorKind::InvalidArgument, {},
                method + ": token weight " + std::to_string(input.weights[i]) + " of row " + std::to_string(i)
                    + " is not a finite value >= 0");
}

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

void Quantizer::fillReferenceLayout(const QuantizedTable& table, ReferenceLayout& out) const
{
    (void)table;
    (void)out;
    throw Error(ErrorKind::Unsupported, {}, "the reference decoder has no layout for method '" + name() + "'");
}

} // namespace vq
