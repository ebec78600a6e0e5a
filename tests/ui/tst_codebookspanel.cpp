// The codebook explorer panel offscreen on finished runs of every codebook method: the map and its
// tables show the run's codebook, clicking a codeword lists exactly the rows whose stored code it is,
// the heat map's drill-down opens a code, a token search and a double-click in the token view show the
// path, and the charts and tables export. Numbers are checked against the stored arrays and core.
#include "appcontext.h"
#include "charts/codewordmapchart.h"
#include "charts/heatmapchart.h"
#include "charts/residualwaterfallchart.h"
#include "displaytext.h"
#include "explore/codebookaccess.h"
#include "explore/tokensearch.h"
#include "mainwindow.h"
#include "models/codemembersmodel.h"
#include "models/codewordmodel.h"
#include "models/neighbourmodel.h"
#include "models/tokencodesmodel.h"
#include "models/tokenerrormodel.h"
#include "models/tokenstepsmodel.h"
#include "panels/codebookspanel.h"
#include "panels/codebookusagepanel.h"
#include "panels/tokenerrorpanel.h"
#include "panelviews.h"
#include "runners/codebookrunner.h"
#include "widgets/headerfit.h"
#include "widgets/tableexport.h"

#include "explorerruns.h"

#include <QAbstractItemModelTester>
#include <QChart>
#include <QComboBox>
#include <QFontMetricsF>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace vq;

namespace {

// A context holding the explorer table and one finished run, selected.
struct Fixture {
    AppContext context;
    RunKey key = 0;

    explicit Fixture(const std::string& run)
    {
        context.setTable(
            std::const_pointer_cast<EmbeddingTable>(vqtest::explorerEmbedding()), std::make_shared<TableStats>());
        key = context.addRun(vqtest::explorerRecord(run));
        context.setCurrentRun(key);
    }
};

void testModels(CodebooksPanel& panel, QObject* owner)
{
    const auto mode = QAbstractItemModelTester::FailureReportingMode::QtTest;
    for (QAbstractItemModel* model : std::initializer_list<QAbstractItemModel*> { panel.codewordModel(),
             panel.membersModel(), panel.codesModel(), panel.stepsModel(), panel.neighbourModel() })
        new QAbstractItemModelTester(model, mode, owner);
}

bool waitForMap(CodebooksPanel& panel)
{
    QSignalSpy ready(panel.runner(), &CodebookRunner::mapReady);
    return panel.shownMap() || vqtest::waitFor(ready);
}

} // namespace

