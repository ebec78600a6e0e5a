#pragma once

#include "stats/tablestats.h"

#include <QAbstractTableModel>
#include <vector>

namespace vq {

// Percentiles of a per-row quantity (row L2 norms of the table; later per-token errors), one row each.
class PercentileModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { PercentileColumn, ValueColumn, ColumnCount };
    enum Role {
        PercentileRole = Qt::UserRole, // double in [0, 100]
        ValueRole, // double
    };

    // valueTitle names the quantity in the header ("Row norm").
    explicit PercentileModel(QString valueTitle, QObject* parent = nullptr);

    void setPercentiles(std::vector<Percentile> percentiles);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QString m_valueTitle;
    std::vector<Percentile> m_percentiles;
};

} // namespace vq
