#include "quant/quantizer.h"

#include "common/error.h"

#include <algorithm>
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
    bool anyPositive = false;
    for (size_t i = 0; i < input.weights.size(); ++i) {
        if (!std::isfinite(input.weights[i]) || input.weights[i] < 0)
            throw Error(ErrorKind::InvalidArgument, {},
                method + ": token weight " + std::to_string(input.weights[i]) + " of row " + std::to_string(i)
                    + " is not a finite value >= 0");
        anyPositive = anyPositive || input.weights[i] > 0;
    }
    // Weights that are all zero make every weighted objective 0 / 0: no method can honour them, so they
    // are refused here, for every method alike, rather than read as uniform by one and fail in another.
    if (!anyPositive)
        throw Error(ErrorKind::InvalidArgument, {},
            method + ": every token weight is 0; give at least one token a positive weight, or no weights for uniform");
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

std::vector<DecodeStep> Quantizer::decodeSteps(const QuantizedTable& table) const
{
    (void)table;
    return { DecodeStep { "decode", -1, -1 } };
}

void Quantizer::decodePartial(const QuantizedTable& table, std::span<const int64_t> rowIds, int steps, float* out) const
{
    checkDecodeSteps(name(), steps, 1);
    if (steps == 0)
        std::fill(out, out + static_cast<int64_t>(rowIds.size()) * table.dim, 0.0f);
    else
        decodeRows(table, rowIds, out);
}

void checkDecodeSteps(const std::string& method, int steps, size_t count)
{
    if (steps < 0 || static_cast<size_t>(steps) > count)
        throw Error(ErrorKind::InvalidArgument, {},
            method + ": " + std::to_string(steps) + " decode steps asked of a decode of " + std::to_string(count));
}

void Quantizer::checkStored(const QuantizedTable& table) const
{
    for (const StoredArray& a : table.arrays) {
        const auto refuse = [&](const std::string& what) {
            throw Error(ErrorKind::Malformed, {}, name() + ": stored array '" + a.name + "' " + what);
        };
        if (a.name == "codes" && (a.shape.empty() || a.shape[0] != table.rows)) {
            std::string shape;
            for (const int64_t d : a.shape)
                shape += (shape.empty() ? "" : " x ") + std::to_string(d);
            refuse("has shape " + (shape.empty() ? std::string("()") : shape) + ", not one row of codes per token ("
                + std::to_string(table.rows) + " rows)");
        }
        if (a.role != "codebook" && a.role != "scale")
            continue;
        for (size_t i = 0; i < a.floats.size(); ++i)
            if (!std::isfinite(a.floats[i]))
                refuse("holds " + std::to_string(a.floats[i]) + " at element " + std::to_string(i)
                    + ": codebooks and scales must be finite");
    }
}

} // namespace vq