class TestCodebooksPanel : public QObject {
    Q_OBJECT

private slots:
    // Click the most used codeword: the rows table lists exactly the rows whose stored code it is, with
    // their errors from the run.
    void clickACodeword_data() { vqtest::addExplorerRows(); }
    void clickACodeword()
    {
        QFETCH(QString, run);
        Fixture f(run.toStdString());
        CodebooksPanel panel(&f.context);
        testModels(panel, this);
        panel.resize(1200, 800);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QVERIFY(!panel.isShowingMessage());
        QVERIFY(waitForMap(panel));
        const std::shared_ptr<const RunRecord> record = vqtest::explorerRecord(run.toStdString());
        const CodebookAccess access(*record->table, 0);
        QCOMPARE(panel.mapChart()->codeCount(), int(access.codewords()));
        QCOMPARE(panel.codewordModel()->rowCount(), int(access.codewords()));
        // The default selection: group 0, or all groups of a shared codebook.
        QCOMPARE(panel.currentGroup(), access.layout().sharedAcrossGroups ? -1 : 0);
        const std::vector<int64_t>& usage = panel.shownMap()->map.stats.usage;
        QTest::qWait(50); // let the chart lay out before clicking on it
        // The most used codeword whose centre no smaller disc covers (a smaller one is drawn on top).
        int code = -1;
        for (int c = 0; c < int(usage.size()); ++c)
            if (panel.mapChart()->codeAt(panel.mapChart()->viewPosition(c)) == c
                && (code < 0 || usage[size_t(c)] > usage[size_t(code)]))
                code = c;
        QVERIFY(code >= 0);
        QVERIFY(usage[size_t(code)] > 0);

        QSignalSpy members(panel.runner(), &CodebookRunner::membersReady);
        QTest::mouseClick(panel.mapChart()->viewport(), Qt::LeftButton, {}, panel.mapChart()->viewPosition(code));
        QVERIFY(vqtest::waitFor(members));
        QCOMPARE(panel.selectedCode(), code);
        QCOMPARE(panel.mapChart()->selectedCode(), code);
        const CodeMembersModel* m = panel.membersModel();
        int64_t uses = 0;
        std::vector<int64_t> expected;
        for (int64_t r = 0; r < access.arrayRows(); ++r) {
            int n = 0;
            for (int g = 0; g < access.groups(); ++g)
                if ((panel.currentGroup() < 0 || g == panel.currentGroup()) && access.code(r, 0, g) == code)
                    ++n;
            if (n) {
                expected.push_back(access.tableRow(r));
                uses += n;
            }
        }
        QCOMPARE(m->rowCount(), int(expected.size()));
        QCOMPARE(uses, usage[size_t(code)]);
        const ReconstructionMetrics& metrics = record->fullMetrics->reconstruction;
        for (int i = 0; i < m->rowCount(); ++i) {
            const qint64 row = m->index(i, 0).data(CodeMembersModel::TableRowRole).toLongLong();
            QCOMPARE(row, expected[size_t(i)]);
            QCOMPARE(m->sortValue(i, CodeMembersModel::RelErrorColumn), double(metrics.tokenRelError[size_t(row)]));
            QCOMPARE(m->index(i, CodeMembersModel::TokenColumn).data().toString(),
                display::quotedToken(vqtest::explorerEmbedding()->tokens[size_t(row)]));
        }
        // The row's number is the table row, not the position in the list.
        QCOMPARE(m->index(m->rowCount() - 1, CodeMembersModel::RowColumn).data().toString(),
            QString::number(expected.back()));
        // Hover text names the code, its usage and its most frequent token.
        QVERIFY(panel.mapChart()->codeAt(panel.mapChart()->viewPosition(code)) >= 0);
        const QString first = QString::fromStdString(vqtest::explorerEmbedding()->tokens[size_t(expected.front())]);
        QVERIFY2(panel.codewordModel()->topTokensText(code).startsWith(u'"' + first + u'"'),
            qPrintable(panel.codewordModel()->topTokensText(code)));
    }

