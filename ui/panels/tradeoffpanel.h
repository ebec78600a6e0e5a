#pragma once

#include "panels/panel.h"

#include "quant/quantspec.h"
#include "run/tradeoffmetric.h"

#include <QList>

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QTimer;

namespace vq {

class RunQueue;
class TradeoffChart;

// Every finished run (previews left out) as a point of bits per parameter against a chosen quality
// metric, a series per method, the Pareto frontier across all runs, the runs of baseline methods (RTN,
// the llama.cpp block formats) as labelled triangles, and the format the table was stored in as a
// labelled vertical marker when that format is quantized (fewer than 16 bits per value: "Q4_K as
// stored" at 4.5). A click selects the run (Ctrl+click adds it); the selected runs are ringed. "Run
// baselines" queues the baselines missing on the current table. Replots coalesce (single-shot timer) as
// runs finish.
class TradeoffPanel : public Panel {
    Q_OBJECT
public:
    // queue may be null (no "Run baselines").
    TradeoffPanel(AppContext* context, RunQueue* queue, QWidget* parent = nullptr);

    QString title() const override;
    QList<QPair<QString, QImage>> reportImages() const override;

    void setMetric(TradeoffMetric metric);
    TradeoffMetric metric() const { return m_metric; }
    void setLogY(bool on);

    // Every method's baseline specs (Quantizer::baselineSpecs) with no run on the current table (done,
    // queued or running; previews do not count) that the table accepts (block formats need rows of
    // whole blocks).
    QList<QuantSpec> missingBaselines() const;
    // Queues missingBaselines(); returns how many were queued.
    int runBaselines();

    // Replots now (the timer does it shortly after any change).
    void refresh();
    // Selects key (Ctrl: toggles it in the selection), as a click on its point does.
    void selectRun(quint64 key, Qt::KeyboardModifiers modifiers = Qt::NoModifier);

    TradeoffChart* chart() const { return m_chart; }
    QComboBox* metricCombo() const { return m_metricCombo; }
    QCheckBox* logCheck() const { return m_logCheck; }
    QPushButton* baselinesButton() const { return m_baselinesButton; }
    QLabel* statusLabel() const { return m_status; }

private:
    void scheduleRefresh();
    void updateButton();

    RunQueue* m_queue = nullptr;
    TradeoffMetric m_metric = TradeoffMetric::RelMse;
    TradeoffChart* m_chart = nullptr;
    QComboBox* m_metricCombo = nullptr;
    QCheckBox* m_logCheck = nullptr;
    QPushButton* m_baselinesButton = nullptr;
    QLabel* m_status = nullptr;
    QTimer* m_timer = nullptr;
};

} // namespace vq
