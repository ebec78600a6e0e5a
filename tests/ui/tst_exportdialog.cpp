// ExportDialog and File > Export Run…: a real PQ run on GloVe rows exported through the dialog, read back
// with core; errors are shown naming the file; the menu action follows the current run.
#include "appcontext.h"
#include "dialogs/exportdialog.h"
#include "export/artifact.h"
#include "io/embeddingloader.h"
#include "io/ggufreader.h"
#include "io/hdf5lock.h"
#include "mainwindow.h"
#include "runners/runqueue.h"

#include "ggufchecks.h"
#include "quantchecks.h"
#include "testutil.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>

using namespace vq;

namespace {

constexpr int kTimeoutMs = 60000;
constexpr int64_t kRows = 2000;

std::shared_ptr<const EmbeddingTable> gloveTable(int64_t rows)
{
    auto table = std::make_shared<EmbeddingTable>();
    table->values = vqtest::readNpySlice(vqtest::sharedPath("glove-20k.npy"), rows);
    table->source.file = vqtest::sharedPath("glove-20k.npy");
    table->source.format = "NumPy";
    table->source.checksum = tableChecksum(table->values);
    return table;
}

QuantSpec pqSpec()
{
    return QuantSpec { "pq", { { "d", 4 }, { "bits", 8 } } };
}

bool waitIdle(ExportRunner* runner)
{
    QSignalSpy busy(runner, &ExportRunner::busyChanged);
    while (runner->isBusy())
        if (!busy.wait(kTimeoutMs))
            return false;
    return true;
}

QStringList entries(const QString& folder)
{
    return QDir(folder).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
}

} // namespace