    // The codewords table sorts itself: rows in the order of the column's numbers (codes without rows, NaN,
    // last either way), each row showing its own code's numbers, and the selected code stays selected.
    void codewordTableSorts_data()
    {
        QTest::addColumn<int>("column");
        QTest::addColumn<int>("order");
        QTest::newRow("usage, descending") << int(CodewordModel::UsageColumn) << int(Qt::DescendingOrder);
        QTest::newRow("mean error, descending") << int(CodewordModel::MeanErrorColumn) << int(Qt::DescendingOrder);
        QTest::newRow("mean error, ascending") << int(CodewordModel::MeanErrorColumn) << int(Qt::AscendingOrder);
        QTest::newRow("norm, ascending") << int(CodewordModel::NormColumn) << int(Qt::AscendingOrder);
        QTest::newRow("code, descending") << int(CodewordModel::CodeColumn) << int(Qt::DescendingOrder);
    }
    void codewordTableSorts()
    {
        QFETCH(int, column);
        QFETCH(int, order);
        Fixture f("pq-shared");
        CodebooksPanel panel(&f.context);
        panel.show();
        QVERIFY(waitForMap(panel));
        // The run's map with every fifth code made dead (usage 0, no mean error), on a model of its own.
        auto map = std::make_shared<CodewordMapResult>(*panel.shownMap());
        CodewordStats& stats = map->map.stats;
        for (size_t c = 0; c < stats.usage.size(); c += 5) {
            stats.usage[c] = 0;
            stats.meanError[c] = std::numeric_limits<double>::quiet_NaN();
        }
        CodewordModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setMap(map, vqtest::explorerEmbedding());
        QItemSelectionModel selection(&model);
        const int picked = int(std::max_element(stats.norm.begin(), stats.norm.end()) - stats.norm.begin());
        selection.setCurrentIndex(model.index(model.rowOfCode(picked), 0), QItemSelectionModel::ClearAndSelect);
        model.sort(column, Qt::SortOrder(order));
        const auto number = [&](int code) -> double {
            switch (column) {
            case CodewordModel::UsageColumn:
                return double(stats.usage[size_t(code)]);
            case CodewordModel::MeanErrorColumn:
                return stats.meanError[size_t(code)];
            case CodewordModel::NormColumn:
                return stats.norm[size_t(code)];
            default:
                return double(code);
            }
        };
        std::vector<bool> seen(size_t(model.rowCount()), false);
        bool nanSeen = false;
        for (int row = 0; row < model.rowCount(); ++row) {
            const int code = model.index(row, 0).data(CodewordModel::CodeRole).toInt();
            QCOMPARE(model.codeOfRow(row), code);
            QCOMPARE(model.rowOfCode(code), row);
            QVERIFY(!seen[size_t(code)]);
            seen[size_t(code)] = true;
            QCOMPARE(model.index(row, CodewordModel::CodeColumn).data().toString(), display::count(int64_t(code)));
            const double v = number(code);
            if (std::isnan(v)) {
                QVERIFY(std::isnan(model.index(row, column).data(CodewordModel::SortRole).toDouble()));
                nanSeen = true;
                continue;
            }
            QCOMPARE(model.index(row, column).data(CodewordModel::SortRole).toDouble(), v);
            QVERIFY2(!nanSeen, "a number after a NaN");
            if (row > 0) {
                const double previous = number(model.codeOfRow(row - 1));
                QVERIFY(order == Qt::DescendingOrder ? previous >= v : previous <= v);
            }
        }
        QCOMPARE(nanSeen, column == CodewordModel::MeanErrorColumn);
        // The selection follows its code to its new row.
        QCOMPARE(selection.currentIndex().row(), model.rowOfCode(picked));
        QCOMPARE(selection.currentIndex().data(CodewordModel::CodeRole).toInt(), picked);
    }

