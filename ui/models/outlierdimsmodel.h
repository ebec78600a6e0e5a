#pragma once

#include "stats/tablestats.h"

#include <QAbstractTableModel>
#include <memory>

namespace vq {

// The outlier columns (hidden dims) of a table with their mean and standard deviation.
class OutlierDimsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { DimColumn, MeanColumn, StdColumn, ColumnCount };
    enum Role {
        DimRole = Qt::UserRole, // qlonglong: column index in the table
        MeanRole, // double
        StdRole, // double
    };

    explicit OutlierDimsModel(QObject* parent = nullptr);

    // Null clears the model.
    void setStats(std::shared_ptr<const TableStats> stats);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const TableStats> m_stats;
};

} // namespace vq
