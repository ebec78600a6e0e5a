// The main window end to end, offscreen: loading the real sample in the background, the summary it
// shows, errors and cancel leaving the previous table, recent files, drag and drop, settings.
#include "appcontext.h"
#include "charts/histogramchart.h"
#include "dialogs/tensorpickerdialog.h"
#include "mainwindow.h"
#include "models/percentilemodel.h"
#include "panels/summarypanel.h"
#include "recentfiles.h"
#include "widgets/loadstatuswidget.h"
#include "widgets/tableexport.h"

#include "testutil.h"

#include <QAction>
#include <QFile>
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
