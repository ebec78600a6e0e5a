#include "sweepdialog.h"

#include "common/error.h"
#include "displaytext.h"
#include "quant/registry.h"
#include "widgets/estimateview.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QRegularExpression>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <cmath>

namespace vq {

namespace {

QString jsonText(const nlohmann::json& v)
{
    if (v.is_string())
        return display::text(v.get<std::string>());
    return display::text(v.dump());
}

bool isNumeric(const ParamDef& def)
{
    return def.type == ParamDef::Type::Int || def.type == ParamDef::Type::Float;
}

} // namespace

std::vector<nlohmann::json> SweepDialog::parseValues(const ParamDef& def, const QString& text, QString* error)
{
    static const QRegularExpression separators(QStringLiteral("[,;\\s]+"));
    const QStringList parts = text.split(separators, Qt::SkipEmptyParts);
    std::vector<nlohmann::json> values;
    error->clear();
    for (const QString& part : parts) {
        switch (def.type) {
        case ParamDef::Type::Int:
        case ParamDef::Type::Float: {
            bool ok = false;
            const double v = part.toDouble(&ok);
            if (!ok || !std::isfinite(v)) {
                *error = tr("'%1' is not a number").arg(part);
                return {};
            }
            if (def.type == ParamDef::Type::Int) {
                if (v != std::floor(v) || std::fabs(v) > 9.0e15) {
                    *error = tr("'%1' is not an integer").arg(part);
                    return {};
                }
                values.emplace_back(int64_t(v));
            } else {
                values.emplace_back(v);
            }
            break;
        }
        case ParamDef::Type::Bool: {
            const QString t = part.toLower();
            if (t == u"true" || t == u"1" || t == u"on" || t == u"yes")
                values.emplace_back(true);
            else if (t == u"false" || t == u"0" || t == u"off" || t == u"no")
                values.emplace_back(false);
            else {
                *error = tr("'%1' is not true or false").arg(part);
                return {};
            }
            break;
        }
        case ParamDef::Type::Choice: {
            const std::string s = part.toStdString();
            if (std::find(def.choices.begin(), def.choices.end(), s) == def.choices.end()) {
                QStringList names;
                for (const std::string& c : def.choices)
                    names << display::text(c);
                *error = tr("'%1' is not one of %2").arg(part, names.join(QStringLiteral(", ")));
                return {};
            }
            values.emplace_back(s);
            break;
        }
        case ParamDef::Type::Path:
            values.emplace_back(part.toStdString());
            break;
        }
        if (int(values.size()) > kMaxValues) {
            *error = tr("more than %1 values").arg(kMaxValues);
            return {};
        }
    }
    return values;
}

std::vector<nlohmann::json> SweepDialog::rangeValues(
    const ParamDef& def, double from, double to, double step, QString* error)
{
    error->clear();
    if (!isNumeric(def)) {
        *error = tr("a range needs a numeric parameter");
        return {};
    }
    if (!(step > 0)) {
        *error = tr("the step must be above 0");
        return {};
    }
    if (from > to) {
        *error = tr("'from' is above 'to'");
        return {};
    }
    const double count = std::floor((to - from) / step + 1e-9) + 1;
    if (count > kMaxValues) {
        *error = tr("%1 values: at most %2").arg(QString::number(count, 'g', 6)).arg(kMaxValues);
        return {};
    }
    std::vector<nlohmann::json> values;
    for (int i = 0; i < int(count); ++i) {
        const double v = from + i * step;
        if (def.type == ParamDef::Type::Int) {
            const auto iv = int64_t(std::llround(v));
            if (values.empty() || values.back().get<int64_t>() != iv)
                values.emplace_back(iv);
        } else {
            values.emplace_back(v);
        }
    }
    return values;
}

SweepDialog::SweepDialog(const QuantSpec& base, int64_t rows, int64_t dim, QWidget* parent)
    : QDialog(parent)
    , m_base(base)
    , m_rows(rows)
    , m_dim(dim)
    , m_schema(quantizer(base.method).schema())
    , m_parameter(new QComboBox(this))
    , m_paramHelp(new QLabel(this))
    , m_listMode(new QRadioButton(tr("Values"), this))
    , m_rangeMode(new QRadioButton(tr("Range"), this))
    , m_values(new QLineEdit(this))
    , m_from(new QDoubleSpinBox(this))
    , m_to(new QDoubleSpinBox(this))
    , m_step(new QDoubleSpinBox(this))
    , m_list(new QTreeWidget(this))
    , m_summary(new QLabel(this))
{
    setObjectName(QStringLiteral("sweepDialog"));
    setWindowTitle(tr("Sweep %1").arg(display::text(quantizer(base.method).label())));
    m_parameter->setObjectName(QStringLiteral("sweepParameter"));
    m_values->setObjectName(QStringLiteral("sweepValues"));
    m_values->setPlaceholderText(tr("e.g. 2, 3, 4"));
    m_from->setObjectName(QStringLiteral("sweepFrom"));
    m_to->setObjectName(QStringLiteral("sweepTo"));
    m_step->setObjectName(QStringLiteral("sweepStep"));
    m_list->setObjectName(QStringLiteral("sweepRuns"));
    m_summary->setObjectName(QStringLiteral("sweepSummary"));
    m_paramHelp->setWordWrap(true);
    m_paramHelp->setStyleSheet(QStringLiteral("color: palette(mid);"));
    m_summary->setWordWrap(true);

    for (const ParamDef& def : m_schema.params) {
        m_parameter->addItem(display::text(def.name));
        m_parameter->setItemData(m_parameter->count() - 1, display::text(def.help), Qt::ToolTipRole);
    }
    for (QDoubleSpinBox* spin : { m_from, m_to, m_step })
        spin->setRange(-1e9, 1e9);

    auto* rangeRow = new QHBoxLayout;
    rangeRow->addWidget(new QLabel(tr("from"), this));
    rangeRow->addWidget(m_from, 1);
    rangeRow->addWidget(new QLabel(tr("to"), this));
    rangeRow->addWidget(m_to, 1);
    rangeRow->addWidget(new QLabel(tr("step"), this));
    rangeRow->addWidget(m_step, 1);

    auto* form = new QFormLayout;
    form->addRow(tr("Parameter"), m_parameter);
    form->addRow(QString(), m_paramHelp);
    form->addRow(m_listMode, m_values);
    form->addRow(m_rangeMode, rangeRow);

    m_list->setColumnCount(2);
    m_list->setHeaderLabels({ tr("Value"), tr("Bits/param") });
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->header()->setStretchLastSection(true);
    m_list->setSelectionMode(QAbstractItemView::NoSelection);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_queueButton = buttons->button(QDialogButtonBox::Ok);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_list, 1);
    layout->addWidget(m_summary);
    layout->addWidget(buttons);