    // The page in the main window at the small screens it must serve: it fits without scrolling, and every
    // piece of text is whole and apart from the others, measured with the fonts' metrics: the map's title,
    // the run's name (or elided with "…"), the token's summary (all its wrapped lines), every column title
    // of the tables, and the waterfall's step names and values.
    void pageReadsOnSmallScreens_data()
    {
        QTest::addColumn<QString>("run");
        QTest::addColumn<QSize>("size");
        // AQLM: a row scale and two codebooks; CRVQ: two code arrays and the most decode steps.
        for (const char* run : { "aqlm", "crvq" })
            for (const QSize size : { QSize(1280, 800), QSize(1024, 700) })
                QTest::addRow("%s %dx%d", run, size.width(), size.height()) << QString::fromLatin1(run) << size;
    }
    void pageReadsOnSmallScreens()
    {
        QFETCH(QString, run);
        QFETCH(QSize, size);
        MainWindow window;
        AppContext* context = window.context();
        context->setTable(
            std::const_pointer_cast<EmbeddingTable>(vqtest::explorerEmbedding()), std::make_shared<TableStats>());
        context->setCurrentRun(context->addRun(vqtest::explorerRecord(run.toStdString())));
        auto* panel = window.findChild<CodebooksPanel*>();
        window.tabs()->setCurrentWidget(panel);
        window.resize(size);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_COMPARE(window.size(), size);
        QVERIFY(waitForMap(*panel));
        QTRY_VERIFY_WITH_TIMEOUT(panel->pathRow() == 0 && !panel->runner()->isBusy(), 60000);
        QTest::qWait(100); // the last layout and the charts' relayout

        auto* scroll = panel->findChild<QScrollArea*>();
        QVERIFY(scroll);
        QVERIFY2(!scroll->verticalScrollBar()->isVisible() && !scroll->horizontalScrollBar()->isVisible(),
            qPrintable(QStringLiteral("page %1x%2 in %3x%4")
                           .arg(scroll->widget()->minimumSizeHint().width())
                           .arg(scroll->widget()->minimumSizeHint().height())
                           .arg(scroll->viewport()->width())
                           .arg(scroll->viewport()->height())));

        const QChart* map = panel->mapChart()->chart();
        const double titleWidth = QFontMetricsF(map->titleFont()).horizontalAdvance(map->title());
        QVERIFY2(titleWidth <= map->size().width() - map->margins().left() - map->margins().right(),
            qPrintable(map->title()));

        QLabel* name = panel->runLabel();
        QVERIFY(name->fontMetrics().horizontalAdvance(name->text()) <= name->width());
        QVERIFY2(name->text() == name->toolTip() || name->text().endsWith(u'…'), qPrintable(name->text()));

        QLabel* summary = panel->pathLabel();
        QVERIFY2(summary->text().contains(QStringLiteral("neighbours lost")), qPrintable(summary->text()));
        QVERIFY2(summary->height() >= summary->heightForWidth(summary->width()),
            qPrintable(QStringLiteral("%1 < %2: %3")
                           .arg(summary->height())
                           .arg(summary->heightForWidth(summary->width()))
                           .arg(summary->text())));

        for (QTableView* table : panel->findChildren<QTableView*>()) {
            const QHeaderView* header = table->horizontalHeader();
            for (int c = 0; c + 1 < header->count(); ++c) // the last column stretches
                QVERIFY2(header->sectionSize(c) >= headerTitleWidth(header, c),
                    qPrintable(table->model()->headerData(c, Qt::Horizontal).toString()));
        }

        const ResidualWaterfallChart* waterfall = panel->waterfall();
        const auto boxes = waterfall->textBoxes();
        QCOMPARE(int(boxes.size()), 2 * waterfall->barCount());
        const QFontMetricsF metrics(waterfall->font());
        const QRectF inside = waterfall->viewport()->rect();
        for (size_t i = 0; i < boxes.size(); ++i) {
            const QString what = boxes[i].text;
            QVERIFY2(boxes[i].rect.width() >= metrics.horizontalAdvance(what), qPrintable(what));
            QVERIFY2(boxes[i].rect.height() >= metrics.height(), qPrintable(what));
            QVERIFY2(inside.contains(boxes[i].rect), qPrintable(what));
            for (size_t j = i + 1; j < boxes.size(); ++j)
                QVERIFY2(!boxes[i].rect.intersects(boxes[j].rect), qPrintable(what + u' ' + boxes[j].text));
        }
    }

