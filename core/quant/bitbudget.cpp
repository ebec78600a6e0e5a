#include "quant/bitbudget.h"

namespace vq {

uint64_t BitBudget::totalBits() const
{
    uint64_t total = 0;
    for (const auto& item : items)
        total += item.bits;
    return total;
}

double BitBudget::bitsPerParam() const
{
    const double params = static_cast<double>(rows) * static_cast<double>(dim);
    return params > 0 ? static_cast<double>(totalBits()) / params : 0.0;
}

nlohmann::json BitBudget::toJson() const
{
    nlohmann::json list = nlohmann::json::array();
    for (const auto& item : items) {
        const double share = static_cast<double>(rows) * static_cast<double>(dim);
        list.push_back({ { "label", item.label }, { "role", item.role }, { "bits", item.bits },
            { "bitsPerParam", share > 0 ? static_cast<double>(item.bits) / share : 0.0 } });
    }
    return { { "rows", rows }, { "dim", dim }, { "totalBits", totalBits() }, { "totalBytes", totalBytes() },
        { "bitsPerParam", bitsPerParam() }, { "items", list } };
}

} // namespace vq
