// ParamForm: the form of every registered method has one editor per schema parameter with the schema's
// type, range, default and help; spec() gives the resolved defaults and loadSpec() round-trips a spec.
#include "quant/registry.h"
#include "widgets/paramform.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>

#include <climits>

using namespace vq;

class TestParamForm : public QObject {
    Q_OBJECT
private slots:
    void everyMethodGetsItsSchema_data()
    {
        QTest::addColumn<QString>("method");
        for (const Quantizer* q : allQuantizers())
            QTest::newRow(q->name().c_str()) << QString::fromStdString(q->name());
    }

    void everyMethodGetsItsSchema()
    {
        QFETCH(QString, method);
        const Quantizer& q = quantizer(method.toStdString());
        ParamForm form;
        form.setSchema(q.name(), &q.schema());
        QCOMPARE(form.editorCount(), int(q.schema().params.size()));
        for (const ParamDef& def : q.schema().params) {
            QWidget* e = form.editor(def.name);
            QVERIFY2(e, def.name.c_str());
            QCOMPARE(e->objectName(), QString::fromStdString(def.name));
            QCOMPARE(e->toolTip(), QString::fromStdString(def.help));
            switch (def.type) {
            case ParamDef::Type::Int: {
                auto* spin = qobject_cast<QSpinBox*>(e);
                QVERIFY(spin);
                QCOMPARE(spin->minimum(), int(def.min));
                QCOMPARE(spin->maximum(), def.max > INT_MAX ? INT_MAX : int(def.max));
                QCOMPARE(spin->value(), def.defaultValue.get<int>());
                break;
            }
            case ParamDef::Type::Float: {
                auto* spin = qobject_cast<QDoubleSpinBox*>(e);
                QVERIFY(spin);
                QCOMPARE(spin->minimum(), def.min);
                QCOMPARE(spin->maximum(), def.max);
                QCOMPARE(spin->value(), def.defaultValue.get<double>());
                break;
            }
            case ParamDef::Type::Bool: {
                auto* box = qobject_cast<QCheckBox*>(e);
                QVERIFY(box);
                QCOMPARE(box->isChecked(), def.defaultValue.get<bool>());
                break;
            }
            case ParamDef::Type::Choice: {
                auto* combo = qobject_cast<QComboBox*>(e);
                QVERIFY(combo);
                QCOMPARE(combo->count(), int(def.choices.size()));
                QCOMPARE(combo->currentText(), QString::fromStdString(def.defaultValue.get<std::string>()));
                break;
            }
            case ParamDef::Type::Path: {
                auto* line = qobject_cast<QLineEdit*>(e);
                QVERIFY(line);
                QCOMPARE(line->text(), QString::fromStdString(def.defaultValue.get<std::string>()));
                break;
            }
            }
        }
        // At defaults the form's spec is the schema's resolution of an empty spec, types included.
        const QuantSpec defaults = q.schema().resolve(QuantSpec { q.name(), nlohmann::json::object() });
        QCOMPARE(QString::fromStdString(form.spec().toJson().dump()), QString::fromStdString(defaults.toJson().dump()));
    }