    // A heat-map cell of the usage view opens its code in the explorer, and the window brings it forward.
    void heatmapDrillDown()
    {
        MainWindow window;
        AppContext* context = window.context();
        context->setTable(
            std::const_pointer_cast<EmbeddingTable>(vqtest::explorerEmbedding()), std::make_shared<TableStats>());
        context->setCurrentRun(context->addRun(vqtest::explorerRecord("grvq")));
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto* usage = window.findChild<CodebookUsagePanel*>();
        auto* codebooks = window.findChild<CodebooksPanel*>();
        QVERIFY(usage && codebooks);
        window.tabs()->setCurrentWidget(usage);
        QTest::qWait(100);
        HeatmapChart* heat = usage->heatmap();
        // Row of stage 2, group 5 (rows are stage-major, 8 groups); column of code 9 (16 codes, no buckets).
        const int row = 1 * 8 + 5;
        const int column = 9;
        const QRectF plot = heat->chart()->mapToScene(heat->chart()->plotArea()).boundingRect();
        const QPoint at = heat->mapFromScene(QPointF(plot.left() + (column + 0.5) * plot.width() / heat->columnCount(),
            plot.top() + (row + 0.5) * plot.height() / heat->rowCount()));
        QCOMPARE(heat->cellAt(at), QPoint(column, row));
        QSignalSpy ready(codebooks->runner(), &CodebookRunner::mapReady);
        QTest::mouseClick(heat->viewport(), Qt::LeftButton, {}, at);
        QCOMPARE(window.tabs()->currentWidget(), codebooks);
        QVERIFY(vqtest::waitFor(ready));
        QCOMPARE(codebooks->currentStage(), 1);
        QCOMPARE(codebooks->currentGroup(), 5);
        QCOMPARE(codebooks->selectedCode(), 9);
        QCOMPARE(codebooks->mapChart()->selectedCode(), 9);
        QCOMPARE(codebooks->stageCombo()->currentIndex(), 1);
        QCOMPARE(codebooks->groupCombo()->currentData().toInt(), 5);
    }

    // Typing a token (or #row) shows its path: codes, residual per step, neighbours.
    void tokenSearch_data()
    {
        QTest::addColumn<QString>("run");
        QTest::addColumn<QString>("search");
        for (const char* run : { "pq", "grvq", "carvq", "aqlm", "crvq" }) {
            QTest::newRow(qPrintable(QStringLiteral("%1 government").arg(QLatin1String(run))))
                << QString::fromLatin1(run) << QStringLiteral("government");
            QTest::newRow(qPrintable(QStringLiteral("%1 #17").arg(QLatin1String(run))))
                << QString::fromLatin1(run) << QStringLiteral("#17");
        }
    }
    void tokenSearch()
    {
        QFETCH(QString, run);
        QFETCH(QString, search);
        Fixture f(run.toStdString());
        CodebooksPanel panel(&f.context);
        testModels(panel, this);
        panel.show();
        QVERIFY(waitForMap(panel));
        // Row 0's path is shown until a token is picked: wait for it, then search.
        QTRY_COMPARE_WITH_TIMEOUT(panel.neighbourModel()->rowCount(), CodebookRunner::kNeighbours, 30000);
        QCOMPARE(panel.pathRow(), qint64(0));
        QSignalSpy path(panel.runner(), &CodebookRunner::pathReady);
        QSignalSpy neighbours(panel.runner(), &CodebookRunner::neighboursReady);
        panel.tokenSearch()->clear();
        QTest::keyClicks(panel.tokenSearch(), search);
        QTest::keyClick(panel.tokenSearch(), Qt::Key_Return);
        QVERIFY(vqtest::waitFor(path));
        const int64_t expected
            = findTokenRow(vqtest::explorerEmbedding()->tokens, vqtest::kExplorerRows, search.toStdString());
        QVERIFY(expected > 0);
        QCOMPARE(panel.pathRow(), qint64(expected));
        const TokenPath core
            = computeTokenPath(*vqtest::explorerRecord(run.toStdString())->table, vqtest::explorerTable(), expected);
        QCOMPARE(panel.stepsModel()->rowCount(), int(core.steps.size()) + 1);
        QCOMPARE(panel.waterfall()->barCount(), int(core.steps.size()) + 1);
        QCOMPARE(panel.waterfall()->value(0), core.norm);
        for (size_t s = 0; s < core.steps.size(); ++s) {
            QCOMPARE(panel.stepsModel()->residual(int(s) + 1), core.steps[s].residualNorm);
            QCOMPARE(panel.waterfall()->value(int(s) + 1), core.steps[s].residualNorm);
        }
        QCOMPARE(panel.codesModel()->rowCount(), int(core.codes.size()));
        QVERIFY(vqtest::waitFor(neighbours));
        QCOMPARE(panel.neighbourModel()->rowCount(), CodebookRunner::kNeighbours);
        QVERIFY(panel.pathLabel()->text().contains(QStringLiteral("neighbours lost")));

        // A text no token contains says so.
        QSignalSpy failed(panel.runner(), &CodebookRunner::failed);
        panel.showTokenPath(QStringLiteral("zzzznotaword"));
        QVERIFY(vqtest::waitFor(failed));
        QVERIFY(panel.pathLabel()->text().contains(QStringLiteral("no token matches")));
    }

