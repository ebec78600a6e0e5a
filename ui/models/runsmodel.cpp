#include "runsmodel.h"

#include "displaytext.h"
#include "quant/paramschema.h"
#include "quant/registry.h"
#include "runners/runqueue.h"

#include <QColor>
#include <QFont>
#include <QStringList>
#include <algorithm>
#include <cmath>
#include <limits>

namespace vq {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

QString jsonValueText(const nlohmann::json& v)
{
    if (v.is_string())
        return QString::fromStdString(v.get<std::string>());
    if (v.is_boolean())
        return v.get<bool>() ? QStringLiteral("yes") : QStringLiteral("no");
    if (v.is_number_integer())
        return QString::number(v.get<int64_t>());
    if (v.is_number())
        return QString::number(v.get<double>(), 'g', 4);
    return QString::fromStdString(v.dump());
}

// A metric as stored by RunMetrics::toJson: a number, or "inf"/"-inf"/"nan" for non-finite values.
double jsonDouble(const nlohmann::json& v)
{
    if (v.is_number())
        return v.get<double>();
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        if (s == "inf")
            return std::numeric_limits<double>::infinity();
        if (s == "-inf")
            return -std::numeric_limits<double>::infinity();
    }
    return kNaN;
}

double metric(const RunRecord& record, const char* group, const char* key)
{
    if (!record.metrics.is_object())
        return kNaN;
    const auto g = record.metrics.find(group);
    if (g == record.metrics.end() || !g->is_object())
        return kNaN;
    const auto v = g->find(key);
    return v == g->end() ? kNaN : jsonDouble(*v);
}

QVariant numberOrNothing(double v)
{
    return std::isnan(v) ? QVariant() : QVariant(v);
}

bool hasTimes(const RunRecord& record)
{
    return record.status == RunStatus::Done;
}

QString statusName(RunStatus status)
{
    switch (status) {
    case RunStatus::Queued:
        return RunsModel::tr("queued");
    case RunStatus::Running:
        return RunsModel::tr("running");
    case RunStatus::Done:
        return RunsModel::tr("done");
    case RunStatus::Failed:
        return RunsModel::tr("failed");
    case RunStatus::Cancelled:
        return RunsModel::tr("cancelled");
    }
    return {};
}

} // namespace

RunsModel::RunsModel(AppContext* context, QObject* parent)
    : QAbstractTableModel(parent)
    , m_context(context)
    , m_rows(context->runCount())
{
    connect(context, &AppContext::runAdded, this, &RunsModel::onRunAdded);
    connect(context, &AppContext::runChanged, this, &RunsModel::onRunChanged);
    connect(context, &AppContext::runProgress, this, &RunsModel::onRunProgress);
    connect(context, &AppContext::runAboutToBeRemoved, this, &RunsModel::onAboutToBeRemoved);
    connect(context, &AppContext::runRemoved, this, &RunsModel::onRemoved);
    connect(context, &AppContext::runsReset, this, &RunsModel::onReset);
}

void RunsModel::setRunQueue(RunQueue* queue)
{
    m_queue = queue;
}

int RunsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_rows;
}

int RunsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

RunKey RunsModel::keyAt(int row) const
{
    return row >= 0 && row < m_rows ? m_context->runAt(row).key : 0;
}

QString RunsModel::paramsText(const QuantSpec& spec)
{
    QStringList parts;
    std::vector<std::string> shown;
    const auto add = [&](const std::string& name, const nlohmann::json& value) {
        parts.append(QString::fromStdString(name) + QLatin1Char('=') + jsonValueText(value));
        shown.push_back(name);
    };
    const Quantizer* method = nullptr;
    try {
        method = &quantizer(spec.method);
    } catch (const std::exception&) {
        method = nullptr; // an unknown method (a record from a newer version): show every parameter
    }
    // The parameters that tell the method's runs apart at a glance first.
    if (method && spec.params.is_object()) {
        for (const std::string& name : method->keyParameters()) {
            const auto v = spec.params.find(name);
            if (v != spec.params.end())
                add(name, *v);
        }
    }
    if (!spec.params.is_object())
        return parts.join(QLatin1Char(' '));
    // Then whatever else differs from the method's defaults (shared codebooks, beam, codebooks...): two
    // runs that differ must not look the same.
    const ParamSchema* schema = method ? &method->schema() : nullptr;
    for (auto it = spec.params.begin(); it != spec.params.end(); ++it) {
        if (std::find(shown.begin(), shown.end(), it.key()) != shown.end())
            continue;
        const ParamDef* def = schema ? schema->find(it.key()) : nullptr;
        if (def && def->defaultValue == it.value())
            continue;
        add(it.key(), it.value());
    }
    return parts.join(QLatin1Char(' '));
}

