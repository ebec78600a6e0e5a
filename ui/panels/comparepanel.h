#pragma once

#include "appcontext.h"
#include "metrics/tokenerrorseries.h"
#include "panel.h"

#include <array>
#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QStackedWidget;
class QTabWidget;
class QTableView;

namespace vq {

class CodebookSimilarityBox;
class CompareScatterChart;
class TokenDiffModel;
class TokenErrorProxyModel;

// Two finished runs A and B side by side: their key metrics, a scatter of a per-token error of A (x)
// against B (y) with the y = x line, and a table of every token sorted by how much worse B does (ratio
// B / A, largest first). A and B follow the first two selected runs; the combos choose others, Swap
// exchanges them. Empty state until two finished runs exist. Its charts are about two runs, so a report
// of one run does not embed them (reportImages() stays empty).
class ComparePanel : public Panel {
    Q_OBJECT
public:
    // Sample size and number of most-different tokens drawn in the scatter, and the sample's seed.
    static constexpr int kScatterSample = 3000;
    static constexpr int kScatterExtremes = 200;
    static constexpr uint64_t kScatterSeed = 0x5eed;

    // Rows of the key-metrics grid.
    enum KeyMetric { BitsPerParam, RelMse, SnrDb, Recall, FitSeconds, KeyMetricCount };

    explicit ComparePanel(AppContext* context, QWidget* parent = nullptr);

    QString title() const override { return tr("Compare"); }

    RunKey runA() const { return m_keyA; }
    RunKey runB() const { return m_keyB; }
    // Chooses the runs shown (each must be a finished run; otherwise that side is left unchanged).
    void setRuns(RunKey a, RunKey b);
    void swapRuns();
    TokenErrorMetric metric() const { return m_metric; }
    void setMetric(TokenErrorMetric metric);
    void setLogLog(bool on);
    bool isShowingEmptyState() const;

    // The text shown for a key metric of A (side 0) or B (side 1).
    QString keyMetricText(KeyMetric metric, int side) const;

    CompareScatterChart* scatterChart() const { return m_scatter; }
    QTableView* diffTable() const { return m_table; }
    TokenDiffModel* diffModel() const { return m_model; }
    TokenErrorProxyModel* diffProxy() const { return m_proxy; }
    QLineEdit* searchEdit() const { return m_search; }
    QComboBox* comboA() const { return m_comboA; }
    QComboBox* comboB() const { return m_comboB; }
    CodebookSimilarityBox* codebookSimilarity() const { return m_codebooks; }
    QTabWidget* pages() const { return m_pages; }

protected:
    void syncWithContext() override { followSelection(); }

private:
    void followSelection();
    void rebuildCombos();
    void refresh();
    void updateKeyMetrics();
    QString pointText(int64_t row) const;

    RunKey m_keyA = 0;
    RunKey m_keyB = 0;
    std::shared_ptr<const RunRecord> m_recordA;
    std::shared_ptr<const RunRecord> m_recordB;
    std::shared_ptr<const EmbeddingTable> m_tokens;
    TokenErrorMetric m_metric = TokenErrorMetric::RelError;
    bool m_logLog = true;
    bool m_updatingCombos = false;

    QStackedWidget* m_stack = nullptr;
    QLabel* m_emptyLabel = nullptr;
    QComboBox* m_comboA = nullptr;
    QComboBox* m_comboB = nullptr;
    QPushButton* m_swap = nullptr;
    QComboBox* m_metricCombo = nullptr;
    QCheckBox* m_logCheck = nullptr;
    std::array<QLabel*, 2> m_runHeaders {};
    std::array<std::array<QLabel*, 2>, KeyMetricCount> m_keyLabels {};
    CompareScatterChart* m_scatter = nullptr;
    QLineEdit* m_search = nullptr;
    QTableView* m_table = nullptr;
    TokenDiffModel* m_model = nullptr;
    TokenErrorProxyModel* m_proxy = nullptr;
    QTabWidget* m_pages = nullptr;
    CodebookSimilarityBox* m_codebooks = nullptr;
};

} // namespace vq
