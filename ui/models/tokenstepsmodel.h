#pragma once

#include "runners/codebookrunner.h"

#include <QAbstractTableModel>
#include <memory>

namespace vq {

// A token's residual after each decode step (the waterfall's numbers, for reading and CSV): the step,
// the residual norm ||e - partial||, its square relative to ||e||^2, and how much the step removed. The
// first row is the token before any step (residual = ||e||).
class TokenStepsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { StepColumn, ResidualColumn, RelativeColumn, ChangeColumn, ColumnCount };

    explicit TokenStepsModel(QObject* parent = nullptr);

    void setPath(std::shared_ptr<const TokenPathResult> path);
    const TokenPathResult* path() const { return m_path.get(); }
    // Residual norm of a row (0: before any step).
    double residual(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const TokenPathResult> m_path;
};

} // namespace vq
