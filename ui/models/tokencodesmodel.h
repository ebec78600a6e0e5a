#pragma once

#include "runners/codebookrunner.h"

#include <QAbstractTableModel>
#include <QStringList>
#include <memory>

namespace vq {

// The codes one token uses: one row per (code array, stage, group), with the table columns that group
// covers. CodeRole etc. give the numbers a click needs to open that code in the codeword map.
class TokenCodesModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { ArrayColumn, StageColumn, GroupColumn, CodeColumn, ColumnsColumn, ColumnCount };
    enum Role {
        ArrayRole = Qt::UserRole, // int
        StageRole, // int, 0-based
        GroupRole, // int
        CodeRole, // int
    };

    explicit TokenCodesModel(QObject* parent = nullptr);

    // path may be null (empty model).
    void setPath(std::shared_ptr<const TokenPathResult> path);
    const TokenPathResult* path() const { return m_path.get(); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const TokenPathResult> m_path;
    QStringList m_arrayNames; // per code array of the run
    QStringList m_columns; // per row: "8–15"
};

} // namespace vq
