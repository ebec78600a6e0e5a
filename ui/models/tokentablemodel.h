#pragma once

#include <QAbstractTableModel>
#include <QString>
#include <cstdint>
#include <string>

namespace vq {

// A table with one row per token (table row), as shown by the per-token views. Gives the proxy
// (TokenErrorProxyModel) typed access to sort keys and token strings, so sorting and filtering 128256
// rows go without a QVariant or a string copy per comparison.
class TokenTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    using QAbstractTableModel::QAbstractTableModel;

    // Columns sorted by token text (byte order) instead of sortValue().
    virtual bool isTextColumn(int column) const = 0;
    // The number a numeric column sorts by (NaN sorts after every number).
    virtual double sortValue(int row, int column) const = 0;
    // The token string of a row; nullptr when the table has no token strings.
    virtual const std::string* token(int row) const = 0;
    // The table row (token id) shown in a model row.
    virtual int64_t tableRow(int row) const = 0;

    // What every token table shows the same way. Column 0 is the table row, column 1 the token (quoted;
    // empty without token strings), the others numberText(). Numbers are right-aligned. Qt::UserRole is
    // the sort key (the token text or sortValue()), Qt::UserRole + 1 the table row (qint64).
    QVariant data(const QModelIndex& index, int role) const override;

protected:
    static constexpr int kRowColumn = 0;
    static constexpr int kTokenColumn = 1;
    static constexpr int kSortRole = Qt::UserRole;
    static constexpr int kTableRowRole = Qt::UserRole + 1;

    // Text of a numeric column; display::number(sortValue()) unless overridden (e.g. blank when unknown).
    virtual QString numberText(int row, int column) const;
};

} // namespace vq
