#pragma once

#include "io/embeddingloader.h"
#include "io/tensorinfo.h"

#include <QAbstractTableModel>
#include <vector>

namespace vq {

// Every tensor of a file, in file order. Rows that can be loaded as the embedding table (the
// candidates) are enabled and selectable; the others are listed greyed so the user sees the whole file.
class TensorListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { NameColumn, DTypeColumn, ShapeColumn, SizeColumn, PickColumn, ColumnCount };
    enum Role {
        NameRole = Qt::UserRole, // QString: tensor name
        CandidateRankRole, // int: 0 for the automatic pick, 1.. for other candidates, -1 when not loadable
        ElementCountRole, // qlonglong
        ByteSizeRole, // qulonglong: bytes stored in the file, 0 when unknown
    };

    explicit TensorListModel(QObject* parent = nullptr);

    void setListing(std::vector<TensorInfo> tensors, EmbeddingCandidates candidates);
    // Row of the named tensor, -1 when absent.
    int rowOf(const std::string& name) const;
    const TensorInfo& tensorAt(int row) const { return m_tensors.at(size_t(row)); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

private:
    int candidateRank(const std::string& name) const;

    std::vector<TensorInfo> m_tensors;
    EmbeddingCandidates m_candidates;
};

} // namespace vq
