#pragma once

#include <QWidget>
#include <memory>

class QComboBox;
class QLabel;
class QTableView;

namespace vq {

class CodebookAlignmentModel;
class CodebookRunner;
class HistogramChart;
struct CodebookAlignmentResult;
struct RunRecord;

// How the codebooks of two runs line up (the Compare view's "Codebooks" page): for a code array, stage and
// group of run A, each codeword's nearest codeword in run B's codebook at the same place, the share of
// mutual nearest pairs, and a histogram of the distances relative to A's codeword norms. Runs of
// different families (no codebook of the same width there) get a message instead. Computed by its own
// CodebookRunner, cached per pair of runs.
class CodebookSimilarityBox : public QWidget {
    Q_OBJECT
public:
    explicit CodebookSimilarityBox(QWidget* parent = nullptr);
    ~CodebookSimilarityBox() override;

    // The two runs to compare (either may be null); keeps the selection where both have it.
    void setRuns(std::shared_ptr<const RunRecord> a, std::shared_ptr<const RunRecord> b);
    void setSelection(int array, int stage, int group);

    // The alignment shown (null while none is).
    const CodebookAlignmentResult* alignment() const;
    QString summaryText() const;
    // Why nothing is shown (empty when an alignment is).
    QString messageText() const;
    bool hasChart() const;

    CodebookRunner* runner() const { return m_runner; }
    HistogramChart* histogramChart() const { return m_histogram; }
    CodebookAlignmentModel* alignmentModel() const { return m_model; }
    QTableView* alignmentTable() const { return m_table; }

private:
    void fillCombos();
    void request();

    CodebookRunner* m_runner;
    std::shared_ptr<const RunRecord> m_a;
    std::shared_ptr<const RunRecord> m_b;
    int m_array = 0;
    int m_stage = 0;
    int m_group = 0;
    quint64 m_job = 0;
    bool m_updating = false;
    QString m_message;

    QComboBox* m_arrayCombo = nullptr;
    QComboBox* m_stageCombo = nullptr;
    QComboBox* m_groupCombo = nullptr;
    QLabel* m_summary = nullptr;
    HistogramChart* m_histogram = nullptr;
    CodebookAlignmentModel* m_model = nullptr;
    QTableView* m_table = nullptr;
};

} // namespace vq