class TestExportDialog : public QObject {
    Q_OBJECT
private:
    std::shared_ptr<const EmbeddingTable> m_table;
    std::shared_ptr<const RunRecord> m_pq;

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        m_table = gloveTable(kRows);
        AppContext context;
        context.setTable(m_table, std::make_shared<TableStats>());
        RunQueue queue(&context);
        QSignalSpy finished(&queue, &RunQueue::runFinished);
        const RunKey key = queue.enqueue(pqSpec());
        QVERIFY(finished.wait(kTimeoutMs));
        m_pq = context.run(key)->record;
        QCOMPARE(m_pq->status, RunStatus::Done);
    }

    void exportsEveryCheckedKind()
    {
        QTemporaryDir dir;
        ExportDialog dialog(m_pq, m_table);
        dialog.setOutputFolder(dir.path());
        // Defaults: the artifact and the report; a NumPy source cannot be patched.
        QVERIFY(dialog.isChecked(ExportKind::Artifact));
        QVERIFY(dialog.isChecked(ExportKind::Report));
        QVERIFY(!dialog.isChecked(ExportKind::Dequantized));
        QVERIFY(!dialog.isAvailable(ExportKind::PatchedCheckpoint));
        QVERIFY(dialog.findChild<QLabel*>(QStringLiteral("patchSource"))->text().contains(QStringLiteral("NumPy")));
        const QString base = QString::fromStdString(m_pq->id);
        QCOMPARE(dialog.path(ExportKind::Artifact), QDir(dir.path()).filePath(base + QStringLiteral(".vq.h5")));
        QCOMPARE(dialog.path(ExportKind::ArtifactSafetensors),
            QDir(dir.path()).filePath(base + QStringLiteral(".vq.safetensors")));

        dialog.setChecked(ExportKind::ArtifactSafetensors, true);
        dialog.setChecked(ExportKind::Dequantized, true);
        dialog.setDequantizedSafetensors(true);
        dialog.setDequantizedDtype(DType::F16);
        dialog.setChecked(ExportKind::MetricsJson, true);
        dialog.setPerTokenJson(true);
        dialog.setChecked(ExportKind::TokenCsv, true);
        QVERIFY(dialog.path(ExportKind::Dequantized).endsWith(QStringLiteral("-dequantized.safetensors")));
        // The report holds the dialog's own error histogram, then the caller's charts.
        QImage extra(50, 20, QImage::Format_RGB32);
        extra.fill(Qt::darkGreen);
        dialog.setChartImages({ { QStringLiteral("caller chart"), extra } });
        QCOMPARE(dialog.reportCharts().size(), 2);
        QCOMPARE(dialog.reportCharts().at(1).first, QStringLiteral("caller chart"));

        QSignalSpy written(dialog.runner(), &ExportRunner::written);
        dialog.findChild<QPushButton*>(QStringLiteral("exportButton"))->click();
        QVERIFY(dialog.runner()->isBusy());
        QVERIFY(waitIdle(dialog.runner()));
        QCOMPARE(written.count(), 6);
        QCOMPARE(dialog.progressBar()->value(), dialog.progressBar()->maximum());
        QVERIFY2(dialog.statusText().startsWith(QStringLiteral("Wrote ")), qPrintable(dialog.statusText()));
        QCOMPARE(entries(dir.path()).size(), 6);

        // The artifact decodes to the run's values exactly.
        const ArtifactContents back = readArtifact(dialog.path(ExportKind::Artifact).toStdString());
        const Matrix a = back.table.decodeAll();
        const Matrix b = m_pq->table->decodeAll();
        QVERIFY(a.values.size() == b.values.size()
            && std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(float)) == 0);
        // The report shows the relative MSE as the app does and both charts as PNG images.
        QFile report(dialog.path(ExportKind::Report));
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QString html = QString::fromUtf8(report.readAll());
        const double relMse = m_pq->metrics["reconstruction"]["relMse"].get<double>();
        QVERIFY(html.contains(
            QStringLiteral("<th>Relative MSE</th><td class=\"num\">%1</td>").arg(QString::number(relMse, 'g', 4))));
        const QRegularExpression re(QStringLiteral("data:image/png;base64,([A-Za-z0-9+/=]+)"));
        int images = 0;
        for (auto it = re.globalMatch(html); it.hasNext(); ++images) {
            const QImage image = QImage::fromData(QByteArray::fromBase64(it.next().captured(1).toLatin1()), "PNG");
            QVERIFY(!image.isNull() && image.width() > 0);
        }
        QCOMPARE(images, 2);
    }

    void showsErrorsNamingTheFile()
    {
        QTemporaryDir dir;
        ExportDialog dialog(m_pq, m_table);
        dialog.setOutputFolder(dir.path());
        dialog.setChecked(ExportKind::Report, false);
        const QString missing = dir.filePath(QStringLiteral("gone/run.vq.h5"));
        dialog.setPath(ExportKind::Artifact, missing);
        dialog.startExport();
        QVERIFY(waitIdle(dialog.runner()));
        QVERIFY2(dialog.statusText().contains(missing), qPrintable(dialog.statusText()));
        QVERIFY(dialog.statusText().startsWith(QStringLiteral("Could not write the artifact: ")));
        QCOMPARE(dialog.progressBar()->value(), 0);
        QCOMPARE(entries(dir.path()), QStringList());

        // Form problems are shown before anything starts.
        dialog.setChecked(ExportKind::Artifact, false);
        dialog.startExport();
        QVERIFY(!dialog.runner()->isBusy());
        QVERIFY(dialog.statusText().startsWith(QStringLiteral("Nothing to export")));
        dialog.setChecked(ExportKind::Dequantized, true);
        dialog.setDequantizedDtype(DType::BF16);
        QString problem;
        QVERIFY(dialog.requests(&problem).isEmpty());
        QVERIFY(problem.contains(QStringLiteral("BF16")));
        // Switching to safetensors makes BF16 possible.
        dialog.setDequantizedSafetensors(true);
        dialog.setDequantizedDtype(DType::BF16);
        const QList<ExportRequest> requests = dialog.requests(&problem);
        QCOMPARE(requests.size(), 1);
        QCOMPARE(requests[0].dtype, DType::BF16);
    }

    void cancelWhileWritingLeavesNoFile()
    {
        QTemporaryDir dir;
        ExportDialog dialog(m_pq, m_table);
        dialog.setOutputFolder(dir.path());
        dialog.setChecked(ExportKind::Dequantized, true);
        QSignalSpy cancelled(dialog.runner(), &ExportRunner::cancelled);
        {
            // The HDF5 lock parks the artifact writer (the first request) so the cancel lands mid-export.
            const Hdf5Lock lock;
            dialog.startExport();
            QVERIFY(dialog.runner()->isBusy());
            // Close (Escape) while busy cancels instead of closing.
            dialog.reject();
            QVERIFY(dialog.statusText().startsWith(QStringLiteral("Cancelling")));
        }
        QVERIFY(waitIdle(dialog.runner()));
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(entries(dir.path()), QStringList());
    }

    // A run on a GGUF table: the patched GGUF (type choice, the tied-head note) and the standalone GGUF
    // written through the dialog, read back with core.
    void exportsGgufFiles()
    {
        QTemporaryDir dir;
        auto table = std::make_shared<const EmbeddingTable>(
            loadEmbedding(vqtest::dataPath("table-q8_0.gguf"), {}, nullRunControl()));
        AppContext context;
        context.setTable(table, std::make_shared<TableStats>());
        RunQueue queue(&context);
        QSignalSpy finished(&queue, &RunQueue::runFinished);
        const RunKey key = queue.enqueue(QuantSpec { "rtn", { { "bits", 4 }, { "group", 32 }, { "mode", "sym" } } });
        QVERIFY(finished.wait(kTimeoutMs));
        const std::shared_ptr<const RunRecord> record = context.run(key)->record;
        QCOMPARE(record->status, RunStatus::Done);

        ExportDialog dialog(record, table);
        dialog.setOutputFolder(dir.path());
        QVERIFY(dialog.isAvailable(ExportKind::PatchedCheckpoint));
        QVERIFY(dialog.path(ExportKind::PatchedCheckpoint).endsWith(QStringLiteral("-patched.gguf")));
        auto* note = dialog.findChild<QLabel*>(QStringLiteral("patchTiedNote"));
        QVERIFY(note); // the fixture has no output.weight
        QVERIFY(note->text().contains(QStringLiteral("output.weight")));
        auto* patchType = dialog.findChild<QComboBox*>(QStringLiteral("patchGgufType"));
        QVERIFY(patchType);
        QCOMPARE(patchType->currentData().toString(), QStringLiteral("f16"));
        QCOMPARE(patchType->count(), int(ggml::writableTypes().size()));

        dialog.setChecked(ExportKind::Artifact, false);
        dialog.setChecked(ExportKind::Report, false);
        dialog.setChecked(ExportKind::PatchedCheckpoint, true);
        dialog.setPatchedGgufType(QStringLiteral("q4_0"));
        dialog.setChecked(ExportKind::Dequantized, true);
        dialog.setDequantizedGguf(QStringLiteral("q8_0"));
        QVERIFY(dialog.path(ExportKind::Dequantized).endsWith(QStringLiteral("-dequantized.gguf")));
        QVERIFY(dialog.findChild<QComboBox*>(QStringLiteral("dequantizedGgufType"))->isVisibleTo(&dialog));
        QVERIFY(!dialog.findChild<QComboBox*>(QStringLiteral("dequantizedDtype"))->isVisibleTo(&dialog));
        const QList<ExportRequest> requests = dialog.requests();
        QCOMPARE(requests.size(), 2);
        QCOMPARE(requests[0].ggmlType, QStringLiteral("q8_0"));
        QCOMPARE(requests[1].ggmlType, QStringLiteral("q4_0"));

        dialog.startExport();
        QVERIFY(waitIdle(dialog.runner()));
        QVERIFY2(dialog.statusText().startsWith(QStringLiteral("Wrote 2 files")), qPrintable(dialog.statusText()));
        const Matrix decoded = record->table->decodeAll();
        const GgufReader source(vqtest::dataPath("table-q8_0.gguf"));
        const GgufReader patched(dialog.path(ExportKind::PatchedCheckpoint).toStdString());
        QCOMPARE(patched.ggmlTypeId("token_embd.weight"), uint32_t(2));
        QVERIFY(vqtest::sameBytes(patched.tensorBytes("token_embd.weight"),
            vqtest::encodedAs(*ggml::findWritableType("q4_0"), decoded.values)));
        QVERIFY(vqtest::sameBytes(patched.tensorBytes("output_norm.weight"), source.tensorBytes("output_norm.weight")));
        const EmbeddingTable standalone
            = loadEmbedding(dialog.path(ExportKind::Dequantized).toStdString(), {}, nullRunControl());
        QCOMPARE(standalone.source.dtype, std::string("q8_0"));
        QCOMPARE(standalone.tokens, table->tokens);
        const GgufReader standaloneReader(dialog.path(ExportKind::Dequantized).toStdString());
        QVERIFY(vqtest::sameBytes(standaloneReader.tensorBytes("token_embd.weight"),
            vqtest::encodedAs(*ggml::findWritableType("q8_0"), decoded.values)));

        // Rows of 100 values are not whole Q8_0 blocks: the type is offered disabled and refused.
        ExportDialog glove(m_pq, m_table);
        QVERIFY(!glove.isAvailable(ExportKind::PatchedCheckpoint)); // a NumPy source
        glove.setChecked(ExportKind::Dequantized, true);
        glove.setDequantizedGguf(QStringLiteral("q8_0"));
        QString problem;
        QVERIFY(glove.requests(&problem).isEmpty());
        QVERIFY2(problem.contains(QStringLiteral("GGUF type")), qPrintable(problem));
        glove.setDequantizedGguf(QStringLiteral("bf16"));
        QCOMPARE(glove.requests(&problem).size(), 3); // with the artifact and the report
    }

    void menuActionFollowsTheCurrentRun()
    {
        MainWindow window;
        QAction* action = window.exportRunAction();
        QVERIFY(action);
        QCOMPARE(action->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_E));
        QVERIFY(!action->isEnabled());

        window.context()->setTable(m_table, std::make_shared<TableStats>());
        QSignalSpy finished(window.runQueue(), &RunQueue::runFinished);
        const RunKey key = window.runQueue()->enqueue(pqSpec());
        window.context()->setCurrentRun(key);
        QVERIFY(!action->isEnabled()); // queued, no arrays yet
        QVERIFY(finished.wait(kTimeoutMs));
        QVERIFY(action->isEnabled());

        action->trigger();
        auto* dialog = window.findChild<ExportDialog*>();
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
        // The dialog's histogram, then every view's charts of the run: summary (1), token errors (2),
        // codebook usage (3, a PQ run has codebooks), trade-off (1); compare shows nothing for one run.
        const auto charts = dialog->reportCharts();
        QCOMPARE(charts.size(), 8);
        QCOMPARE(charts.at(1).first, QStringLiteral("Row L2 norms of the table"));
        QCOMPARE(charts.at(2).first, QStringLiteral("Distribution of the per-token error"));
        QCOMPARE(charts.at(4).first, QStringLiteral("Code counts per group (heat map)"));
        QCOMPARE(charts.at(7).first, QStringLiteral("Bits per parameter against accuracy, every run"));
        for (const auto& chart : charts)
            QVERIFY2(!chart.second.isNull() && chart.second.width() > 50, qPrintable(chart.first));
        dialog->close();

        window.context()->setCurrentRun(0);
        QVERIFY(!action->isEnabled());
    }
};

QTEST_MAIN(TestExportDialog)
#include "tst_exportdialog.moc"
