#pragma once

#include "quant/paramschema.h"
#include "quant/quantspec.h"

#include <QDialog>
#include <QString>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;
class QTreeWidget;

namespace vq {

// Sweeps one parameter of a spec: the user picks the parameter and its values, as a list ("2, 3, 4";
// names for choices, true/false for switches) or a range (from, to, step; numbers only), and sees each
// run's spec cost in bits/param on the table's shape, or why it is refused. Accepting queues nothing
// itself: the caller takes specs() (refused values are left out). GUI thread only.
class SweepDialog : public QDialog {
    Q_OBJECT
public:
    // base: the spec to vary (its method must be registered); rows x dim: the table's shape.
    SweepDialog(const QuantSpec& base, int64_t rows, int64_t dim, QWidget* parent = nullptr);

    struct Point {
        nlohmann::json value;
        QuantSpec spec; // resolved when accepted
        std::optional<double> bitsPerParam; // empty when refused
        QString refusal;
    };

    // Selects the swept parameter by name; returns whether the method has it.
    bool setParameter(const QString& name);
    QString parameter() const;
    // List mode with this text.
    void setValuesText(const QString& text);
    // Range mode (numeric parameters) with these bounds; to is included when reached by whole steps.
    void setRange(double from, double to, double step);

    const std::vector<Point>& points() const { return m_points; }
    // The specs to queue, one per accepted value, in the order given.
    std::vector<QuantSpec> specs() const;
    // Why the values cannot be read ("'x' is not a number"); empty when they can.
    QString inputError() const { return m_inputError; }
    QString summaryText() const;
    QPushButton* queueButton() const { return m_queueButton; }
    // Whether specs already run (or queued) are to be queued again; off by default.
    bool rerunDone() const;
    void setRerunDone(bool on);

    // The values of a list for def: numbers for Int/Float (Int must be integral), true/false/1/0 for
    // Bool, a choice name for Choice. Separators: commas, semicolons or spaces. Throws nothing: sets
    // *error and returns {} on the first value it cannot read.
    static std::vector<nlohmann::json> parseValues(const ParamDef& def, const QString& text, QString* error);
    // from, from + step, ... up to to (inclusive, with a tolerance of 1e-9 step); Int values rounded.
    // At most kMaxValues; sets *error for step <= 0, from > to or too many values.
    static std::vector<nlohmann::json> rangeValues(
        const ParamDef& def, double from, double to, double step, QString* error);
    static constexpr int kMaxValues = 256;

private:
    const ParamDef* currentDef() const;
    void onParameterChanged();
    void recompute();

    QuantSpec m_base;
    int64_t m_rows;
    int64_t m_dim;
    const ParamSchema& m_schema;
    QComboBox* m_parameter;
    QLabel* m_paramHelp;
    QRadioButton* m_listMode;
    QRadioButton* m_rangeMode;
    QLineEdit* m_values;
    QDoubleSpinBox* m_from;
    QDoubleSpinBox* m_to;
    QDoubleSpinBox* m_step;
    QTreeWidget* m_list;
    QLabel* m_summary;
    QPushButton* m_queueButton;
    QCheckBox* m_rerunDone = nullptr;
    std::vector<Point> m_points;
    QString m_inputError;
};

} // namespace vq
