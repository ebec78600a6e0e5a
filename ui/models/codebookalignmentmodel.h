#pragma once

#include "runners/codebookrunner.h"

#include <QAbstractTableModel>
#include <memory>

namespace vq {

// One row per codeword of run A's codebook: its nearest codeword in run B's, the distance (absolute and
// relative to A's RMS codeword norm), and whether the two are each other's nearest (matched).
// Qt::UserRole is a number to sort by.
class CodebookAlignmentModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { CodeAColumn, NearestBColumn, DistanceColumn, RelativeColumn, MatchedColumn, ColumnCount };

    explicit CodebookAlignmentModel(QObject* parent = nullptr);

    void setAlignment(std::shared_ptr<const CodebookAlignmentResult> alignment);
    const CodebookAlignmentResult* alignment() const { return m_result.get(); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const CodebookAlignmentResult> m_result;
    std::vector<bool> m_matched; // per codeword of A
};

} // namespace vq
