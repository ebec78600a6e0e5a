// MethodPanel on the real 20000 x 100 GloVe table: the cost shown equals the method's estimate(), a
// refused spec disables Run, Run and Sweep queue the right specs, the preview publishes the sample's run
// as the single preview entry, and editSpecRequested loads a spec into the form.
#include "appcontext.h"
#include "dialogs/sweepdialog.h"
#include "panels/methodpanel.h"
#include "quant/registry.h"
#include "runners/previewrunner.h"
#include "runners/runqueue.h"
#include "widgets/estimateview.h"
#include "widgets/paramform.h"

#include "quantchecks.h"
#include "randomtables.h"
#include "testutil.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTest>

using namespace vq;

namespace {

constexpr int kTimeoutMs = 60000;

std::shared_ptr<const EmbeddingTable> gloveTable(int64_t rows)
{
    auto table = std::make_shared<EmbeddingTable>();
    table->values = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"), rows);
    table->source.file = vqtest::samplePath("glove-20k.npy");
    table->source.checksum = tableChecksum(table->values);
    return table;
}

// A random table of the given shape (what the form's checks depend on), seeded.
std::shared_ptr<const EmbeddingTable> randomTable(int64_t rows, int64_t dim)
{
    auto table = std::make_shared<EmbeddingTable>();
    table->values = vqtest::randomMatrix(rows, dim, 11);
    table->source.file = "random.npy";
    table->source.checksum = tableChecksum(table->values);
    return table;
}

const std::shared_ptr<const EmbeddingTable>& glove20k()
{
    static const std::shared_ptr<const EmbeddingTable> table = gloveTable(20000);
    return table;
}

QSpinBox* intEditor(MethodPanel& panel, const char* name)
{
    return qobject_cast<QSpinBox*>(panel.form()->editor(name));
}

bool waitCount(QSignalSpy& spy, int count)
{
    while (spy.count() < count)
        if (!spy.wait(kTimeoutMs))
            return false;
    return true;
}

} // namespace

class TestMethodPanel : public QObject {
    Q_OBJECT
private slots:
    void listsEveryMethodWithItsForm()
    {
        AppContext context;
        RunQueue queue(&context);
        MethodPanel panel(&context, &queue);
        QCOMPARE(panel.methodCombo()->count(), int(allQuantizers().size()));
        for (const Quantizer* q : allQuantizers()) {
            QVERIFY(panel.setMethod(QString::fromStdString(q->name())));
            QCOMPARE(panel.form()->editorCount(), int(q->schema().params.size()));
            QCOMPARE(panel.methodCombo()->currentText().contains(QStringLiteral("baseline")), q->isBaseline());
            // Custom plus one entry per preset.
            QCOMPARE(panel.presetCombo()->count(), int(q->presets().size()) + 1);
        }
        // No table: nothing to run, the cost view says why.
        QVERIFY(!panel.runButton()->isEnabled());
        QVERIFY(!panel.estimateView()->budget().has_value());
    }

    void showsTheEstimate_data()
    {
        QTest::addColumn<QString>("json");
        QTest::newRow("pq d4 b8") << QStringLiteral(R"({"method":"pq","params":{"d":4,"bits":8}})");
        QTest::newRow("rtn int4 row") << QStringLiteral(R"({"method":"rtn","params":{"bits":4,"group":0}})");
        QTest::newRow("rtn asym g20") << QStringLiteral(
            R"({"method":"rtn","params":{"bits":3,"group":20,"mode":"asym"}})");
        QTest::newRow("grvq") << QStringLiteral(R"({"method":"grvq","params":{"h":4,"R":2,"kappa":6}})");
        QTest::newRow("aqlm 1x8") << QStringLiteral(R"({"method":"aqlm","params":{"M":1,"B":8,"g":4}})");
        QTest::newRow("carvq") << QStringLiteral(R"({"method":"carvq","params":{"h":4}})");
    }

