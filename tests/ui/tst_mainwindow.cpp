// The main window end to end, offscreen: loading the real sample in the background, the summary it
// shows, errors and cancel leaving the previous table, recent files, drag and drop, settings.
#include "appcontext.h"
#include "charts/histogramchart.h"
#include "dialogs/guidedialog.h"
#include "dialogs/synthetictabledialog.h"
#include "dialogs/tensorpickerdialog.h"
#include "mainwindow.h"
#include "models/percentilemodel.h"
#include "panels/methodpanel.h"
#include "panels/panel.h"
#include "panels/runspanel.h"
#include "panels/summarypanel.h"
#include "quant/registry.h"
#include "recentfiles.h"
#include "widgets/loadstatuswidget.h"
#include "widgets/tableexport.h"

#include "testutil.h"

#include <QAction>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <numeric>

using namespace vq;

namespace {

constexpr int kLoadTimeoutMs = 15000;

QString samplePath()
{
    return QString::fromStdString(vqtest::sourcePath("resources/sample/glove-20k.npy"));
}

// A valid NumPy v1.0 header for a C-order float32 matrix, padded so the data starts on 64 bytes.
QByteArray npyHeader(qint64 rows, qint64 cols)
{
    QByteArray dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + QByteArray::number(rows) + ", "
        + QByteArray::number(cols) + "), }";
    const qsizetype unpadded = 10 + dict.size() + 1;
    dict += QByteArray((64 - unpadded % 64) % 64, ' ');
    dict += '\n';
    QByteArray header("\x93NUMPY\x01\x00", 8);
    header += char(dict.size() & 0xff);
    header += char((dict.size() >> 8) & 0xff);
    return header + dict;
}

// A large float32 table (zeros, sparse on disk) that takes long enough to load for cancel to land.
QString writeBigNpy(const QTemporaryDir& dir)
{
    const qint64 rows = 200000, cols = 512;
    const QString path = dir.filePath(QStringLiteral("big-200000x512.npy"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    const QByteArray header = npyHeader(rows, cols);
    file.write(header);
    if (!file.resize(header.size() + rows * cols * 4))
        return {};
    return path;
}

// The widgets under root whose minimum size is large, for a message that says what to shrink.
QString largeMinimums(QWidget* root)
{
    QStringList out;
    for (QWidget* w : root->findChildren<QWidget*>()) {
        if (!w->isVisibleTo(root) && !qobject_cast<Panel*>(w))
            continue;
        const QSize m = w->minimumSizeHint().expandedTo(w->minimumSize());
        if (m.width() > 300 || m.height() > 300)
            out << QStringLiteral("%1(%2) %3x%4")
                       .arg(QString::fromLatin1(w->metaObject()->className()), w->objectName())
                       .arg(m.width())
                       .arg(m.height());
    }
    return out.join(QStringLiteral("; "));
}

bool waitForTable(MainWindow& window, const QString& path)
{
    QSignalSpy spy(window.context(), &AppContext::tableChanged);
    window.openFile(path);
    return spy.wait(kLoadTimeoutMs);
}

QMessageBox* errorBox(MainWindow& window)
{
    return window.findChild<QMessageBox*>(QStringLiteral("loadErrorBox"));
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("vqscope"));
        QCoreApplication::setApplicationName(QStringLiteral("vqscope"));
        // Never touch the user's settings.
        QVERIFY2(QSettings().fileName().contains(QStringLiteral("qttest")), qPrintable(QSettings().fileName()));
        QVERIFY(QFile::exists(samplePath()));
    }

    void init() { QSettings().clear(); }

    void emptyStateOffersOpenSample()
    {
        MainWindow window;
        auto* stack = qobject_cast<QStackedWidget*>(window.centralWidget());
        QVERIFY(stack);
        QVERIFY(stack->currentWidget() != window.tabs());
        auto* sampleButton = window.findChild<QAbstractButton*>(QStringLiteral("emptySampleButton"));
        QVERIFY(sampleButton);
        QVERIFY(!sampleButton->isEnabled()); // no sample known yet
        window.setSamplePath(samplePath());
        QVERIFY(sampleButton->isEnabled());

        QSignalSpy spy(window.context(), &AppContext::tableChanged);
        sampleButton->click();
        QVERIFY(spy.wait(kLoadTimeoutMs));
        QCOMPARE(stack->currentWidget(), window.tabs());
    }

    void summaryOfSample()
    {
        MainWindow window;
        QCOMPARE(window.tabs()->tabText(0), QStringLiteral("Summary"));
        QStringList titles;
        for (int i = 0; i < window.tabs()->count(); ++i)
            titles << window.tabs()->tabText(i);
        QVERIFY(titles.contains(QStringLiteral("Token Errors")));
        QVERIFY(titles.contains(QStringLiteral("Compare")));
        QVERIFY(waitForTable(window, samplePath()));

        const auto& table = window.context()->table();
        QVERIFY(table);
        QCOMPARE(table->rows(), 20000);
        QCOMPARE(table->dim(), 100);

        SummaryPanel* summary = window.summaryPanel();
        QCOMPARE(summary->fieldText(QStringLiteral("shape")), QStringLiteral("20000 × 100"));
        QCOMPARE(summary->fieldText(QStringLiteral("file")), QStringLiteral("glove-20k.npy"));
        QVERIFY(summary->fieldText(QStringLiteral("format")).contains(QStringLiteral("NumPy")));
        QVERIFY(summary->fieldText(QStringLiteral("checksum")).startsWith(QStringLiteral("xxh64:")));
        QVERIFY(!summary->fieldText(QStringLiteral("reason")).isEmpty());
        QVERIFY(summary->fieldText(QStringLiteral("tokenSource")).contains(QStringLiteral("glove-20k.vocab.txt")));
        QCOMPARE(summary->fieldText(QStringLiteral("tokenCount")), QStringLiteral("20000"));
        QVERIFY2(summary->fieldText(QStringLiteral("firstTokens")).startsWith(QStringLiteral("\"the\" ")),
            qPrintable(summary->fieldText(QStringLiteral("firstTokens"))));
        QCOMPARE(summary->fieldText(QStringLiteral("nan")), QStringLiteral("0"));
        QVERIFY(summary->fieldLabel(QStringLiteral("nan"))->styleSheet().isEmpty()); // highlighted only when > 0
        QVERIFY(!summary->fieldText(QStringLiteral("mean")).isEmpty());
        QVERIFY(!summary->fieldText(QStringLiteral("outliers")).isEmpty());

        // Row norms: the standard percentiles and a 64-bin histogram of all 20000 rows.
        const auto* percentileView = summary->findChild<QTableView*>(QStringLiteral("percentileView"));
        QVERIFY(percentileView);
        QCOMPARE(percentileView->model()->rowCount(), 9);
        // Its tables export to CSV (context menu): a header and one line per percentile.
        QCOMPARE(percentileView->contextMenuPolicy(), Qt::CustomContextMenu);
        QCOMPARE(tableToCsv(*percentileView->model()).count(QLatin1Char('\n')), 10);
        const auto* rowNorms = summary->findChild<HistogramChart*>(QStringLiteral("rowNormHistogram"));
        QVERIFY(rowNorms);
        const PlotHistogram& histogram = rowNorms->histogram();
        QCOMPARE(histogram.counts.size(), size_t(64));
        QCOMPARE(std::accumulate(histogram.counts.begin(), histogram.counts.end(), int64_t(0)), int64_t(20000));
        QVERIFY(histogram.hi > histogram.lo);
        QCOMPARE(rowNorms->outline()->count(), 128);

        QVERIFY(window.windowTitle().contains(QStringLiteral("glove-20k.npy")));
        QVERIFY(!window.loadStatus()->isVisibleTo(&window));
    }

    void badFileKeepsPreviousTable()
    {
        MainWindow window;
        QVERIFY(waitForTable(window, samplePath()));
        const auto before = window.context()->table();

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString bad = dir.filePath(QStringLiteral("garbage.npy"));
        QFile file(bad);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("this is not a NumPy file, just some words in a file with an .npy name\n");
        file.close();

        QSignalSpy aborted(&window, &MainWindow::loadAborted);
        QSignalSpy changed(window.context(), &AppContext::tableChanged);
        window.openFile(bad);
        QVERIFY(aborted.wait(kLoadTimeoutMs));
        QCOMPARE(aborted.first().at(0).toString(), bad);
        const QString message = aborted.first().at(1).toString();
        QVERIFY2(message.contains(QStringLiteral("garbage.npy")), qPrintable(message));

        QMessageBox* box = errorBox(window);
        QVERIFY(box);
        QVERIFY(box->isVisible());
        QVERIFY(box->text().contains(QStringLiteral("garbage.npy")));
        QCOMPARE(box->informativeText(), message);
        box->close();

        QCOMPARE(changed.count(), 0);
        QCOMPARE(window.context()->table(), before);
        QVERIFY(!RecentFiles::files().contains(bad));
    }

    void cancelKeepsPreviousTable()
    {
        MainWindow window;
        QVERIFY(waitForTable(window, samplePath()));
        const auto before = window.context()->table();
        QTemporaryDir dir;
        const QString big = writeBigNpy(dir);
        QVERIFY(!big.isEmpty());

        QSignalSpy progress(window.loadRunner(), &LoadRunner::progress);
        QSignalSpy aborted(&window, &MainWindow::loadAborted);
        QSignalSpy loaded(window.loadRunner(), &LoadRunner::loaded);
        window.openFile(big);
        QVERIFY(progress.wait(kLoadTimeoutMs));
        QVERIFY(window.loadStatus()->isVisibleTo(&window));
        QPushButton* cancel = window.loadStatus()->cancelButton();
        QVERIFY(cancel->isEnabled());
        QTest::mouseClick(cancel, Qt::LeftButton);
        QCOMPARE(window.loadStatus()->statusText(), QStringLiteral("Cancelling…"));
        QVERIFY(!cancel->isEnabled());

        QVERIFY(aborted.wait(kLoadTimeoutMs));
        QCOMPARE(aborted.first().at(0).toString(), big);
        QVERIFY(aborted.first().at(1).toString().isEmpty()); // cancelled, not failed
        QCOMPARE(loaded.count(), 0);
        QCOMPARE(window.context()->table(), before);
        QVERIFY(!window.loadStatus()->isVisibleTo(&window));
        QVERIFY(!window.loadRunner()->isBusy());
        QVERIFY(!errorBox(window));
    }

    void newerLoadReplacesOlder()
    {
        MainWindow window;
        QTemporaryDir dir;
        const QString big = writeBigNpy(dir);
        QVERIFY(!big.isEmpty());

        QSignalSpy loaded(window.loadRunner(), &LoadRunner::loaded);
        QSignalSpy aborted(&window, &MainWindow::loadAborted);
        window.openFile(big);
        QVERIFY(waitForTable(window, samplePath()));
        QCOMPARE(window.context()->table()->rows(), 20000);
        // The replaced job ends silently: no second table, no cancel report for it.
        QTRY_VERIFY(!window.loadRunner()->isBusy());
        QTest::qWait(100);
        QCOMPARE(loaded.count(), 1);
        QCOMPARE(aborted.count(), 0);
        QCOMPARE(window.context()->table()->rows(), 20000);
    }

    void tensorPicker_data()
    {
        QTest::addColumn<QString>("choice");
        QTest::addColumn<QString>("reasonPart");
        // The automatic pick keeps the loader's reason; another candidate records the picker.
        QTest::newRow("automatic") << QString() << QStringLiteral("model.embed_tokens.weight");
        QTest::newRow("other") << QStringLiteral("lm_head.weight") << QStringLiteral("tensor picker");
    }

    void tensorPicker()
    {
        QFETCH(QString, choice);
        QFETCH(QString, reasonPart);
        MainWindow window;
        QSignalSpy choiceSpy(window.loadRunner(), &LoadRunner::tensorChoiceNeeded);
        QSignalSpy changed(window.context(), &AppContext::tableChanged);
        window.openFile(QString::fromStdString(vqtest::dataPath("table-bf16.safetensors")));
        QVERIFY(choiceSpy.wait(kLoadTimeoutMs));
        QCOMPARE(changed.count(), 0);
        auto* picker = window.findChild<TensorPickerDialog*>(QStringLiteral("tensorPicker"));
        QVERIFY(picker);
        QVERIFY(picker->isVisible());
        QCOMPARE(picker->listing().tensors.size(), size_t(3));
        QCOMPARE(picker->selectedTensor(), QStringLiteral("model.embed_tokens.weight"));
        if (!choice.isEmpty())
            QVERIFY(picker->selectTensor(choice));
        picker->accept();

        QVERIFY(changed.wait(kLoadTimeoutMs));
        const auto& table = window.context()->table();
        QCOMPARE(table->rows(), 512);
        QCOMPARE(table->dim(), 100);
        const QString tensor = choice.isEmpty() ? QStringLiteral("model.embed_tokens.weight") : choice;
        QCOMPARE(QString::fromStdString(table->source.tensor), tensor);
        QCOMPARE(window.summaryPanel()->fieldText(QStringLiteral("tensor")), tensor);
        const QString reason = window.summaryPanel()->fieldText(QStringLiteral("reason"));
        QVERIFY2(reason.contains(reasonPart), qPrintable(reason));
    }

    void recentFiles()
    {
        QTemporaryDir dir;
        QStringList paths;
        for (int i = 0; i < RecentFiles::kMaxCount + 2; ++i) {
            const QString path = dir.filePath(QStringLiteral("f%1.npy").arg(i));
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            paths << path;
            RecentFiles::add(path);
        }
        QStringList files = RecentFiles::files();
        QCOMPARE(files.size(), RecentFiles::kMaxCount);
        QCOMPARE(files.first(), paths.last());
        RecentFiles::add(paths[5]); // moves to the front, no duplicate
        files = RecentFiles::files();
        QCOMPARE(files.first(), paths[5]);
        QCOMPARE(files.count(paths[5]), 1);
        QVERIFY(QFile::remove(paths[5]));
        QVERIFY(!RecentFiles::files().contains(paths[5]));
        QCOMPARE(RecentFiles::files().size(), RecentFiles::kMaxCount - 1);

        MainWindow window;
        QVERIFY(waitForTable(window, samplePath()));
        const QString sample = QFileInfo(samplePath()).absoluteFilePath();
        QCOMPARE(RecentFiles::files().first(), sample);
        auto* menu = window.findChild<QMenu*>(QStringLiteral("recentFilesMenu"));
        QVERIFY(menu);
        QVERIFY(menu->isEnabled());
        QCOMPARE(menu->actions().first()->data().toString(), sample);
    }

    void changeTensorAfterTheAutomaticPick()
    {
        // The automatic pick loaded model.embed_tokens.weight; Change Tensor lists the file again, the
        // current tensor selected, and loads the one chosen (the output head here).
        MainWindow window;
        QSignalSpy choiceSpy(window.loadRunner(), &LoadRunner::tensorChoiceNeeded);
        QSignalSpy changed(window.context(), &AppContext::tableChanged);
        QVERIFY(!window.changeTensorAction()->isEnabled());
        window.openFile(QString::fromStdString(vqtest::dataPath("table-bf16.safetensors")));
        QVERIFY(choiceSpy.wait(kLoadTimeoutMs));
        window.findChild<TensorPickerDialog*>(QStringLiteral("tensorPicker"))->accept();
        QVERIFY(changed.wait(kLoadTimeoutMs));
        QVERIFY(window.changeTensorAction()->isEnabled());

        window.changeTensorAction()->trigger();
        QVERIFY(choiceSpy.wait(kLoadTimeoutMs));
        TensorPickerDialog* picker = nullptr;
        for (auto* p : window.findChildren<TensorPickerDialog*>())
            if (p->isVisible())
                picker = p;
        QVERIFY(picker);
        QCOMPARE(picker->selectedTensor(), QStringLiteral("model.embed_tokens.weight"));
        QVERIFY(picker->selectTensor(QStringLiteral("lm_head.weight")));
        picker->accept();
        QVERIFY(changed.wait(kLoadTimeoutMs));
        QCOMPARE(window.context()->table()->source.tensor, std::string("lm_head.weight"));
    }

    void opensACheckpointFolder()
    {
        MainWindow window;
        QVERIFY(window.openFolderAction());
        QCOMPARE(window.openFolderAction()->shortcut(), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
        QVERIFY(waitForTable(window, QString::fromStdString(vqtest::dataPath("hf-sharded"))));
        QVERIFY(window.context()->table()->rows() > 0);
    }

    void recentFilesListSessions()
    {
        QTemporaryDir dir;
        const QString session = dir.filePath(QStringLiteral("work.vqproj"));
        QFile file(session);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        MainWindow window;
        // Saving or opening a session sets its path: from then on it is a recent file like a table.
        window.context()->setSessionPath(session);
        QCOMPARE(RecentFiles::files().first(), QFileInfo(session).absoluteFilePath());
        auto* menu = window.findChild<QMenu*>(QStringLiteral("recentFilesMenu"));
        QCOMPARE(menu->actions().first()->data().toString(), QFileInfo(session).absoluteFilePath());
        QCOMPARE(menu->actions().first()->text(), QStringLiteral("work.vqproj"));
    }

    void newSyntheticTableIsGeneratedAndOpened()
    {
        QTemporaryDir dir;
        MainWindow window;
        auto* dialog = qobject_cast<SyntheticTableDialog*>(window.newSyntheticTable());
        QVERIFY(dialog);
        dialog->setShape(300, 64);
        QVERIFY(dialog->path().endsWith(QStringLiteral("synthetic-300x64-seed1.safetensors")));
        QVERIFY(dialog->isAcceptable());
        const QString path = dir.filePath(QStringLiteral("synth.npy"));
        dialog->setPath(path);
        QVERIFY(!dialog->isAcceptable()); // .npy has no BF16, the default
        QVERIFY(dialog->sizeLabel()->text().contains(QStringLiteral(".npy has no BF16")));
        dialog->findChild<QComboBox*>(QStringLiteral("syntheticDtype"))->setCurrentIndex(1); // F16
        QVERIFY(dialog->isAcceptable());
        // A shape over the cap cannot be accepted.
        dialog->setShape(1000000, 65536);
        QVERIFY(!dialog->isAcceptable());
        QVERIFY(dialog->sizeLabel()->text().contains(QStringLiteral("over the limit")));
        dialog->setShape(300, 64);
        QVERIFY(dialog->isAcceptable());

        QSignalSpy changed(window.context(), &AppContext::tableChanged);
        dialog->accept();
        QVERIFY(changed.wait(kLoadTimeoutMs));
        const auto& table = window.context()->table();
        QCOMPARE(table->rows(), int64_t(300));
        QCOMPARE(table->dim(), int64_t(64));
        QCOMPARE(QFileInfo(QString::fromStdString(table->source.file)).absoluteFilePath(),
            QFileInfo(path).absoluteFilePath());
        QVERIFY2(table->source.selectionReason.find("generated: 300 × 64, seed 1") != std::string::npos,
            table->source.selectionReason.c_str());
    }

    void guideListsTheViewsAndEveryMethod()
    {
        MainWindow window;
        window.setDocumentationFolders(
            { QStringLiteral("/nonexistent"), QString::fromStdString(vqtest::sourcePath("")) });
        auto* guide = qobject_cast<GuideDialog*>(window.showGuide());
        QVERIFY(guide);
        QCOMPARE(window.showGuide(), guide); // one at a time
        const QString text = guide->browser()->toPlainText();
        for (int i = 0; i < window.tabs()->count(); ++i)
            QVERIFY2(text.contains(window.tabs()->tabText(i)), qPrintable(window.tabs()->tabText(i)));
        QVERIFY(text.contains(QStringLiteral("Runs")));
        // Methods straight from the registry, so the guide cannot go stale.
        for (const Quantizer* q : allQuantizers())
            QVERIFY2(text.contains(QString::fromStdString(q->description())), q->name().c_str());
        QVERIFY(text.contains(QStringLiteral("Ctrl+R")));
        // The source tree's README when no installed documentation is found.
        const QString html = guide->browser()->toHtml();
        QVERIFY2(html.contains(QStringLiteral("README.md")), qPrintable(html.left(200)));
        const QList<QFileInfo> docs = GuideDialog::documentationFiles(
            { QStringLiteral("/nonexistent"), QString::fromStdString(vqtest::sourcePath("")) });
        QVERIFY(!docs.isEmpty());
        QCOMPARE(docs.first().fileName(), QStringLiteral("README.md"));
        QCOMPARE(window.findChild<QAction*>(QStringLiteral("guideAction"))->shortcut(),
            QKeySequence(QKeySequence::HelpContents));
    }

    void runMenuAndRefusedSpecs()
    {
        MainWindow window;
        QVERIFY(waitForTable(window, samplePath()));
        QStringList texts;
        QAction* run = nullptr;
        for (QAction* a : window.runMenu()->actions()) {
            texts << a->text();
            if (a->objectName() == QStringLiteral("runAction"))
                run = a;
        }
        QVERIFY(run);
        QCOMPARE(run->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_R));
        QVERIFY2(texts.contains(QStringLiteral("&Cancel All Runs")), qPrintable(texts.join(u',')));

        // A spec given on the command line that the table refuses: shown, not just printed.
        window.showRefusedSpec(QuantSpec { "grvq", { { "h", 3 } } }, QStringLiteral("grvq h3"),
            QStringLiteral("grvq: parameter 'h' = 3 does not divide the row length 100"));
        auto* box = window.findChild<QMessageBox*>(QStringLiteral("refusedRunBox"));
        QVERIFY(box);
        QVERIFY(box->isVisible());
        QVERIFY(box->informativeText().contains(QStringLiteral("does not divide")));
        auto* method = window.findChild<MethodPanel*>();
        QCOMPARE(method->method(), QStringLiteral("grvq"));
        QCOMPARE(method->spec().getInt("h"), int64_t(3));
        QVERIFY(method->verdictLabel()->text().contains(QStringLiteral("use one of 1, 2, 4, 5, 10, 20, 25, 50, 100")));
        QVERIFY(!run->isEnabled());
    }

    void fitsASmallScreen_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::newRow("1024x700") << QSize(1024, 700);
        QTest::newRow("1280x800") << QSize(1280, 800);
        // 2560 x 1440 pixels at QT_SCALE_FACTOR=2 (the tst_mainwindow_hidpi run).
        QTest::newRow("1280x720") << QSize(1280, 720);
    }
    void fitsASmallScreen()
    {
        QFETCH(QSize, size);
        // A small table keeps selecting runs quick; the screenshots are taken on the sample.
        const QString shots = qEnvironmentVariable("VQ_SCREENSHOT_DIR");
        MainWindow window;
        window.show();
        QVERIFY(waitForTable(window,
            shots.isEmpty() ? QString::fromStdString(vqtest::dataPath("reference-512x100-f32.npy")) : samplePath()));
        // Two finished runs, both selected, so every view shows data (and the compare view two runs).
        QSignalSpy finished(window.runQueue(), &RunQueue::runFinished);
        RunOptions quick; // no neighbour recall: seconds, not minutes, on a loaded machine
        quick.neighbourRecall = false;
        const RunKey a = window.runQueue()->enqueue(
            QuantSpec { "pq", { { "d", 10 }, { "bits", 4 }, { "iterations", 5 } } }, quick);
        const RunKey b = window.runQueue()->enqueue(QuantSpec { "rtn", { { "bits", 3 }, { "group", 0 } } }, quick);
        while (finished.count() < 2)
            QVERIFY(finished.wait(120000));
        window.context()->setSelectedRuns({ a, b });
        window.findChild<MethodPanel*>()->setMethod(QStringLiteral("grvq"));
        // Every tab's content together with the docks fits the screen, with room for a title bar.
        for (int i = 0; i < window.tabs()->count(); ++i) {
            window.tabs()->setCurrentIndex(i);
            const QSize minimum = window.minimumSizeHint().expandedTo(window.minimumSize());
            QVERIFY2(minimum.width() <= 1024 && minimum.height() <= 670,
                qPrintable(QStringLiteral("%1: %2x%3 %4")
                               .arg(window.tabs()->tabText(i))
                               .arg(minimum.width())
                               .arg(minimum.height())
                               .arg(largeMinimums(&window))));
        }
        window.resize(size);
        QTRY_COMPARE(window.size(), size);
        QCoreApplication::processEvents();
        // The method dock: Run and the verdict beside it inside the window, the form scrolls.
        auto* method = window.findChild<MethodPanel*>();
        const QRect runRect(method->runButton()->mapTo(&window, QPoint(0, 0)), method->runButton()->size());
        QVERIFY2(window.rect().contains(runRect),
            qPrintable(QStringLiteral("Run at %1,%2").arg(runRect.x()).arg(runRect.y())));
        QVERIFY(method->verdictLabel()->isVisible());
        QVERIFY(method->verdictLabel()->height() >= method->verdictLabel()->fontMetrics().height());
        // The runs dock shows rows, not only its header.
        auto* runs = window.findChild<RunsPanel*>();
        const int rowHeight = runs->view()->verticalHeader()->defaultSectionSize();
        QVERIFY2(runs->view()->viewport()->height() >= 3 * rowHeight,
            qPrintable(QString::number(runs->view()->viewport()->height())));
        // To look at: VQ_SCREENSHOT_DIR=dir keeps a picture of every tab at this size.
        if (!shots.isEmpty()) {
            for (int i = 0; i < window.tabs()->count(); ++i) {
                window.tabs()->setCurrentIndex(i);
                QCoreApplication::processEvents();
                // Showing a tab never widens the window.
                QVERIFY2(window.size() == size,
                    qPrintable(window.tabs()->tabText(i) + u' ' + QString::number(window.width()) + u' '
                        + largeMinimums(&window)));
                const QString name = QStringLiteral("%1/%2-%3x%4@%5.png")
                                         .arg(shots, window.tabs()->tabText(i).toLower().replace(u' ', u'-'))
                                         .arg(size.width())
                                         .arg(size.height())
                                         .arg(window.devicePixelRatio());
                QVERIFY(window.grab().save(name));
            }
        }
    }

