#pragma once

#include "panels/panel.h"

#include <QString>
#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QStackedWidget;
class QTabWidget;
class QTableView;

namespace vq {

class CodebookRunner;
class CodeMembersModel;
class CodewordMapChart;
class CodewordModel;
class NeighbourModel;
class ResidualWaterfallChart;
class TokenCodesModel;
class TokenErrorProxyModel;
class TokenStepsModel;
struct CodewordMapResult;
struct EmbeddingTable;
struct RunRecord;

// The codebook explorer of the current run. The codeword map: one codebook (code array, stage, group, or
// all groups of a shared codebook) projected on its two principal axes, disc size = usage, colour = mean
// error (or mean token weight) of the rows using each code, dead codes marked, optionally the sampled rows
// it encodes; the codewords table beside it (CSV). Clicking a codeword lists every row using it with its
// error. The token path: a token (searched by text or #row, picked in the rows table, or asked for by
// another view through AppContext::requestTokenPath) with its codes, its residual after each decode step
// (waterfall) and its nearest neighbours in the original table against the reconstruction. Every number
// comes from CodebookRunner (off the GUI thread, cached per run); the heat map of the usage view opens a
// code here through AppContext::requestCode.
class CodebooksPanel : public Panel {
    Q_OBJECT
public:
    enum class Colour { MeanError, MeanWeight };

    explicit CodebooksPanel(AppContext* context, QWidget* parent = nullptr);
    ~CodebooksPanel() override;

    QString title() const override { return tr("Codebooks"); }
    QList<QPair<QString, QImage>> reportImages() const override;

    // Picks the codebook (clamped to what the run has; group -1 only for a shared codebook) and maps it.
    void setSelection(int array, int stage, int group);
    int currentArray() const { return m_array; }
    int currentStage() const { return m_stage; }
    int currentGroup() const { return m_group; }
    // Rings a code of the codebook shown and lists the rows using it; a code of a codebook still being
    // computed is selected when it arrives.
    void selectCode(int code);
    int selectedCode() const { return m_code; }
    // Shows the path of a token of the current run: a table row, or the first token matching text.
    void showTokenPath(qint64 row);
    void showTokenPath(const QString& search);
    qint64 pathRow() const { return m_pathRow; }
    void setColour(Colour colour);
    Colour colour() const { return m_colour; }
    void setShowSamples(bool show);

    bool isShowingMessage() const;
    QString messageText() const;
    // The map shown (null while none has arrived for the current selection).
    const CodewordMapResult* shownMap() const { return m_map.get(); }

    CodebookRunner* runner() const { return m_runner; }
    CodewordMapChart* mapChart() const { return m_chart; }
    CodewordModel* codewordModel() const { return m_codewords; }
    QTableView* codewordTable() const { return m_codewordTable; }
    CodeMembersModel* membersModel() const { return m_members; }
    QTableView* membersTable() const { return m_membersTable; }
    QLineEdit* tokenSearch() const { return m_search; }
    QLabel* pathLabel() const { return m_pathLabel; }
    QLabel* runLabel() const { return m_runLabel; }
    TokenCodesModel* codesModel() const { return m_codes; }
    TokenStepsModel* stepsModel() const { return m_steps; }
    NeighbourModel* neighbourModel() const { return m_neighbours; }
    QTableView* codesTable() const { return m_codesTable; }
    ResidualWaterfallChart* waterfall() const { return m_waterfall; }
    QComboBox* arrayCombo() const { return m_arrayCombo; }
    QComboBox* stageCombo() const { return m_stageCombo; }
    QComboBox* groupCombo() const { return m_groupCombo; }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void elideRunLabel();
    void updateFromContext();
    void showMessage(const QString& text);
    void fillCombos();
    void requestMap();
    void onMap(const std::shared_ptr<const CodewordMapResult>& map);
    void updateChartPoints();
    void requestPath(const QString& search);
    QString pointText(int code) const;
    QString codebookName() const;
    std::shared_ptr<const EmbeddingTable> tokenTable() const;

    CodebookRunner* m_runner;
    std::shared_ptr<const RunRecord> m_record;
    std::shared_ptr<const CodewordMapResult> m_map;
    std::shared_ptr<const RunRecord> m_requested; // the run of the last map requested
    int m_array = 0;
    int m_stage = 0;
    int m_group = -1; // -1: all groups of a shared codebook (clamped to 0 for per-group codebooks)
    int m_code = -1;
    int m_pendingCode = -1;
    qint64 m_pathRow = -1;
    quint64 m_mapJob = 0;
    quint64 m_membersJob = 0;
    quint64 m_pathJob = 0;
    Colour m_colour = Colour::MeanError;
    bool m_updating = false;

    QStackedWidget* m_stack = nullptr;
    QLabel* m_message = nullptr;
    QLabel* m_runLabel = nullptr;
    QComboBox* m_arrayCombo = nullptr;
    QComboBox* m_stageCombo = nullptr;
    QComboBox* m_groupCombo = nullptr;
    QComboBox* m_colourCombo = nullptr;
    QCheckBox* m_samplesCheck = nullptr;
    CodewordMapChart* m_chart = nullptr;
    QTabWidget* m_tables = nullptr;
    CodewordModel* m_codewords = nullptr;
    QTableView* m_codewordTable = nullptr;
    CodeMembersModel* m_members = nullptr;
    TokenErrorProxyModel* m_membersProxy = nullptr;
    QTableView* m_membersTable = nullptr;
    QLabel* m_membersLabel = nullptr;
    QLineEdit* m_search = nullptr;
    QLabel* m_pathLabel = nullptr;
    ResidualWaterfallChart* m_waterfall = nullptr;
    TokenCodesModel* m_codes = nullptr;
    QTableView* m_codesTable = nullptr;
    TokenStepsModel* m_steps = nullptr;
    NeighbourModel* m_neighbours = nullptr;
};

} // namespace vq