    void showsTheEstimate()
    {
        QFETCH(QString, json);
        AppContext context;
        context.setTable(glove20k(), std::make_shared<TableStats>());
        RunQueue queue(&context);
        MethodPanel panel(&context, &queue);
        const QuantSpec spec = QuantSpec::fromJson(nlohmann::json::parse(json.toStdString()));
        QVERIFY(panel.loadSpec(spec));
        const Quantizer& q = quantizer(spec.method);
        const BitBudget expected = q.estimate(q.validate(spec, 20000, 100), 20000, 100);
        QVERIFY(panel.refusal().isEmpty());
        QVERIFY(panel.runButton()->isEnabled());
        const auto& shown = panel.estimateView()->budget();
        QVERIFY(shown.has_value());
        QCOMPARE(shown->totalBits(), expected.totalBits());
        QCOMPARE(shown->bitsPerParam(), expected.bitsPerParam());
        QVERIFY2(panel.estimateView()->headlineText().startsWith(
                     EstimateView::formatBitsPerParam(expected.bitsPerParam()) + QStringLiteral(" bits/param")),
            qPrintable(panel.estimateView()->headlineText()));
        QCOMPARE(panel.estimateView()->breakdownLines().size(), int(expected.items.size()));
    }

    void knownNumbersAndWarnings()
    {
        AppContext context;
        context.setTable(glove20k(), std::make_shared<TableStats>());
        RunQueue queue(&context);
        MethodPanel panel(&context, &queue);
        panel.setMethod(QStringLiteral("rtn"));
        intEditor(panel, "bits")->setValue(4);
        intEditor(panel, "group")->setValue(0);
        // RTN b + 16/G with G the whole row of 100: 4.16 bits/param.
        QCOMPARE(panel.estimateView()->budget()->bitsPerParam(), 4.16);
        QVERIFY(panel.estimateView()->headlineText().startsWith(QStringLiteral("4.16 bits/param")));

        // PQ d4 8 bits: 2 code bits + 25 fp16 codebooks of 256 x 4 on 2e6 params = 0.2048.
        panel.setMethod(QStringLiteral("pq"));
        intEditor(panel, "d")->setValue(4);
        intEditor(panel, "bits")->setValue(8);
        QCOMPARE(panel.estimateView()->budget()->bitsPerParam(), 2.0 + 25.0 * 256 * 4 * 16 / 2e6);
        QCOMPARE(panel.presetCombo()->currentText(), QStringLiteral("PQ d4 8-bit (~2 bits)"));

        // AQLM 1x16 on 20000 rows: valid but warned (too few rows per centroid).
        panel.setMethod(QStringLiteral("aqlm"));
        intEditor(panel, "M")->setValue(1);
        intEditor(panel, "B")->setValue(16);
        intEditor(panel, "g")->setValue(4);
        QVERIFY(panel.refusal().isEmpty());
        QVERIFY(!panel.estimateView()->warningTexts().isEmpty());
        QVERIFY(panel.runButton()->isEnabled());
    }

    void refusedSpecDisablesRun()
    {
        AppContext context;
        context.setTable(glove20k(), std::make_shared<TableStats>());
        RunQueue queue(&context);
        MethodPanel panel(&context, &queue);
        panel.setMethod(QStringLiteral("pq"));
        QVERIFY(panel.runButton()->isEnabled());
        intEditor(panel, "d")->setValue(7);
        QVERIFY(!panel.runButton()->isEnabled());
        QVERIFY2(panel.refusal().contains(QStringLiteral("'d'")), qPrintable(panel.refusal()));
        QCOMPARE(panel.estimateView()->refusalText(), panel.refusal());
        QVERIFY(!panel.estimateView()->budget().has_value());
        QCOMPARE(panel.queueRun(), RunKey(0));
        QCOMPARE(context.runCount(), 0);
        intEditor(panel, "d")->setValue(5);
        QVERIFY(panel.runButton()->isEnabled());
        QVERIFY(panel.estimateView()->refusalText().isEmpty());
    }

    void runQueuesADoneRun()
    {
        AppContext context;
        context.setTable(glove20k(), std::make_shared<TableStats>());
        RunQueue queue(&context);
        MethodPanel panel(&context, &queue);
        QSignalSpy finished(&queue, &RunQueue::runFinished);
        panel.setMethod(QStringLiteral("rtn"));
        intEditor(panel, "bits")->setValue(5);
        panel.seedSpin()->setValue(99);
        panel.recallCheck()->setChecked(false);
        QTest::mouseClick(panel.runButton(), Qt::LeftButton);
        QCOMPARE(context.runCount(), 1);
        QVERIFY(waitCount(finished, 1));
        QCOMPARE(finished.at(0).at(1).value<RunStatus>(), RunStatus::Done);
        const RunRecord& record = *context.runAt(0).record;
        QCOMPARE(record.spec.getInt("bits"), int64_t(5));
        QCOMPARE(record.provenance.seed, uint64_t(99));
        QCOMPARE(record.provenance.rows, int64_t(20000));
        QVERIFY(!record.metrics.contains("neighbourRecall") || record.metrics["neighbourRecall"].is_null());
        QVERIFY(!context.runAt(0).preview);
    }