    void squashedDocksAreRestoredSanely()
    {
        const auto squash = [](MainWindow& window) {
            for (QDockWidget* d : window.findChildren<QDockWidget*>())
                window.resizeDocks(
                    { d }, { 1 }, window.dockWidgetArea(d) == Qt::BottomDockWidgetArea ? Qt::Vertical : Qt::Horizontal);
            QCoreApplication::processEvents();
        };
        {
            MainWindow window;
            window.show();
            QVERIFY(waitForTable(window, samplePath()));
            window.resize(1024, 700);
            QTRY_COMPARE(window.size(), QSize(1024, 700));
            auto* method = window.findChild<MethodPanel*>();
            auto* runs = window.findChild<RunsPanel*>();
            // Squashed as far as they go: narrower and lower than usable.
            squash(window);
            QVERIFY2(method->width() < 260, qPrintable(QString::number(method->width())));
            QVERIFY2(runs->height() < 150, qPrintable(QString::number(runs->height())));
            // Growing the window gives them their room back.
            window.resize(1280, 800);
            QTRY_COMPARE(window.size(), QSize(1280, 800));
            QCoreApplication::processEvents();
            QVERIFY2(method->width() >= 260, qPrintable(QString::number(method->width())));
            QVERIFY2(runs->height() >= 150, qPrintable(QString::number(runs->height())));
            // Squashed again, then the user quits: the layout is saved that way.
            squash(window);
            window.close();
        }
        MainWindow again;
        again.resize(1280, 800);
        again.show();
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        QCoreApplication::processEvents();
        auto* method = again.findChild<MethodPanel*>();
        auto* runs = again.findChild<RunsPanel*>();
        QVERIFY2(method->width() >= 260, qPrintable(QString::number(method->width())));
        QVERIFY2(runs->height() >= 150, qPrintable(QString::number(runs->height())));
    }

