#include "run/tradeoffmetric.h"

#include <cmath>

namespace vq {

const char* nameOf(TradeoffMetric metric)
{
    switch (metric) {
    case TradeoffMetric::RelMse:
        return "relMSE";
    case TradeoffMetric::SnrDb:
        return "SNR (dB)";
    case TradeoffMetric::Recall:
        return "recall@k";
    case TradeoffMetric::LogitKl:
        return "logit KL (nats)";
    case TradeoffMetric::Top1Agreement:
        return "top-1 agreement";
    }
    return "?";
}

bool lowerIsBetter(TradeoffMetric metric)
{
    return metric == TradeoffMetric::RelMse || metric == TradeoffMetric::LogitKl;
}

std::optional<double> upperBound(TradeoffMetric metric)
{
    if (metric == TradeoffMetric::Recall || metric == TradeoffMetric::Top1Agreement)
        return 1.0;
    return std::nullopt;
}

std::optional<double> tradeoffValue(const nlohmann::json& metrics, TradeoffMetric metric)
{
    const auto lookup = [&](const char* section, const char* key) -> std::optional<double> {
        if (!metrics.is_object())
            return std::nullopt;
        const auto s = metrics.find(section);
        if (s == metrics.end() || !s->is_object())
            return std::nullopt;
        const auto v = s->find(key);
        if (v == s->end() || !v->is_number())
            return std::nullopt;
        const double value = v->get<double>();
        return std::isfinite(value) ? std::optional<double>(value) : std::nullopt;
    };
    switch (metric) {
    case TradeoffMetric::RelMse:
        return lookup("reconstruction", "relMse");
    case TradeoffMetric::SnrDb:
        return lookup("reconstruction", "snrDb");
    case TradeoffMetric::Recall:
        return lookup("neighbourRecall", "mean");
    case TradeoffMetric::LogitKl:
        return lookup("logitFidelity", "meanKlNats");
    case TradeoffMetric::Top1Agreement:
        return lookup("logitFidelity", "top1Agreement");
    }
    return std::nullopt;
}

} // namespace vq