    // A code picked in the token's codes table opens that codebook and code in the map.
    void codeOfThePathOpensTheMap()
    {
        Fixture f("crvq");
        CodebooksPanel panel(&f.context);
        panel.show();
        QVERIFY(waitForMap(panel));
        QSignalSpy path(panel.runner(), &CodebookRunner::pathReady);
        // Row 3's path: its extended code of the first critical group (array 1).
        panel.showTokenPath(qint64(3));
        while (panel.pathRow() != 3)
            QVERIFY(vqtest::waitFor(path, path.count() + 1));
        const TokenCodesModel* codes = panel.codesModel();
        int row = -1;
        for (int i = 0; i < codes->rowCount() && row < 0; ++i)
            if (codes->index(i, 0).data(TokenCodesModel::ArrayRole).toInt() == 1)
                row = i;
        QVERIFY(row >= 0);
        const int code = codes->index(row, 0).data(TokenCodesModel::CodeRole).toInt();
        const int stage = codes->index(row, 0).data(TokenCodesModel::StageRole).toInt();
        QSignalSpy ready(panel.runner(), &CodebookRunner::mapReady);
        panel.codesTable()->selectRow(row);
        QVERIFY(vqtest::waitFor(ready));
        QCOMPARE(panel.currentArray(), 1);
        QCOMPARE(panel.currentStage(), stage);
        QCOMPARE(panel.currentGroup(), -1); // extended codebooks are shared by the critical groups
        QCOMPARE(panel.selectedCode(), code);
        const CodebookAccess ext(*vqtest::explorerRecord("crvq")->table, 1);
        QCOMPARE(code, ext.code(3, stage, codes->index(row, 0).data(TokenCodesModel::GroupRole).toInt()));
    }

