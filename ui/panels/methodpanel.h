#pragma once

#include "appcontext.h"
#include "panels/panel.h"
#include "quant/quantspec.h"
#include "run/runexecutor.h"

#include <QString>

class QAction;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTimer;

namespace vq {

class EstimateView;
class ParamForm;
class PreviewRunner;
class RunQueue;
class SweepDialog;

// Where a run is set up: a method (from the registry; baselines marked), a preset, the method's
// parameters (a form built from its schema), the run options (token weights, neighbour recall, logit
// fidelity, seed, threads), the exact cost of the spec on the loaded table as the user edits (bits/param,
// size, breakdown, warnings, or the refusal naming the parameter, which disables Run), Run, Sweep… and
// a live preview on a seeded sample of rows (debounced; published as the context's preview entry).
// Loads a spec when the context asks (AppContext::editSpecRequested).
//
// Defaults and presets fit the loaded table (fitSpecToShape: the nearest accepted value of the refused
// parameter, e.g. h 8 -> 10 on 100 columns); presets that cannot fit are listed disabled with the
// reason. The verdict (bits/param and size, or the refusal) stays visible beside Run below the scrolled
// form. Spin boxes and combos take the mouse wheel only when focused (WheelGuard).
class MethodPanel : public Panel {
    Q_OBJECT
public:
    // queue: where runs go (not owned; outlives the panel).
    MethodPanel(AppContext* context, RunQueue* queue, QWidget* parent = nullptr);
    ~MethodPanel() override;

    QString title() const override;

    // Selects a registered method (its form at defaults); returns false for an unknown name.
    bool setMethod(const QString& name);
    QString method() const;
    // Selects spec's method and loads its parameters (see ParamForm::loadSpec).
    bool loadSpec(const QuantSpec& spec);
    // The spec as the form shows it (not validated).
    QuantSpec spec() const;
    // The run options as the controls show them.
    RunOptions runOptions() const;
    uint64_t seed() const;
    int threads() const;

    // Queues the form's spec with the run options; returns its key, 0 when refused (the message is shown).
    RunKey queueRun();
    // Opens the sweep dialog (non-modal, deleted on close) on the form's spec; accepting it queues one run
    // per accepted value. nullptr without a table.
    SweepDialog* openSweepDialog();
    // Queues specs with the run options; returns the keys of the runs queued (refused ones are skipped
    // and reported in the panel's message line). With skipRun, a spec whose run (same spec, table,
    // weights and seed: AppContext::findRun) is already queued, running or done is skipped too.
    QList<RunKey> queueSpecs(const std::vector<QuantSpec>& specs, bool skipRun = false);

    // The refusal of the current spec on the loaded table; empty when it would run.
    QString refusal() const { return m_refusal; }

    // Run (Ctrl+R), Run Full from Preview (Ctrl+Shift+R), Sweep… and Preview (checkable), for a menu.
    QList<QAction*> runActions() const;
    // The spec each preset item stands for on the loaded table (index 0 is Custom, not listed); a preset
    // that cannot fit is disabled in the combo with the reason as its tooltip.
    const std::vector<QuantSpec>& presetSpecs() const { return m_presetSpecs; }
    // The compact verdict beside Run: "2.036 bits/param · 497.1 KiB" or "Refused: ...".
    QLabel* verdictLabel() const { return m_verdict; }

    QComboBox* methodCombo() const { return m_method; }
    QComboBox* presetCombo() const { return m_preset; }
    ParamForm* form() const { return m_form; }
    EstimateView* estimateView() const { return m_estimate; }
    QPushButton* runButton() const { return m_runButton; }
    QPushButton* sweepButton() const { return m_sweepButton; }
    QCheckBox* previewCheck() const { return m_previewCheck; }
    QPushButton* runFullButton() const { return m_runFullButton; }
    PreviewRunner* previewRunner() const { return m_previewRunner; }
    QLabel* messageLabel() const { return m_message; }
    QLabel* previewStatus() const { return m_previewStatus; }
    QComboBox* weightsCombo() const { return m_weights; }
    QDoubleSpinBox* zipfSpin() const { return m_zipf; }
    QLineEdit* countsFileEdit() const { return m_countsFile; }
    QCheckBox* recallCheck() const { return m_recall; }
    QComboBox* logitCombo() const { return m_logit; }
    QSpinBox* seedSpin() const { return m_seed; }
    QSpinBox* threadsSpin() const { return m_threads; }

    // Milliseconds between the last edit and the preview it starts.
    static constexpr int kPreviewDelayMs = 300;

private:
    QWidget* createMethodBox();
    QWidget* createOptionsBox();
    void onMethodChanged();
    void rebuildPresets();
    // Loads spec fitted to the loaded table; says in the message line what was changed, and why.
    void loadFitted(const QuantSpec& spec, bool quiet);
    void updateTabOrder();
    void onPresetActivated(int index);
    void onSpecEdited();
    void onOptionsEdited();
    void updatePresetMatch();
    void updateEstimate();
    void updateButtons();
    void schedulePreview();
    void startPreview();
    void runFull();
    void showMessage(const QString& text, bool error);

    RunQueue* m_queue;
    PreviewRunner* m_previewRunner;
    QComboBox* m_method = nullptr;
    QLabel* m_description = nullptr;
    QComboBox* m_preset = nullptr;
    ParamForm* m_form = nullptr;
    QLabel* m_costTitle = nullptr;
    EstimateView* m_estimate = nullptr;
    QComboBox* m_weights = nullptr;
    QDoubleSpinBox* m_zipf = nullptr;
    QLineEdit* m_countsFile = nullptr;
    QPushButton* m_browse = nullptr;
    QCheckBox* m_recall = nullptr;
    QComboBox* m_logit = nullptr;
    QSpinBox* m_seed = nullptr;
    QSpinBox* m_threads = nullptr;
    QCheckBox* m_previewCheck = nullptr;
    QLabel* m_previewStatus = nullptr;
    QPushButton* m_runFullButton = nullptr;
    QPushButton* m_sweepButton = nullptr;
    QPushButton* m_runButton = nullptr;
    QLabel* m_message = nullptr;
    QLabel* m_verdict = nullptr;
    QAction* m_runAction = nullptr;
    QAction* m_runFullAction = nullptr;
    QAction* m_sweepAction = nullptr;
    QAction* m_previewAction = nullptr;
    QTimer* m_previewTimer = nullptr;
    std::vector<QuantSpec> m_presetSpecs;
    QuantSpec m_fix; // the nearest accepted spec while the current one is refused (method empty: none)
    QString m_refusal;
    bool m_loading = false;
};

} // namespace vq