    void sweepQueuesOneRunPerAcceptedValue()
    {
        AppContext context;
        context.setTable(glove20k(), std::make_shared<TableStats>());
        RunQueue queue(&context);
        MethodPanel panel(&context, &queue);
        QSignalSpy finished(&queue, &RunQueue::runFinished);
        panel.setMethod(QStringLiteral("rtn"));
        SweepDialog* dialog = panel.openSweepDialog();
        QVERIFY(dialog);
        QVERIFY(dialog->setParameter(QStringLiteral("bits")));
        dialog->setValuesText(QStringLiteral("2, 3, 4, 9"));
        QCOMPARE(int(dialog->points().size()), 4);
        QCOMPARE(int(dialog->specs().size()), 3);
        // 9 is out of the schema's range: listed, refused, skipped.
        QVERIFY(!dialog->points()[3].bitsPerParam.has_value());
        QVERIFY(dialog->points()[3].refusal.contains(QStringLiteral("'bits'")));
        QCOMPARE(*dialog->points()[0].bitsPerParam, 2.16);
        QCOMPARE(dialog->queueButton()->text(), QStringLiteral("Queue 3 Runs"));

        // Range mode on the other parameter: group sizes that do not divide 100 are refused.
        QVERIFY(dialog->setParameter(QStringLiteral("group")));
        dialog->setRange(10, 30, 5);
        QCOMPARE(int(dialog->points().size()), 5); // 10 15 20 25 30
        QCOMPARE(int(dialog->specs().size()), 3); // 10 20 25
        QCOMPARE(dialog->specs()[1].getInt("group"), int64_t(20));
        dialog->setValuesText(QStringLiteral("2, x"));
        QVERIFY(dialog->specs().empty());
        QVERIFY(!dialog->queueButton()->isEnabled());
        QVERIFY(dialog->inputError().contains(QStringLiteral("'x'")));

        QVERIFY(dialog->setParameter(QStringLiteral("bits")));
        dialog->setValuesText(QStringLiteral("2 3 4 9"));
        dialog->queueButton()->click();
        QCOMPARE(context.runCount(), 3);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(context.runAt(i).record->spec.getInt("bits"), int64_t(2 + i));
            QCOMPARE(context.runAt(i).record->spec.getInt("group"), int64_t(0));
        }
        QVERIFY(waitCount(finished, 3));
        for (int i = 0; i < 3; ++i)
            QCOMPARE(context.runAt(i).record->status, RunStatus::Done);
    }

    void previewPublishesAndReplacesTheEntry()
    {
        AppContext context;
        context.setTable(glove20k(), std::make_shared<TableStats>());
        RunQueue queue(&context);
        MethodPanel panel(&context, &queue);
        PreviewRunner* runner = panel.previewRunner();
        QSignalSpy started(runner, &PreviewRunner::started);
        QSignalSpy finished(runner, &PreviewRunner::finished);
        QSignalSpy dropped(runner, &PreviewRunner::dropped);
        panel.setMethod(QStringLiteral("rtn"));
        intEditor(panel, "bits")->setValue(4);
        QVERIFY(!panel.runFullButton()->isEnabled());

        panel.previewCheck()->setChecked(true);
        // Edits within the delay make one preview.
        intEditor(panel, "bits")->setValue(6);
        intEditor(panel, "bits")->setValue(5);
        QVERIFY(waitCount(finished, 1));
        QCOMPARE(started.count(), 1);
        const RunKey key = finished.at(0).at(1).value<RunKey>();
        QCOMPARE(context.runCount(), 1);
        const RunEntry& entry = context.runAt(0);
        QVERIFY(entry.preview);
        QCOMPARE(entry.key, key);
        QCOMPARE(context.currentRun(), key);
        QCOMPARE(entry.record->provenance.rows, runner->sampleRows());
        QCOMPARE(int64_t(entry.record->fullMetrics->reconstruction.tokenMse.size()), int64_t(4096));
        QCOMPARE(entry.record->spec.getInt("bits"), int64_t(5));
        QVERIFY(panel.runFullButton()->isEnabled());

        // A slow spec, then an edit once it started: the slow one is cancelled and dropped.
        panel.setMethod(QStringLiteral("aqlm"));
        intEditor(panel, "g")->setValue(4);
        intEditor(panel, "beam")->setValue(4);
        intEditor(panel, "maxRounds")->setValue(200);
        QVERIFY(panel.refusal().isEmpty());
        QVERIFY(waitCount(started, 2));
        panel.setMethod(QStringLiteral("rtn"));
        intEditor(panel, "bits")->setValue(3);
        QVERIFY(waitCount(finished, 2));
        QVERIFY(waitCount(dropped, 1));
        QCOMPARE(finished.at(1).at(1).value<RunKey>(), key);
        QCOMPARE(context.runCount(), 1);
        QCOMPARE(context.run(key)->record->spec.method, std::string("rtn"));
        QCOMPARE(context.run(key)->record->spec.getInt("bits"), int64_t(3));

        // Run full queues the previewed spec on the whole table.
        QSignalSpy queueFinished(&queue, &RunQueue::runFinished);
        panel.runFullButton()->click();
        QCOMPARE(context.runCount(), 2);
        QVERIFY(!context.runAt(1).preview);
        QCOMPARE(context.runAt(1).record->spec.getInt("bits"), int64_t(3));
        QVERIFY(waitCount(queueFinished, 1));
        QCOMPARE(context.runAt(1).record->provenance.rows, int64_t(20000));
    }

    void editSpecRequestedLoadsTheSpec()
    {
        AppContext context;
        context.setTable(glove20k(), std::make_shared<TableStats>());
        RunQueue queue(&context);
        MethodPanel panel(&context, &queue);
        panel.setMethod(QStringLiteral("rtn"));
        context.requestEditSpec(QuantSpec { "grvq", { { "h", 4 }, { "R", 2 }, { "codebook", "bf16" } } });
        QCOMPARE(panel.method(), QStringLiteral("grvq"));
        QCOMPARE(intEditor(panel, "h")->value(), 4);
        QCOMPARE(intEditor(panel, "R")->value(), 2);
        const QuantSpec spec = panel.spec();
        QCOMPARE(spec.getString("codebook"), std::string("bf16"));
        QCOMPARE(spec.getInt("kappa"), int64_t(4)); // the default
        QCOMPARE(panel.presetCombo()->currentText(), QStringLiteral("Custom"));
        const Quantizer& q = quantizer("grvq");
        QCOMPARE(panel.estimateView()->budget()->bitsPerParam(),
            q.estimate(q.validate(spec, 20000, 100), 20000, 100).bitsPerParam());

        // A preset's spec selects the preset: on 100 columns "AQLM 2x8 g8" stands for g 10.
        context.requestEditSpec(QuantSpec { "aqlm", { { "M", 2 }, { "B", 8 }, { "g", 10 } } });
        QCOMPARE(panel.presetCombo()->currentText(), QStringLiteral("AQLM 2x8 g8 · g 8 → 10"));
        // The spec as requested stays as it is, refused, with the nearest accepted value offered.
        context.requestEditSpec(QuantSpec { "aqlm", { { "M", 2 }, { "B", 8 }, { "g", 8 } } });
        QCOMPARE(intEditor(panel, "g")->value(), 8);
        QCOMPARE(panel.presetCombo()->currentText(), QStringLiteral("Custom"));
        QVERIFY(!panel.refusal().isEmpty());
        QVERIFY2(panel.verdictLabel()->text().contains(QStringLiteral("Use g 8 → 10")),
            qPrintable(panel.verdictLabel()->text()));
    }

    // On a 100-column table (the bundled sample's shape) every method's default is accepted, or refused
    // with the valid values listed; presets fit or are disabled with the reason.
    void defaultsAndPresetsFitTheTable()
    {
        AppContext context;
        context.setTable(randomTable(20000, 100), std::make_shared<TableStats>());
        RunQueue queue(&context);
        MethodPanel panel(&context, &queue);
        for (const Quantizer* q : allQuantizers()) {
            const QString name = QString::fromStdString(q->name());
            QVERIFY(panel.setMethod(name));
            // The llama.cpp block formats: no parameter moves their block (32, or 256 for the K-quants).
            const bool block = q->isBaseline() && name != QStringLiteral("rtn");
            if (block) {
                QVERIFY2(panel.refusal().contains(QStringLiteral("... columns (the nearest: ")),
                    qPrintable(panel.refusal()));
                QVERIFY(!panel.runButton()->isEnabled());
            } else {
                QVERIFY2(panel.refusal().isEmpty(), qPrintable(name + u": " + panel.refusal()));
                QVERIFY(panel.runButton()->isEnabled());
            }
            const auto* model = qobject_cast<const QStandardItemModel*>(panel.presetCombo()->model());
            QVERIFY(model);
            QCOMPARE(int(panel.presetSpecs().size()), int(q->presets().size()));
            for (int i = 1; i < panel.presetCombo()->count(); ++i) {
                const QStandardItem* item = model->item(i);
                const QString tip = item->data(Qt::ToolTipRole).toString();
                if (block) {
                    // A preset that cannot fit: listed, disabled, and the tooltip says why.
                    QVERIFY(!item->isEnabled());
                    QVERIFY2(tip.startsWith(QStringLiteral("Does not fit the loaded table")), qPrintable(tip));
                    QVERIFY(tip.contains(QStringLiteral("block size ")));
                } else {
                    QVERIFY2(item->isEnabled(), qPrintable(item->text()));
                    QCOMPARE(q->validate(panel.presetSpecs()[size_t(i - 1)], 20000, 100),
                        panel.presetSpecs()[size_t(i - 1)]);
                }
            }
        }
        // The defaults the issue found refused, now fitted, and the change said.
        QVERIFY(panel.setMethod(QStringLiteral("grvq")));
        QCOMPARE(intEditor(panel, "h")->value(), 10);
        QCOMPARE(panel.messageLabel()->text(), QStringLiteral("Adapted to the 20000 × 100 table: h 8 → 10"));
        // The PQ d8 preset reads what it becomes here, and choosing it gives a spec that runs.
        QVERIFY(panel.setMethod(QStringLiteral("pq")));
        const int d8 = panel.presetCombo()->findText(QStringLiteral("PQ d8 8-bit (~1 bit) · d 8 → 10"));
        QVERIFY(d8 > 0);
        panel.presetCombo()->setCurrentIndex(d8);
        emit panel.presetCombo()->activated(d8);
        QCOMPARE(intEditor(panel, "d")->value(), 10);
        QVERIFY(panel.runButton()->isEnabled());
        QCOMPARE(panel.presetCombo()->currentIndex(), d8);
    }

    void verdictStaysBesideRun()
    {
        AppContext context;
        context.setTable(randomTable(20000, 100), std::make_shared<TableStats>());
        RunQueue queue(&context);
        MethodPanel panel(&context, &queue);
        panel.resize(300, 400);
        panel.show();
        QVERIFY(panel.setMethod(QStringLiteral("grvq")));
        // Outside the scrolled form, in the footer with Run: visible however far the form is scrolled.
        for (QWidget* w = panel.verdictLabel(); w && w != &panel; w = w->parentWidget())
            QVERIFY(!qobject_cast<QScrollArea*>(w));
        QCOMPARE(panel.verdictLabel()->parentWidget(), panel.runButton()->parentWidget());
        QVERIFY(panel.verdictLabel()->isVisible());
        QVERIFY(panel.verdictLabel()->text().contains(QStringLiteral(" bits/param · ")));

        intEditor(panel, "h")->setValue(3);
        const QString refused = panel.verdictLabel()->text();
        QVERIFY2(refused.contains(QStringLiteral("Refused:")), qPrintable(refused));
        QVERIFY2(refused.contains(QStringLiteral("use one of 1, 2, 4, 5, 10, 20, 25, 50, 100")), qPrintable(refused));
        QVERIFY(!panel.runButton()->isEnabled());
        // The offered fix: the nearest accepted value (2 and 4 are as near; the smaller one).
        QVERIFY(refused.contains(QStringLiteral("Use h 3 → 2")));
        emit panel.verdictLabel()->linkActivated(QStringLiteral("fix"));
        QCOMPARE(intEditor(panel, "h")->value(), 2);
        QVERIFY(panel.runButton()->isEnabled());
        QVERIFY(!panel.verdictLabel()->text().contains(QStringLiteral("Refused")));
    }

    void tabOrderFollowsTheLayout()
    {
        AppContext context;
        context.setTable(randomTable(2000, 100), std::make_shared<TableStats>());
        RunQueue queue(&context);
        MethodPanel panel(&context, &queue);
        QVERIFY(panel.setMethod(QStringLiteral("grvq")));
        QList<QWidget*> expected { panel.methodCombo(), panel.presetCombo() };
        for (const ParamDef& def : panel.form()->schema()->params)
            expected.append(panel.form()->editor(def.name));
        expected << panel.weightsCombo() << panel.seedSpin() << panel.threadsSpin() << panel.previewCheck()
                 << panel.sweepButton() << panel.runButton();
        // Where each one comes in the focus chain from the method combo on.
        QList<QWidget*> chain;
        for (QWidget* w = panel.methodCombo(); w && chain.size() < 500; w = w->nextInFocusChain()) {
            if (chain.contains(w))
                break;
            chain.append(w);
        }
        int last = -1;
        for (QWidget* w : expected) {
            const int at = int(chain.indexOf(w));
            QVERIFY2(at > last, qPrintable(w->objectName()));
            last = at;
        }
    }

    void sweepSkipsWhatIsAlreadyRun()
    {
        AppContext context;
        context.setTable(randomTable(2000, 100), std::make_shared<TableStats>());
        RunQueue queue(&context);
        MethodPanel panel(&context, &queue);
        QSignalSpy finished(&queue, &RunQueue::runFinished);
        panel.setMethod(QStringLiteral("rtn"));
        panel.recallCheck()->setChecked(false);
        intEditor(panel, "bits")->setValue(3);
        QVERIFY(panel.queueRun() != 0);
        QVERIFY(waitCount(finished, 1));

        SweepDialog* dialog = panel.openSweepDialog();
        QVERIFY(dialog->setParameter(QStringLiteral("bits")));
        dialog->setValuesText(QStringLiteral("2, 3, 4"));
        QVERIFY(!dialog->rerunDone());
        dialog->queueButton()->click();
        // bits 3 is done with the same spec, table, weights and seed: not queued again.
        QCOMPARE(context.runCount(), 3);
        QCOMPARE(context.runAt(1).record->spec.getInt("bits"), int64_t(2));
        QCOMPARE(context.runAt(2).record->spec.getInt("bits"), int64_t(4));
        QVERIFY2(panel.messageLabel()->text().contains(QStringLiteral("Skipped 1 already run")),
            qPrintable(panel.messageLabel()->text()));
        QVERIFY(waitCount(finished, 3));

        // Unless asked; the re-run gets a name of its own.
        dialog = panel.openSweepDialog();
        QVERIFY(dialog->setParameter(QStringLiteral("bits")));
        dialog->setValuesText(QStringLiteral("3"));
        dialog->setRerunDone(true);
        dialog->queueButton()->click();
        QCOMPARE(context.runCount(), 4);
        QCOMPARE(context.runAt(3).record->id, context.runAt(0).record->id);
        QCOMPARE(context.runAt(0).record->name, std::string("rtn 3-bit group=0"));
        QCOMPARE(context.runAt(3).record->name, std::string("rtn 3-bit group=0 #2"));
        QVERIFY(waitCount(finished, 4));
    }

    void runActionsWithShortcuts()
    {
        AppContext context;
        context.setTable(randomTable(2000, 100), std::make_shared<TableStats>());
        RunQueue queue(&context);
        MethodPanel panel(&context, &queue);
        const QList<QAction*> actions = panel.runActions();
        QCOMPARE(actions.size(), 4);
        QCOMPARE(actions[0]->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_R));
        QCOMPARE(actions[1]->shortcut(), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
        panel.setMethod(QStringLiteral("rtn"));
        QVERIFY(actions[0]->isEnabled());
        actions[0]->trigger();
        QCOMPARE(context.runCount(), 1);
        // A refused spec: the action is off like the button.
        intEditor(panel, "group")->setValue(30);
        QVERIFY(!actions[0]->isEnabled());
        // Preview follows its check box both ways.
        actions[3]->setChecked(true);
        QVERIFY(panel.previewCheck()->isChecked());
        panel.previewCheck()->setChecked(false);
        QVERIFY(!actions[3]->isChecked());
        QVERIFY(!actions[1]->isEnabled()); // no preview to run in full
        queue.cancelAll();
    }
};

QTEST_MAIN(TestMethodPanel)
#include "tst_methodpanel.moc"