    // Double-clicking a token in the token error view shows its path in the explorer.
    void tokenFromAnotherView()
    {
        MainWindow window;
        AppContext* context = window.context();
        context->setTable(
            std::const_pointer_cast<EmbeddingTable>(vqtest::explorerEmbedding()), std::make_shared<TableStats>());
        context->setCurrentRun(context->addRun(vqtest::explorerRecord("aqlm")));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto* tokens = window.findChild<TokenErrorPanel*>();
        auto* codebooks = window.findChild<CodebooksPanel*>();
        window.tabs()->setCurrentWidget(tokens);
        QTableView* table = vqtest::tokenErrorViews(*tokens).table;
        QTest::qWait(50);
        const QModelIndex first = table->model()->index(0, 1);
        const qint64 row = first.data(TokenErrorModel::TableRowRole).toLongLong();
        QSignalSpy requested(context, &AppContext::tokenPathRequested);
        QSignalSpy path(codebooks->runner(), &CodebookRunner::pathReady);
        // A double click as the window system delivers it: press, release, then the double-click event.
        const QPoint at = table->visualRect(first).center();
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, at);
        QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, at);
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.at(0).at(0).toLongLong(), row);
        QCOMPARE(window.tabs()->currentWidget(), codebooks);
        while (codebooks->pathRow() != row)
            QVERIFY(vqtest::waitFor(path, path.count() + 1));
        QVERIFY(codebooks->pathLabel()->text().contains(QString::number(row)));
    }

    void emptyStates()
    {
        AppContext context;
        CodebooksPanel panel(&context);
        QVERIFY(panel.isShowingMessage());
        QVERIFY(panel.messageText().contains(QStringLiteral("Select a finished run")));
        context.setTable(
            std::const_pointer_cast<EmbeddingTable>(vqtest::explorerEmbedding()), std::make_shared<TableStats>());
        RunOptions options;
        options.neighbourRecall = false;
        options.logitFidelity = false;
        auto rtn = std::make_shared<RunRecord>(executeRun(*vqtest::explorerEmbedding(),
            QuantSpec { "rtn", { { "bits", 4 }, { "group", 0 }, { "mode", "sym" } } }, options, nullRunControl()));
        context.setCurrentRun(context.addRun(rtn));
        QVERIFY(panel.messageText().contains(QStringLiteral("no codebooks")));
        // A run read from a results file has no arrays.
        auto imported = std::make_shared<RunRecord>(*vqtest::explorerRecord("pq"));
        imported->table.reset();
        context.setCurrentRun(context.addRun(imported));
        QVERIFY(panel.messageText().contains(QStringLiteral("not in memory")));
        auto running = std::make_shared<RunRecord>(*vqtest::explorerRecord("pq"));
        running->status = RunStatus::Running;
        context.setCurrentRun(context.addRun(running));
        QVERIFY(panel.messageText().contains(QStringLiteral("finished")));
    }

    // The map, its colours and samples, and the exports: PNG, SVG (points as vectors), CSV, report images.
    void colourSamplesAndExports()
    {
        Fixture f("grvq");
        CodebooksPanel panel(&f.context);
        panel.resize(1200, 800);
        panel.show();
        QVERIFY(waitForMap(panel));
        const CodewordMapResult* map = panel.shownMap();
        // Group 0 of a per-group codebook: one use per row, all 1200 of them (fewer than the sample size).
        QCOMPARE(panel.mapChart()->sampleCount(),
            int(std::min<int64_t>(CodebookRunner::kSampleUses, vqtest::kExplorerRows)));
        QVERIFY(map->hasErrors);
        // Colour by error: two codes with different mean errors get different colours; by weight, the
        // weights are a Zipf prior (the run had uniform weights).
        const std::vector<double>& err = map->map.stats.meanError;
        const int lo = int(std::min_element(err.begin(), err.end()) - err.begin());
        const int hi = int(std::max_element(err.begin(), err.end()) - err.begin());
        QVERIFY(panel.mapChart()->colourOf(lo) != panel.mapChart()->colourOf(hi));
        panel.setColour(CodebooksPanel::Colour::MeanWeight);
        QVERIFY(QString::fromStdString(map->weightsLabel).contains(QStringLiteral("Zipf")));
        QVERIFY(!std::isnan(map->map.stats.meanWeight[size_t(lo)]));
        panel.setShowSamples(false);
        QVERIFY(!panel.mapChart()->showsSamples());

        QTemporaryDir dir;
        const QString png = dir.filePath(QStringLiteral("map.png"));
        const QString svg = dir.filePath(QStringLiteral("map.svg"));
        QVERIFY(panel.mapChart()->exportPng(png));
        QVERIFY(panel.mapChart()->exportSvg(svg));
        QVERIFY(QImage(png).width() > 100);
        QFile svgFile(svg);
        QVERIFY(svgFile.open(QIODevice::ReadOnly));
        const QByteArray svgText = svgFile.readAll();
        // 16 codewords drawn as vector shapes, not one embedded bitmap.
        QVERIFY(!svgText.contains("<image"));
        QVERIFY2(svgText.count("<path") + svgText.count("<ellipse") + svgText.count("<circle") >= 16,
            svgText.left(300).constData());
        const QString csv = tableToCsv(*panel.codewordTable()->model());
        QCOMPARE(csv.count(u'\n'), 17); // header + 16 codewords
        const auto images = panel.reportImages();
        QVERIFY(!images.isEmpty());
        QVERIFY(!images.front().second.isNull());
    }
};

QTEST_MAIN(TestCodebooksPanel)
#include "tst_codebookspanel.moc"
