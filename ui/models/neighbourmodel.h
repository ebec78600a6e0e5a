#pragma once

#include "runners/codebookrunner.h"

#include <QAbstractTableModel>
#include <memory>

namespace vq {

// A token's nearest neighbours by cosine in the original table against the reconstructed one, rank by
// rank; a neighbour the reconstruction lost (or gained) is marked and drawn in colour. LostRole/GainedRole
// say so as booleans; RowRole gives the table rows of the two neighbours of a rank (QList<qint64>).
class NeighbourModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        RankColumn,
        OriginalColumn,
        OriginalCosineColumn,
        ReconstructedColumn,
        ReconstructedCosineColumn,
        ColumnCount
    };
    enum Role {
        LostRole = Qt::UserRole, // bool, on OriginalColumn
        GainedRole, // bool, on ReconstructedColumn
        RowRole, // qint64: the neighbour's table row on its column, else -1
    };

    explicit NeighbourModel(QObject* parent = nullptr);

    void setNeighbours(std::shared_ptr<const TokenNeighboursResult> neighbours);
    const TokenNeighboursResult* neighbours() const { return m_result.get(); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QString name(int64_t row) const;

    std::shared_ptr<const TokenNeighboursResult> m_result;
};

} // namespace vq
