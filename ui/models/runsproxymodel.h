#pragma once

#include <QSortFilterProxyModel>

namespace vq {

// Sorts a RunsModel by its SortRole (numbers numerically; rows without a value, e.g. the relMSE of a
// queued run, after those with one in either order) and filters it by text and status.
class RunsProxyModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    enum class StatusFilter { All, Active, Done, Failed, Cancelled };

    explicit RunsProxyModel(QObject* parent = nullptr);

    // Case-insensitive substring of the name, method or parameters; empty: every run.
    void setFilterText(const QString& text);
    QString filterText() const { return m_text; }
    // Active: queued or running.
    void setStatusFilter(StatusFilter filter);
    StatusFilter statusFilter() const { return m_status; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

private:
    QString m_text;
    StatusFilter m_status = StatusFilter::All;
};

} // namespace vq
