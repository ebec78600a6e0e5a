#pragma once

#include "panels/panel.h"

#include "metrics/codebookusage.h"

#include <memory>
#include <vector>

class QComboBox;
class QLabel;
class QStackedWidget;
class QTableView;

namespace vq {

class CodebookUsageModel;
class EntropyChart;
class HeatmapChart;
class UsageBarChart;
struct RunRecord;

// How the current run spends its codes: for a code array, a heat map of code counts (rows = stage x
// group, columns = codes, bucketed above 1024), one codebook's usage sorted by count, entropy and
// perplexity against the allotted bits, and a table of entropy and dead codes (CSV export). Reads
// RunRecord::fullMetrics, or the record's metrics JSON when it is all there is (the table then works,
// the count plots need counts written into the JSON). Says so when the method has no codebooks.
class CodebookUsagePanel : public Panel {
    Q_OBJECT
public:
    explicit CodebookUsagePanel(AppContext* context, QWidget* parent = nullptr);

    QString title() const override;
    QList<QPair<QString, QImage>> reportImages() const override;

    // Picks what the count charts show: code array, stage (0-based), group (-1: pooled). Out-of-range
    // values are clamped to what the run has.
    void setSelection(int array, int stage, int group);
    int currentArray() const { return m_array; }
    int currentStage() const { return m_stage; }
    int currentGroup() const { return m_group; }

    // The usage shown (null when none); the text shown instead of the charts (empty when charts show).
    const std::shared_ptr<const std::vector<CodebookUsage>>& usages() const { return m_usages; }
    QString messageText() const;
    bool countsAvailable() const { return m_hasCounts; }

    HeatmapChart* heatmap() const { return m_heatmap; }
    UsageBarChart* usageBarChart() const { return m_barChart; }
    EntropyChart* entropyChart() const { return m_entropyChart; }
    CodebookUsageModel* usageModel() const { return m_model; }
    QTableView* usageTable() const { return m_table; }
    QComboBox* arrayCombo() const { return m_arrayCombo; }
    QComboBox* stageCombo() const { return m_stageCombo; }
    QComboBox* groupCombo() const { return m_groupCombo; }

protected:
    void syncWithContext() override { updateFromContext(); }

private:
    void updateFromContext();
    void showMessage(const QString& text);
    void updateArray();
    void updateCodebook();
    QString rowLabel(int stage, int group) const;
    const CodebookUsage* currentUsage() const;

    std::shared_ptr<const RunRecord> m_record;
    std::shared_ptr<const std::vector<CodebookUsage>> m_usages;
    bool m_hasCounts = false;
    int m_array = 0;
    int m_stage = 0;
    int m_group = -1;
    bool m_updating = false;

    QStackedWidget* m_stack = nullptr;
    QLabel* m_message = nullptr;
    QLabel* m_layoutLabel = nullptr;
    QLabel* m_countsMessage = nullptr;
    QComboBox* m_arrayCombo = nullptr;
    QComboBox* m_stageCombo = nullptr;
    QComboBox* m_groupCombo = nullptr;
    HeatmapChart* m_heatmap = nullptr;
    UsageBarChart* m_barChart = nullptr;
    EntropyChart* m_entropyChart = nullptr;
    CodebookUsageModel* m_model = nullptr;
    QTableView* m_table = nullptr;
};

} // namespace vq