    m_listMode->setChecked(true);
    connect(m_parameter, &QComboBox::currentIndexChanged, this, &SweepDialog::onParameterChanged);
    connect(m_listMode, &QRadioButton::toggled, this, &SweepDialog::recompute);
    connect(m_values, &QLineEdit::textChanged, this, [this] {
        if (!m_listMode->isChecked())
            m_listMode->setChecked(true);
        recompute();
    });
    for (QDoubleSpinBox* spin : { m_from, m_to, m_step })
        connect(spin, &QDoubleSpinBox::valueChanged, this, &SweepDialog::recompute);
    onParameterChanged();
    resize(420, 460);
}

const ParamDef* SweepDialog::currentDef() const
{
    const int i = m_parameter->currentIndex();
    return i >= 0 && i < int(m_schema.params.size()) ? &m_schema.params[size_t(i)] : nullptr;
}

bool SweepDialog::setParameter(const QString& name)
{
    const int i = m_parameter->findText(name);
    if (i < 0)
        return false;
    m_parameter->setCurrentIndex(i);
    return true;
}

QString SweepDialog::parameter() const
{
    return m_parameter->currentText();
}

void SweepDialog::setValuesText(const QString& text)
{
    m_listMode->setChecked(true);
    m_values->setText(text);
    recompute();
}

void SweepDialog::setRange(double from, double to, double step)
{
    const QSignalBlocker a(m_from), b(m_to), c(m_step);
    m_from->setValue(from);
    m_to->setValue(to);
    m_step->setValue(step);
    m_rangeMode->setChecked(true);
    recompute();
}

