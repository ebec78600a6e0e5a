#pragma once

#include <QAbstractTableModel>
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
};

} // namespace vq