    void dropOpensFile()
    {
        MainWindow window;
        QMimeData mime;
        mime.setUrls({ QUrl::fromLocalFile(samplePath()) });
        QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(&window, &enter);
        QVERIFY(enter.isAccepted());

        QSignalSpy spy(window.context(), &AppContext::tableChanged);
        QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(&window, &drop);
        QVERIFY(spy.wait(kLoadTimeoutMs));
        QCOMPARE(window.context()->table()->rows(), 20000);

        QMimeData text;
        text.setText(QStringLiteral("not a file"));
        QDragEnterEvent refused(QPoint(10, 10), Qt::CopyAction, &text, Qt::LeftButton, Qt::NoModifier);
        refused.setAccepted(false);
        QCoreApplication::sendEvent(&window, &refused);
        QVERIFY(!refused.isAccepted());
    }

    void geometryPersists()
    {
        {
            MainWindow window;
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            // Every panel and dock together must still fit a 1280 x 720 screen.
            const QSize minimum = window.minimumSizeHint().expandedTo(window.minimumSize());
            QVERIFY2(minimum.width() <= 1280 && minimum.height() <= 720,
                qPrintable(QStringLiteral("%1x%2").arg(minimum.width()).arg(minimum.height())));
            window.resize(1240, 710);
            QTRY_COMPARE(window.size(), QSize(1240, 710));
            window.close();
        }
        MainWindow again;
        QCOMPARE(again.size(), QSize(1240, 710));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