void SweepDialog::onParameterChanged()
{
    const ParamDef* def = currentDef();
    if (!def)
        return;
    m_paramHelp->setText(display::text(def->help));
    const bool numeric = isNumeric(*def);
    m_rangeMode->setEnabled(numeric);
    for (QDoubleSpinBox* spin : { m_from, m_to, m_step })
        spin->setEnabled(numeric);
    {
        const QSignalBlocker a(m_from), b(m_to), c(m_step), d(m_values);
        const int decimals = def->type == ParamDef::Type::Int ? 0 : 6;
        for (QDoubleSpinBox* spin : { m_from, m_to, m_step })
            spin->setDecimals(decimals);
        // A starting point the user edits: the current value and a few steps of 1 (or a tenth of the range).
        const nlohmann::json current = m_base.params.contains(def->name) ? m_base.params[def->name] : def->defaultValue;
        if (numeric) {
            const double v = current.get<double>();
            const double step = def->type == ParamDef::Type::Int ? 1.0 : std::max((def->max - def->min) / 10, 1e-6);
            m_from->setValue(v);
            m_to->setValue(std::min(def->max, v + 2 * step));
            m_step->setValue(step);
        }
        if (def->type == ParamDef::Type::Choice) {
            QStringList names;
            for (const std::string& c : def->choices)
                names << display::text(c);
            m_values->setText(names.join(QStringLiteral(", ")));
        } else if (def->type == ParamDef::Type::Bool) {
            m_values->setText(QStringLiteral("false, true"));
        } else {
            m_values->clear();
        }
    }
    if (!numeric)
        m_listMode->setChecked(true);
    recompute();
}

void SweepDialog::recompute()
{
    m_points.clear();
    m_list->clear();
    const ParamDef* def = currentDef();
    if (!def)
        return;
    const std::vector<nlohmann::json> values = m_listMode->isChecked()
        ? parseValues(*def, m_values->text(), &m_inputError)
        : rangeValues(*def, m_from->value(), m_to->value(), m_step->value(), &m_inputError);
    const Quantizer& q = quantizer(m_base.method);
    for (const nlohmann::json& value : values) {
        Point p;
        p.value = value;
        p.spec = m_base;
        p.spec.params[def->name] = value;
        try {
            p.spec = q.validate(p.spec, m_rows, m_dim);
            p.bitsPerParam = q.estimate(p.spec, m_rows, m_dim).bitsPerParam();
        } catch (const Error& e) {
            p.refusal = QString::fromUtf8(e.what());
        }
        auto* item = new QTreeWidgetItem(m_list);
        item->setText(0, jsonText(value));
        if (p.bitsPerParam) {
            item->setText(1, EstimateView::formatBitsPerParam(*p.bitsPerParam));
        } else {
            item->setText(1, tr("refused"));
            item->setToolTip(1, p.refusal);
            item->setToolTip(0, p.refusal);
            item->setForeground(1, QColor(0xc6, 0x28, 0x28));
        }
        m_points.push_back(std::move(p));
    }
    m_list->resizeColumnToContents(0);
    const int accepted = int(specs().size());
    m_summary->setText(summaryText());
    m_summary->setStyleSheet(m_inputError.isEmpty() ? QString() : QStringLiteral("color: #c62828;"));
    m_queueButton->setText(accepted == 1 ? tr("Queue 1 Run") : tr("Queue %1 Runs").arg(accepted));
    m_queueButton->setEnabled(accepted > 0);
}

std::vector<QuantSpec> SweepDialog::specs() const
{
    std::vector<QuantSpec> out;
    for (const Point& p : m_points)
        if (p.bitsPerParam)
            out.push_back(p.spec);
    return out;
}

QString SweepDialog::summaryText() const
{
    if (!m_inputError.isEmpty())
        return m_inputError;
    const int accepted = int(specs().size());
    const int refused = int(m_points.size()) - accepted;
    QString text = accepted == 1 ? tr("1 run") : tr("%1 runs").arg(accepted);
    if (refused > 0)
        text += tr("; %1 refused and skipped (hover for why)").arg(refused);
    return text;
}

} // namespace vq
