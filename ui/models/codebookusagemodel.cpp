#include "codebookusagemodel.h"

#include "displaytext.h"

namespace vq {

CodebookUsageModel::CodebookUsageModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void CodebookUsageModel::setUsage(std::shared_ptr<const CodebookUsage> usage)
{
    beginResetModel();
    m_usage = std::move(usage);
    m_deadText.clear();
    if (m_usage) {
        const int rows = (m_usage->layout.groups + 1) * m_usage->layout.stages;
        for (int row = 0; row < rows; ++row)
            m_deadText.append(deadCodesText(usageAt(row)->deadCodes));
    }
    endResetModel();
}

int CodebookUsageModel::rowOf(int stage, int group) const
{
    if (!m_usage || stage < 0 || stage >= m_usage->layout.stages || group < -1 || group >= m_usage->layout.groups)
        return -1;
    // Per stage: its groups, then its pooled row.
    return stage * (m_usage->layout.groups + 1) + (group < 0 ? m_usage->layout.groups : group);
}

const CodeUsage* CodebookUsageModel::usageAt(int row) const
{
    if (!m_usage || row < 0)
        return nullptr;
    const int perStage = m_usage->layout.groups + 1;
    const int stage = row / perStage;
    const int group = row % perStage;
    if (stage >= m_usage->layout.stages)
        return nullptr;
    return group == m_usage->layout.groups ? &m_usage->pooled[size_t(stage)] : &m_usage->at(stage, group);
}

int CodebookUsageModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_usage ? 0 : (m_usage->layout.groups + 1) * m_usage->layout.stages;
}

int CodebookUsageModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CodebookUsageModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const CodeUsage& u = *usageAt(index.row());
    const int stage = index.row() / (m_usage->layout.groups + 1);
    switch (role) {
    case StageRole:
        return stage;
    case GroupRole:
        return u.group;
    case EntropyRole:
        return u.entropyBits;
    case PerplexityRole:
        return u.perplexity;
    case DeadCountRole:
        return qlonglong(u.deadCodes.size());
    case DeadCodesRole: {
        QList<int> codes;
        codes.reserve(qsizetype(u.deadCodes.size()));
        for (int32_t c : u.deadCodes)
            codes.append(c);
        return QVariant::fromValue(codes);
    }
    case Qt::TextAlignmentRole:
        return index.column() == DeadCodesColumn ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                                 : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ToolTipRole:
        if (index.column() == DeadCodesColumn)
            return m_deadText.value(index.row()).left(2000);
        return {};
    case Qt::DisplayRole:
        switch (Column(index.column())) {
        case StageColumn:
            return stage + 1;
        case GroupColumn:
            return u.group < 0 ? tr("pooled") : QString::number(u.group);
        case BitsColumn:
            return m_usage->layout.bits;
        case EntropyColumn:
            return QString::number(u.entropyBits, 'f', 3);
        case PerplexityColumn:
            return display::number(u.perplexity);
        case DeadCountColumn:
            return display::count(int64_t(u.deadCodes.size()));
        case DeadCodesColumn:
            return m_deadText.value(index.row());
        case ColumnCount:
            break;
        }
        return {};
    default:
        return {};
    }
}

QVariant CodebookUsageModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case StageColumn:
        return tr("Stage");
    case GroupColumn:
        return tr("Group");
    case BitsColumn:
        return tr("Bits");
    case EntropyColumn:
        return tr("Entropy (bits)");
    case PerplexityColumn:
        return tr("Perplexity");
    case DeadCountColumn:
        return tr("Dead");
    case DeadCodesColumn:
        return tr("Dead codes");
    case ColumnCount:
        break;
    }
    return {};
}

QString CodebookUsageModel::deadCodesText(const std::vector<int32_t>& codes)
{
    if (codes.empty())
        return tr("none");
    QString out;
    size_t i = 0;
    while (i < codes.size()) {
        size_t j = i;
        while (j + 1 < codes.size() && codes[j + 1] == codes[j] + 1)
            ++j;
        if (!out.isEmpty())
            out += QStringLiteral(", ");
        out += QString::number(codes[i]);
        if (j > i)
            out += QChar(0x2013) + QString::number(codes[j]);
        i = j + 1;
    }
    return out;
}

} // namespace vq
