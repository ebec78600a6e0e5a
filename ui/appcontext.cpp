#include "appcontext.h"

namespace vq {

AppContext::AppContext(QObject* parent)
    : QObject(parent)
{
}

void AppContext::setTable(std::shared_ptr<const EmbeddingTable> table, std::shared_ptr<const TableStats> stats)
{
    Q_ASSERT((table == nullptr) == (stats == nullptr));
    m_table = std::move(table);
    m_stats = std::move(stats);
    emit tableChanged();
}

} // namespace vq
