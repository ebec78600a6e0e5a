#pragma once

#include "appcontext.h"
#include "metrics/tokenerrorseries.h"
#include "panel.h"

#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QStackedWidget;
class QTableView;

namespace vq {

class HistogramChart;
class TokenErrorChart;
class TokenErrorModel;
class TokenErrorProxyModel;

// Which tokens the current run reconstructs badly: for a chosen per-token error (relative error, MSE,
// 1 - cosine) a histogram, the error against the token's row, the tail percentiles and a sortable,
// searchable table of every token (worst first). Shows the AppContext's current run once it is finished;
// otherwise an empty state. Clicking a point of the row chart selects that token in the table.
class TokenErrorPanel : public Panel {
    Q_OBJECT
public:
    explicit TokenErrorPanel(AppContext* context, QWidget* parent = nullptr);

    QString title() const override { return tr("Token Errors"); }
    QList<QPair<QString, QImage>> reportImages() const override;

    TokenErrorMetric metric() const { return m_metric; }
    void setMetric(TokenErrorMetric metric);
    // Log10 x axis of the histogram and log10 y axis of the row chart.
    bool isLogScale() const { return m_logScale; }
    void setLogScale(bool on);

    // The run shown (null in the empty state).
    const RunRecord* shownRun() const { return m_record.get(); }
    RunKey shownKey() const { return m_key; }
    bool isShowingEmptyState() const;
    // What the empty state says (why nothing is shown).
    QString emptyStateText() const;

    // Selects the table's row of a token (clearing a search that hides it) and marks it in the row chart.
    void selectToken(int64_t row);

    // Its widgets by object name: "tokenErrorHistogram", "tokenErrorRowChart", "tokenErrorTable" (over a
    // TokenErrorProxyModel of a TokenErrorModel), "tokenSearch", "tokenErrorSummary", "tokenErrorMetric",
    // "tokenErrorLogScale".

protected:
    void syncWithContext() override { refresh(); }

private:
    void refresh();
    void updatePlots();
    QString pointText(int64_t row) const;
    std::shared_ptr<const std::vector<float>> normsFor(const std::shared_ptr<const EmbeddingTable>& table);

    RunKey m_key = 0;
    std::shared_ptr<const RunRecord> m_record;
    std::shared_ptr<const EmbeddingTable> m_tokens; // the context's table when it matches the run's rows
    const EmbeddingTable* m_normsTable = nullptr;
    std::shared_ptr<const std::vector<float>> m_norms;
    TokenErrorMetric m_metric = TokenErrorMetric::RelError;
    bool m_logScale = true;
    std::vector<float> m_seriesStorage; // 1 - cosine, when that is the metric
    std::span<const float> m_series;

    QStackedWidget* m_stack = nullptr;
    QLabel* m_emptyLabel = nullptr;
    QLabel* m_runLabel = nullptr;
    QComboBox* m_metricCombo = nullptr;
    QCheckBox* m_logCheck = nullptr;
    QLabel* m_summary = nullptr;
    HistogramChart* m_histogram = nullptr;
    TokenErrorChart* m_rowChart = nullptr;
    QLineEdit* m_search = nullptr;
    QTableView* m_table = nullptr;
    TokenErrorModel* m_model = nullptr;
    TokenErrorProxyModel* m_proxy = nullptr;
};

} // namespace vq
