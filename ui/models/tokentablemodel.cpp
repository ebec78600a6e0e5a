#include "tokentablemodel.h"

#include "displaytext.h"

namespace vq {

QString quotedToken(const std::string& token)
{
    QString t = display::text(token);
    t.replace(QLatin1Char('\n'), QStringLiteral("\\n"))
        .replace(QLatin1Char('\t'), QStringLiteral("\\t"))
        .replace(QLatin1Char('\r'), QStringLiteral("\\r"));
    return u'"' + t + u'"';
}

QString TokenTableModel::numberText(int row, int column) const
{
    return display::number(sortValue(row, column));
}

QVariant TokenTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= columnCount())
        return {};
    const int row = index.row();
    const int column = index.column();
    const std::string* text = column == kTokenColumn ? token(row) : nullptr;
    switch (role) {
    case Qt::DisplayRole:
        if (column == kRowColumn)
            return display::count(tableRow(row));
        if (column == kTokenColumn)
            return text ? quotedToken(*text) : QString();
        return numberText(row, column);
    case Qt::TextAlignmentRole:
        return column == kTokenColumn ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                      : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case kSortRole:
        if (column == kTokenColumn)
            return text ? QString::fromStdString(*text) : QString();
        return sortValue(row, column);
    case kTableRowRole:
        return qint64(tableRow(row));
    default:
        return {};
    }
}

} // namespace vq
