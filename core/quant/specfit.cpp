#include "quant/specfit.h"

#include "common/error.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace vq {

namespace {

// Candidates tried per direction: enough to walk from any default to the nearest divisor of a row
// length or to the largest code width a small table can train, bounded for absurd ranges.
constexpr int64_t kMaxSteps = 4096;

std::optional<QuantSpec> accepted(const Quantizer& method, const QuantSpec& spec, int64_t rows, int64_t dim)
{
    try {
        return method.validate(spec, rows, dim);
    } catch (const Error&) {
        return std::nullopt;
    }
}

} // namespace

std::string FittedSpec::changeText() const
{
    if (parameter.empty())
        return {};
    return parameter + " " + from.dump() + " \u2192 " + to.dump();
}

std::string refusedParameter(const std::string& message)
{
    static const std::string kMarker = "parameter '";
    const size_t start = message.find(kMarker);
    if (start == std::string::npos)
        return {};
    const size_t begin = start + kMarker.size();
    const size_t end = message.find('\'', begin);
    return end == std::string::npos ? std::string() : message.substr(begin, end - begin);
}

FittedSpec fitSpecToShape(const Quantizer& method, const QuantSpec& spec, int64_t rows, int64_t dim)
{
    FittedSpec out;
    out.spec = spec;
    try {
        out.spec = method.validate(spec, rows, dim);
        out.ok = true;
        return out;
    } catch (const Error& e) {
        out.refusal = e.message();
    }
    const std::string name = refusedParameter(out.refusal);
    const ParamDef* def = method.schema().find(name);
    if (!def || def->type != ParamDef::Type::Int)
        return out;
    // The other parameters as the schema resolves them (a refusal of one of those stays a refusal).
    QuantSpec base;
    try {
        QuantSpec named = spec;
        named.method = method.name();
        base = method.schema().resolve(named);
    } catch (const Error&) {
        return out;
    }
    const int64_t value = base.getInt(name);
    const auto lo = static_cast<int64_t>(def->min);
    const auto hi = static_cast<int64_t>(def->max);
    for (int64_t step = 1; step <= kMaxSteps && (value - step >= lo || value + step <= hi); ++step) {
        for (const int64_t candidate : { value - step, value + step }) {
            if (candidate < lo || candidate > hi)
                continue;
            QuantSpec trial = base;
            trial.params[name] = candidate;
            if (std::optional<QuantSpec> valid = accepted(method, trial, rows, dim)) {
                out.spec = std::move(*valid);
                out.ok = true;
                out.parameter = name;
                out.from = value;
                out.to = candidate;
                return out;
            }
        }
    }
    return out;
}

} // namespace vq
