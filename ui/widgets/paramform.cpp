#include "paramform.h"

#include "displaytext.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QStyle>

#include <climits>
#include <cmath>

namespace vq {

namespace {

constexpr int kMinDecimals = 2;
constexpr int kMaxDecimals = 8;

int clampToInt(double v)
{
    if (v >= double(INT_MAX))
        return INT_MAX;
    if (v <= double(INT_MIN))
        return INT_MIN;
    return int(v);
}

int decimalsOf(double v)
{
    for (int k = kMinDecimals; k < kMaxDecimals; ++k) {
        const double scale = std::pow(10.0, k);
        if (std::fabs(std::round(v * scale) / scale - v) <= 1e-12 * std::max(1.0, std::fabs(v)))
            return k;
    }
    return kMaxDecimals;
}

// The value as the editor type expects it, or the default when value is absent or of another type.
nlohmann::json valueOrDefault(const ParamDef& def, const nlohmann::json& params)
{
    if (!params.is_object() || !params.contains(def.name))
        return def.defaultValue;
    const nlohmann::json& v = params.at(def.name);
    switch (def.type) {
    case ParamDef::Type::Int:
    case ParamDef::Type::Float:
        return v.is_number() ? v : def.defaultValue;
    case ParamDef::Type::Bool:
        return v.is_boolean() ? v : def.defaultValue;
    case ParamDef::Type::Choice:
    case ParamDef::Type::Path:
        return v.is_string() ? v : def.defaultValue;
    }
    return def.defaultValue;
}

} // namespace

ParamForm::ParamForm(QWidget* parent)
    : QWidget(parent)
    , m_layout(new QFormLayout(this))
{
    m_layout->setContentsMargins(0, 0, 0, 0);
    m_layout->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_layout->setRowWrapPolicy(QFormLayout::DontWrapRows);
    m_layout->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
}

int ParamForm::decimalsFor(const ParamDef& def)
{
    int d = std::max(decimalsOf(def.min), decimalsOf(def.max));
    if (def.defaultValue.is_number())
        d = std::max(d, decimalsOf(def.defaultValue.get<double>()));
    return d;
}

void ParamForm::setSchema(const std::string& method, const ParamSchema* schema)
{
    while (m_layout->rowCount() > 0)
        m_layout->removeRow(0);
    m_editors.clear();
    m_method = method;
    m_schema = schema;
    if (!schema)
        return;
    for (const ParamDef& def : schema->params) {
        QWidget* editor = nullptr;
        switch (def.type) {
        case ParamDef::Type::Int: {
            auto* spin = new QSpinBox(this);
            spin->setRange(clampToInt(def.min), clampToInt(def.max));
            if (def.logScale)
                spin->setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
            connect(spin, &QSpinBox::valueChanged, this, &ParamForm::emitChanged);
            editor = spin;
            break;
        }
        case ParamDef::Type::Float: {
            auto* spin = new QDoubleSpinBox(this);
            spin->setDecimals(decimalsFor(def));
            spin->setRange(def.min, def.max);
            spin->setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
            connect(spin, &QDoubleSpinBox::valueChanged, this, &ParamForm::emitChanged);
            editor = spin;
            break;
        }
        case ParamDef::Type::Bool: {
            auto* box = new QCheckBox(this);
            connect(box, &QCheckBox::toggled, this, &ParamForm::emitChanged);
            editor = box;
            break;
        }
        case ParamDef::Type::Choice: {
            auto* combo = new QComboBox(this);
            combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
            combo->setMinimumContentsLength(6);
            for (const std::string& c : def.choices)
                combo->addItem(display::text(c));
            connect(combo, &QComboBox::currentIndexChanged, this, &ParamForm::emitChanged);
            editor = combo;
            break;
        }
        case ParamDef::Type::Path: {
            // A file name typed or picked; the spec changes when editing ends, not on every keystroke.
            auto* line = new QLineEdit(this);
            line->setPlaceholderText(tr("none"));
            line->setClearButtonEnabled(true);
            QAction* browse
                = line->addAction(style()->standardIcon(QStyle::SP_DirOpenIcon), QLineEdit::TrailingPosition);
            browse->setToolTip(tr("Choose a file…"));
            connect(browse, &QAction::triggered, this, [this, line] {
                const QString file = QFileDialog::getOpenFileName(
                    this, tr("Choose a file"), line->text(), tr("NumPy arrays (*.npy);;All files (*)"));
                if (!file.isEmpty()) {
                    line->setText(file);
                    emitChanged();
                }
            });
            connect(line, &QLineEdit::editingFinished, this, &ParamForm::emitChanged);
            editor = line;
            break;
        }
        }
        const QString name = display::text(def.name);
        editor->setObjectName(name);
        const QString help = display::text(def.help);
        editor->setToolTip(help);
        auto* label = new QLabel(name, this);
        label->setToolTip(help);
        label->setBuddy(editor);
        m_layout->addRow(label, editor);
        m_editors.push_back(editor);
    }
    resetToDefaults();
}

QWidget* ParamForm::editor(const std::string& name) const
{
    if (!m_schema)
        return nullptr;
    for (size_t i = 0; i < m_schema->params.size(); ++i)
        if (m_schema->params[i].name == name)
            return m_editors[i];
    return nullptr;
}

QuantSpec ParamForm::spec() const
{
    QuantSpec spec;
    spec.method = m_method;
    if (!m_schema)
        return spec;
    for (size_t i = 0; i < m_schema->params.size(); ++i) {
        const ParamDef& def = m_schema->params[i];
        QWidget* e = m_editors[i];
        switch (def.type) {
        case ParamDef::Type::Int:
            spec.params[def.name] = int64_t(static_cast<QSpinBox*>(e)->value());
            break;
        case ParamDef::Type::Float:
            spec.params[def.name] = static_cast<QDoubleSpinBox*>(e)->value();
            break;
        case ParamDef::Type::Bool:
            spec.params[def.name] = static_cast<QCheckBox*>(e)->isChecked();
            break;
        case ParamDef::Type::Choice:
            spec.params[def.name] = static_cast<QComboBox*>(e)->currentText().toStdString();
            break;
        case ParamDef::Type::Path:
            spec.params[def.name] = static_cast<QLineEdit*>(e)->text().toStdString();
            break;
        }
    }
    return spec;
}

void ParamForm::setValue(const ParamDef& def, QWidget* e, const nlohmann::json& value)
{
    switch (def.type) {
    case ParamDef::Type::Int:
        static_cast<QSpinBox*>(e)->setValue(clampToInt(value.get<double>()));
        break;
    case ParamDef::Type::Float:
        static_cast<QDoubleSpinBox*>(e)->setValue(value.get<double>());
        break;
    case ParamDef::Type::Bool:
        static_cast<QCheckBox*>(e)->setChecked(value.get<bool>());
        break;
    case ParamDef::Type::Choice: {
        auto* combo = static_cast<QComboBox*>(e);
        const int index = combo->findText(display::text(value.get<std::string>()));
        if (index >= 0)
            combo->setCurrentIndex(index);
        break;
    }
    case ParamDef::Type::Path:
        static_cast<QLineEdit*>(e)->setText(display::text(value.get<std::string>()));
        break;
    }
}

void ParamForm::loadSpec(const QuantSpec& spec)
{
    Q_ASSERT(spec.method == m_method);
    if (!m_schema)
        return;
    m_loading = true;
    for (size_t i = 0; i < m_schema->params.size(); ++i)
        setValue(m_schema->params[i], m_editors[i], valueOrDefault(m_schema->params[i], spec.params));
    m_loading = false;
    emit specChanged();
}

void ParamForm::resetToDefaults()
{
    loadSpec(QuantSpec { m_method, nlohmann::json::object() });
}

void ParamForm::emitChanged()
{
    if (!m_loading)
        emit specChanged();
}

} // namespace vq
