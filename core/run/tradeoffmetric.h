#pragma once

#include <nlohmann/json.hpp>

#include <optional>

namespace vq {

// The quality axis of a bits-versus-quality (trade-off) plot, read from RunRecord::metrics.
enum class TradeoffMetric {
    RelMse, // reconstruction.relMse: ||E - Ê||² / ||E||², lower is better
    SnrDb, // reconstruction.snrDb, higher is better
    Recall, // neighbourRecall.mean (recall@k), higher is better
    LogitKl, // logitFidelity.meanKlNats, lower is better
    Top1Agreement, // logitFidelity.top1Agreement, higher is better
};

constexpr TradeoffMetric kTradeoffMetrics[] = { TradeoffMetric::RelMse, TradeoffMetric::SnrDb, TradeoffMetric::Recall,
    TradeoffMetric::LogitKl, TradeoffMetric::Top1Agreement };

// "relMSE", "SNR (dB)", "recall@k", "logit KL (nats)", "top-1 agreement".
const char* nameOf(TradeoffMetric metric);
bool lowerIsBetter(TradeoffMetric metric);
// The largest value the metric can take (1 for recall and top-1 agreement, which are fractions);
// nullopt when unbounded. A plot's axis stops there.
std::optional<double> upperBound(TradeoffMetric metric);

// The metric's value in a RunMetrics::toJson() object; nullopt when the run has no such metric (recall
// or logit fidelity skipped, metrics not computed yet) or its value is not a finite number ("inf").
std::optional<double> tradeoffValue(const nlohmann::json& metrics, TradeoffMetric metric);

} // namespace vq
