#include "tokencodesmodel.h"

#include "displaytext.h"
#include "explore/codebookaccess.h"

namespace vq {

namespace {

// "0–7", or "3, 17, 40, 41" when the columns are not consecutive (CRVQ's permuted columns).
QString columnsText(std::span<const int64_t> columns)
{
    bool consecutive = true;
    for (size_t j = 1; j < columns.size(); ++j)
        consecutive = consecutive && columns[j] == columns[j - 1] + 1;
    if (consecutive && columns.size() > 1)
        return display::count(columns.front()) + u'–' + display::count(columns.back());
    QStringList parts;
    for (const int64_t c : columns)
        parts.append(display::count(c));
    return parts.join(QStringLiteral(", "));
}

} // namespace

TokenCodesModel::TokenCodesModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void TokenCodesModel::setPath(std::shared_ptr<const TokenPathResult> path)
{
    beginResetModel();
    m_path = std::move(path);
    m_arrayNames.clear();
    m_columns.clear();
    if (m_path && m_path->run->table) {
        const QuantizedTable& table = *m_path->run->table;
        std::vector<CodebookAccess> arrays;
        for (int a = 0; a < CodebookAccess::arrayCount(table); ++a) {
            arrays.emplace_back(table, a);
            m_arrayNames.append(display::text(arrays.back().source().array));
        }
        for (const TokenPath::Code& c : m_path->path.codes)
            m_columns.append(columnsText(arrays[size_t(c.array)].columns(c.group)));
    }
    endResetModel();
}

int TokenCodesModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_path ? 0 : int(m_columns.size());
}

int TokenCodesModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TokenCodesModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TokenPath::Code& c = m_path->path.codes[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case ArrayColumn:
            return m_arrayNames.value(c.array);
        case StageColumn:
            return c.stage + 1;
        case GroupColumn:
            return c.group;
        case CodeColumn:
            return c.code;
        case ColumnsColumn:
            return m_columns.value(index.row());
        default:
            return {};
        }
    case Qt::TextAlignmentRole:
        return index.column() == ArrayColumn || index.column() == ColumnsColumn
            ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
            : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case ArrayRole:
        return c.array;
    case StageRole:
        return c.stage;
    case GroupRole:
        return c.group;
    case CodeRole:
        return c.code;
    default:
        return {};
    }
}

QVariant TokenCodesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case ArrayColumn:
        return tr("Codes");
    case StageColumn:
        return tr("Stage");
    case GroupColumn:
        return tr("Group");
    case CodeColumn:
        return tr("Code");
    case ColumnsColumn:
        return tr("Columns");
    default:
        return {};
    }
}

} // namespace vq