QString RunsModel::durationText(double seconds)
{
    if (!(seconds >= 0))
        return {};
    const auto total = static_cast<qint64>(std::llround(seconds));
    if (total < 60)
        return QStringLiteral("%1s").arg(total);
    if (total < 3600)
        return QStringLiteral("%1m%2s").arg(total / 60).arg(total % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1h%2m").arg(total / 3600).arg((total % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QString RunsModel::progressText(const RunEntry& entry)
{
    if (entry.stage.isEmpty())
        return tr("starting");
    QString text = entry.stage + QLatin1Char(' ') + QString::number(int(std::floor(entry.fraction * 100))) + u'%';
    if (entry.etaSeconds >= 0)
        text += QStringLiteral(" · ") + tr("ETA %1").arg(durationText(entry.etaSeconds));
    return text;
}

double RunsModel::relMse(const RunRecord& record)
{
    return metric(record, "reconstruction", "relMse");
}

double RunsModel::recall(const RunRecord& record)
{
    return metric(record, "neighbourRecall", "mean");
}

QVariant RunsModel::displayData(const RunEntry& entry, int column) const
{
    const RunRecord& r = *entry.record;
    switch (column) {
    case Name: {
        QString name = r.name.empty() ? QString::fromStdString(r.id) : QString::fromStdString(r.name);
        if (entry.preview)
            name += QLatin1Char(' ') + tr("(preview)");
        return name;
    }
    case Method:
        return QString::fromStdString(r.spec.method);
    case Params:
        return paramsText(r.spec);
    case BitsPerParam:
        return r.bits.rows > 0 ? QString::number(r.bits.bitsPerParam(), 'f', 3) : QString();
    case RelMse: {
        const double v = relMse(r);
        return std::isnan(v) ? QString() : display::number(v);
    }
    case Recall: {
        const double v = recall(r);
        return std::isnan(v) ? QString() : QString::number(v, 'f', 3);
    }
    case Time:
        return hasTimes(r) ? QString::number(r.timings.fitSeconds + r.timings.metricsSeconds, 'f', 1) + u's'
                           : QString();
    case Status:
        if (r.status == RunStatus::Running) {
            if (m_queue && m_queue->isCancelling(entry.key))
                return tr("cancelling…");
            return progressText(entry);
        }
        return statusName(r.status);
    }
    return {};
}

QVariant RunsModel::sortData(const RunEntry& entry, int column) const
{
    const RunRecord& r = *entry.record;
    switch (column) {
    case Name:
    case Method:
    case Params:
        return displayData(entry, column).toString().toLower();
    case BitsPerParam:
        return r.bits.rows > 0 ? QVariant(r.bits.bitsPerParam()) : QVariant();
    case RelMse:
        return numberOrNothing(relMse(r));
    case Recall:
        return numberOrNothing(recall(r));
    case Time:
        return hasTimes(r) ? QVariant(r.timings.fitSeconds + r.timings.metricsSeconds) : QVariant();
    case Status:
        return int(r.status);
    }
    return {};
}

QVariant RunsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RunEntry& entry = m_context->runAt(index.row());
    const RunRecord& r = *entry.record;
    switch (role) {
    case Qt::DisplayRole:
        return displayData(entry, index.column());
    case Qt::EditRole:
        return index.column() == Name ? QString::fromStdString(r.name) : displayData(entry, index.column());
    case Qt::ToolTipRole:
        if (index.column() == Status && r.status == RunStatus::Failed)
            return QString::fromStdString(r.error);
        if (index.column() == Params)
            return QString::fromStdString(r.spec.params.dump());
        if (index.column() == Name) {
            QString tip = QString::fromStdString(r.id);
            if (entry.preview)
                tip += u'\n' + tr("Preview on a sample of rows; not saved");
            return tip;
        }
        return {};
    case Qt::FontRole:
        if (entry.preview) {
            QFont font;
            font.setItalic(true);
            return font;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() >= BitsPerParam && index.column() <= Time)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ForegroundRole:
        if (index.column() == Status && r.status == RunStatus::Failed)
            return QColor(Qt::red).darker(130);
        return {};
    case SortRole:
        return sortData(entry, index.column());
    case KeyRole:
        return QVariant::fromValue(entry.key);
    case StatusRole:
        return int(r.status);
    case FractionRole:
        return r.status == RunStatus::Running ? entry.fraction : 0.0;
    case PreviewRole:
        return entry.preview;
    default:
        return {};
    }
}

bool RunsModel::setData(const QModelIndex& index, const QVariant& value, int role)
{
    if (role != Qt::EditRole || !checkIndex(index, CheckIndexOption::IndexIsValid) || index.column() != Name)
        return false;
    // renameRun emits runChanged, which reports the change of the row.
    m_context->renameRun(keyAt(index.row()), value.toString().trimmed());
    return true;
}

Qt::ItemFlags RunsModel::flags(const QModelIndex& index) const
{
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid() && index.column() == Name)
        f |= Qt::ItemIsEditable;
    return f;
}

QVariant RunsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Name:
            return tr("Name");
        case Method:
            return tr("Method");
        case Params:
            return tr("Parameters");
        case BitsPerParam:
            return tr("Bits/param");
        case RelMse:
            return tr("relMSE");
        case Recall:
            return tr("Recall@10");
        case Time:
            return tr("Time");
        case Status:
            return tr("Status");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case BitsPerParam:
            return tr("Stored bits per table entry, everything included (codes, codebooks, scales, adaptor)");
        case RelMse:
            return tr("‖E − Ê‖² / ‖E‖² over the whole table");
        case Recall:
            return tr("Mean share of each sampled token's 10 nearest neighbours (cosine) that stay the same");
        case Time:
            return tr("Seconds of fit plus metrics");
        default:
            return {};
        }
    }
    return {};
}

void RunsModel::onRunAdded()
{
    const int count = m_context->runCount();
    if (count <= m_rows)
        return;
    beginInsertRows({}, m_rows, count - 1);
    m_rows = count;
    endInsertRows();
}

void RunsModel::onRunChanged(RunKey key)
{
    const int row = m_context->rowOf(key);
    if (row >= 0 && row < m_rows)
        emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

void RunsModel::onRunProgress(RunKey key)
{
    const int row = m_context->rowOf(key);
    if (row >= 0 && row < m_rows)
        emit dataChanged(index(row, Status), index(row, Status));
}

void RunsModel::onAboutToBeRemoved(int row)
{
    beginRemoveRows({}, row, row);
}

void RunsModel::onRemoved()
{
    m_rows = m_context->runCount();
    endRemoveRows();
}

void RunsModel::onReset()
{
    beginResetModel();
    m_rows = m_context->runCount();
    endResetModel();
}

} // namespace vq