    void presetsRoundTrip_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<int>("preset");
        for (const Quantizer* q : allQuantizers())
            for (size_t i = 0; i < q->presets().size(); ++i)
                QTest::addRow("%s %s", q->name().c_str(), q->presets()[i].label.c_str())
                    << QString::fromStdString(q->name()) << int(i);
    }

    void presetsRoundTrip()
    {
        QFETCH(QString, method);
        QFETCH(int, preset);
        const Quantizer& q = quantizer(method.toStdString());
        QuantSpec spec = q.presets()[size_t(preset)].spec;
        spec.method = q.name();
        if (!spec.params.is_object())
            spec.params = nlohmann::json::object();
        ParamForm form;
        form.setSchema(q.name(), &q.schema());
        QSignalSpy changed(&form, &ParamForm::specChanged);
        form.loadSpec(spec);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(QString::fromStdString(form.spec().toJson().dump()),
            QString::fromStdString(q.schema().resolve(spec).toJson().dump()));
    }

    void editsChangeTheSpec()
    {
        const Quantizer& q = quantizer("pq");
        ParamForm form;
        form.setSchema(q.name(), &q.schema());
        QSignalSpy changed(&form, &ParamForm::specChanged);
        qobject_cast<QSpinBox*>(form.editor("d"))->setValue(5);
        qobject_cast<QCheckBox*>(form.editor("shared"))->setChecked(true);
        qobject_cast<QComboBox*>(form.editor("codebook"))->setCurrentIndex(1);
        qobject_cast<QDoubleSpinBox*>(form.editor("tolerance"))->setValue(0.002);
        QCOMPARE(changed.count(), 4);
        const QuantSpec spec = form.spec();
        QCOMPARE(spec.getInt("d"), int64_t(5));
        QCOMPARE(spec.getBool("shared"), true);
        QCOMPARE(spec.getString("codebook"), std::string("f32"));
        QCOMPARE(spec.getFloat("tolerance"), 0.002);
        // A value of the wrong type or an absent key shows the default; unknown keys are ignored.
        form.loadSpec(QuantSpec { "pq", { { "d", "x" }, { "bits", 6 }, { "nonsense", 1 } } });
        QCOMPARE(form.spec().getInt("d"), int64_t(4));
        QCOMPARE(form.spec().getInt("bits"), int64_t(6));
        QCOMPARE(form.spec().getBool("shared"), false);
        // Out-of-range values are clamped by the editor.
        form.loadSpec(QuantSpec { "pq", { { "bits", 99 } } });
        QCOMPARE(form.spec().getInt("bits"), int64_t(16));
    }

    // A file parameter: typed (the spec changes when editing ends) or loaded, "" for none.
    void pathParameter()
    {
        ParamSchema schema;
        schema.params.push_back({ "importance", ParamDef::Type::Path, 0, 0, "", {}, "weights file", false });
        ParamForm form;
        form.setSchema("m", &schema);
        auto* line = qobject_cast<QLineEdit*>(form.editor("importance"));
        QVERIFY(line);
        QCOMPARE(form.spec().getString("importance"), std::string());
        QSignalSpy changed(&form, &ParamForm::specChanged);
        line->setText(QStringLiteral("/data/imatrix.npy"));
        QCOMPARE(changed.count(), 0); // not on every keystroke
        emit line->editingFinished();
        QCOMPARE(changed.count(), 1);
        QCOMPARE(form.spec().getString("importance"), std::string("/data/imatrix.npy"));
        form.loadSpec(QuantSpec { "m", { { "importance", "/other/w.npy" } } });
        QCOMPARE(line->text(), QStringLiteral("/other/w.npy"));
        form.loadSpec(QuantSpec { "m", { { "importance", 3 } } }); // wrong type: the default
        QCOMPARE(line->text(), QString());
        QCOMPARE(line->actions().size(), 1);
        QCOMPARE(line->actions().front()->toolTip(), QStringLiteral("Choose a file…"));
    }

    void decimalsShowTheSchemaValues()
    {
        ParamDef lr { "lr", ParamDef::Type::Float, 1e-5, 1, 0.002, {}, "step", true };
        QCOMPARE(ParamForm::decimalsFor(lr), 5);
        ParamDef frac { "lambda", ParamDef::Type::Float, 0, 1, 0.02, {}, "fraction", false };
        QCOMPARE(ParamForm::decimalsFor(frac), 2);
        ParamDef tol { "tolerance", ParamDef::Type::Float, 0, 1, 0.0001, {}, "tol", false };
        QCOMPARE(ParamForm::decimalsFor(tol), 4);
    }
};

QTEST_MAIN(TestParamForm)
#include "tst_paramform.moc"
