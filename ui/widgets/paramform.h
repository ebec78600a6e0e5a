#pragma once

#include "quant/paramschema.h"
#include "quant/quantspec.h"

#include <QWidget>
#include <string>

class QFormLayout;

namespace vq {

// An editor per parameter of a method, built from its ParamSchema (adding a method touches no UI code):
// QSpinBox for Int, QDoubleSpinBox for Float (the schema's range; ranges wider than an int are clamped),
// QCheckBox for Bool, QComboBox for Choice; each labelled with the parameter's name, its tooltip the
// schema's help. Every editor's objectName is the parameter name. GUI thread only.
class ParamForm : public QWidget {
    Q_OBJECT
public:
    explicit ParamForm(QWidget* parent = nullptr);

    // Rebuilds the editors for method with its schema, every parameter at its default. The schema must
    // outlive the form (registry schemas are static).
    void setSchema(const std::string& method, const ParamSchema* schema);
    const std::string& method() const { return m_method; }
    const ParamSchema* schema() const { return m_schema; }

    // The method and every parameter as the editors show them (canonical JSON types: Int as integer,
    // Float as double, Bool, Choice as string). Not validated against the table shape.
    QuantSpec spec() const;
    // Shows spec's parameters (a parameter spec does not hold, or holds with the wrong type, shows its
    // default; unknown keys are ignored; out-of-range numbers are clamped by the editors). spec.method
    // must be method(). Emits specChanged() once.
    void loadSpec(const QuantSpec& spec);
    // Every editor back to the schema default; emits specChanged() once.
    void resetToDefaults();

    // The editor of a parameter (QSpinBox, QDoubleSpinBox, QCheckBox or QComboBox); nullptr if unknown.
    QWidget* editor(const std::string& name) const;
    int editorCount() const { return int(m_editors.size()); }

    // Decimals a QDoubleSpinBox needs to show def's minimum, maximum and default exactly (2..8).
    static int decimalsFor(const ParamDef& def);

signals:
    // After any change of a value, by the user or by loadSpec/resetToDefaults.
    void specChanged();

private:
    void setValue(const ParamDef& def, QWidget* editor, const nlohmann::json& value);
    void emitChanged();

    std::string m_method;
    const ParamSchema* m_schema = nullptr;
    QFormLayout* m_layout = nullptr;
    std::vector<QWidget*> m_editors; // one per schema parameter, same order
    bool m_loading = false;
};

} // namespace vq
