#pragma once

// The widgets of the panels under test, found by object name as a user or an accessibility tool would
// reach them (the panels keep them private). A missing widget fails the test that asked for it.
#include "charts/histogramchart.h"
#include "charts/tokenerrorchart.h"
#include "charts/tradeoffchart.h"
#include "models/tokenerrormodel.h"
#include "models/tokenerrorproxymodel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableView>
#include <QTest>

namespace vqtest {

template <typename T> T* child(const QObject& parent, const char* name)
{
    T* found = parent.findChild<T*>(QLatin1String(name));
    if (!found)
        QTest::qFail(qPrintable(QStringLiteral("no %1 named %2")
                                    .arg(QLatin1String(T::staticMetaObject.className()), QLatin1String(name))),
            __FILE__, __LINE__);
    return found;
}

// TokenErrorPanel's views.
struct TokenErrorViews {
    vq::HistogramChart* histogram;
    vq::TokenErrorChart* rows;
    QTableView* table;
    vq::TokenErrorProxyModel* proxy;
    vq::TokenErrorModel* model;
    QLineEdit* search;
    QLabel* summary;
    QComboBox* metric;
    QCheckBox* logScale;
};

inline TokenErrorViews tokenErrorViews(const QWidget& panel)
{
    TokenErrorViews v {};
    v.histogram = child<vq::HistogramChart>(panel, "tokenErrorHistogram");
    v.rows = child<vq::TokenErrorChart>(panel, "tokenErrorRowChart");
    v.table = child<QTableView>(panel, "tokenErrorTable");
    v.proxy = v.table ? qobject_cast<vq::TokenErrorProxyModel*>(v.table->model()) : nullptr;
    v.model = v.proxy ? qobject_cast<vq::TokenErrorModel*>(v.proxy->sourceModel()) : nullptr;
    v.search = child<QLineEdit>(panel, "tokenSearch");
    v.summary = child<QLabel>(panel, "tokenErrorSummary");
    v.metric = child<QComboBox>(panel, "tokenErrorMetric");
    v.logScale = child<QCheckBox>(panel, "tokenErrorLogScale");
    return v;
}

// TradeoffPanel's views.
struct TradeoffViews {
    vq::TradeoffChart* chart;
    QComboBox* metric;
    QCheckBox* logScale;
    QPushButton* baselines;
    QLabel* status;
};

inline TradeoffViews tradeoffViews(const QWidget& panel)
{
    return { child<vq::TradeoffChart>(panel, "tradeoffChart"), child<QComboBox>(panel, "tradeoffMetric"),
        child<QCheckBox>(panel, "tradeoffLogScale"), child<QPushButton>(panel, "runBaselinesButton"),
        child<QLabel>(panel, "tradeoffStatus") };
}

} // namespace vqtest
