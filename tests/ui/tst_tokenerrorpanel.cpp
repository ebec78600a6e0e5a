// TokenErrorPanel on real runs (RTN 2-bit and PQ on 5000 GloVe rows with their words): the histogram
// holds every token, the row chart is thinned to its pixel budget yet keeps the worst token's spike, the
// table sorts and searches 5000 tokens, the metric selector changes what is plotted, and clicking a
// point selects its token.
#include "charts/histogramchart.h"
#include "charts/tokenerrorchart.h"
#include "displaytext.h"
#include "metrics/rowsample.h"
#include "models/tokenerrormodel.h"
#include "models/tokenerrorproxymodel.h"
#include "models/tokentablemodel.h"
#include "panels/tokenerrorpanel.h"
#include "runners/previewrunner.h"

#include "axisprobe.h"
#include "charthover.h"
#include "glovetokens.h"
#include "io/embeddingloader.h"
#include "panelviews.h"
#include "run/runexecutor.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QChart>
#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <algorithm>
#include <numeric>

using namespace vq;

namespace {

constexpr int64_t kRows = 5000;

int64_t argMax(const std::vector<float>& v)
{
    return int64_t(std::max_element(v.begin(), v.end()) - v.begin());
}

bool plots(const TokenErrorChart& chart, int64_t row)
{
    const auto& p = chart.plotted();
    return std::any_of(p.begin(), p.end(), [row](const PlotPoint& q) { return q.index == row; });
}

} // namespace

class TestTokenErrorPanel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        // The bundled sample with its words: 20000 rows, two RTN runs.
        LoadOptions load;
        auto sample = std::make_shared<const EmbeddingTable>(
            loadEmbedding(vqtest::sourcePath("resources/sample/glove-20k.npy"), load, nullRunControl()));
        QCOMPARE(sample->tokens.size(), size_t(20000));
        m_sample.setTable(sample, std::make_shared<TableStats>());
        RunOptions options;
        options.recallQueries = 0;
        for (int bits : { 3, 2 })
            m_sampleKeys.push_back(m_sample.addRun(std::make_shared<const RunRecord>(
                executeRun(*sample, vqtest::rtnSpec(bits), options, nullRunControl()))));

        m_context.setTable(vqtest::gloveTableWithTokens(kRows), std::make_shared<TableStats>());
        m_queue = std::make_unique<RunQueue>(&m_context);
        QVERIFY(vqtest::runAll(*m_queue, { vqtest::rtnSpec(2), vqtest::pqSpec() }, m_keys));
        for (RunKey key : m_keys)
            QCOMPARE(m_context.run(key)->record->status, RunStatus::Done);
    }

    void emptyStateUntilAFinishedRunIsSelected()
    {
        m_context.setSelectedRuns({});
        TokenErrorPanel panel(&m_context);
        QVERIFY(panel.isShowingEmptyState());
        QCOMPARE(vqtest::tokenErrorViews(panel).model->rowCount(), 0);
        m_context.setCurrentRun(m_keys[0]);
        QVERIFY(!panel.isShowingEmptyState());
        QCOMPARE(panel.shownKey(), m_keys[0]);
        QCOMPARE(vqtest::tokenErrorViews(panel).model->rowCount(), int(kRows));
        m_context.setSelectedRuns({});
        QVERIFY(panel.isShowingEmptyState());
        QCOMPARE(vqtest::tokenErrorViews(panel).model->rowCount(), 0);
    }

    // Selecting a finished run of the bundled sample (20000 rows) at start, after deselecting it and
    // after selecting another: Qt Charts lays out each axis with the ticks it has when its range changes,
    // so a chart cleared to 2 rows and then given 20000 once built 10000 labels (seconds of a frozen
    // window; 45 s at 32000 x 2048). The probe counts what Qt built at every range change.
    void selectingARunOnTheSampleBuildsFewLabels()
    {
        AppContext& context = m_sample;
        const RunKey a = m_sampleKeys[0];
        const RunKey b = m_sampleKeys[1];
        TokenErrorPanel panel(&context);
        panel.resize(1100, 800);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        std::vector<std::unique_ptr<vqtest::AxisProbe>> probes;
        for (QChartView* chart : panel.findChildren<QChartView*>())
            probes.push_back(std::make_unique<vqtest::AxisProbe>(chart));
        QCOMPARE(probes.size(), size_t(2));

        const QList<QList<RunKey>> steps { { a }, {}, { a }, { b }, { a, b }, {}, { b } };
        for (const QList<RunKey>& selection : steps) {
            QElapsedTimer clock;
            clock.start();
            context.setSelectedRuns(selection);
            QCoreApplication::sendPostedEvents();
            QCoreApplication::processEvents();
            qInfo("selecting %d run(s): %lld ms on the GUI thread", int(selection.size()), clock.elapsed());
            for (const auto& probe : probes) {
                QVERIFY2(probe->worstTicks() <= 300,
                    qPrintable(QStringLiteral("axis '%1' laid out with %2 ticks")
                                   .arg(probe->worstAxis())
                                   .arg(probe->worstTicks())));
                QVERIFY2(probe->worstTextItems() <= 300, qPrintable(QString::number(probe->worstTextItems())));
                probe->reset();
            }
        }
    }

    // Behind another tab of a shown window the panel puts its rebuild off until it is shown: a selection
    // costs the GUI thread the visible view only. On its own (not in a window) it keeps up at once.
    void hiddenPageRebuildsWhenShown()
    {
        m_sample.setSelectedRuns({});
        QTabWidget window;
        auto* other = new QWidget;
        auto* panel = new TokenErrorPanel(&m_sample);
        window.addTab(other, QStringLiteral("other"));
        window.addTab(panel, QStringLiteral("tokens"));
        window.resize(900, 700);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(window.currentWidget(), other);
        m_sample.setCurrentRun(m_sampleKeys[1]);
        QVERIFY(panel->isStale());
        QCOMPARE(panel->shownKey(), RunKey(0));
        // Rebuilt right after it is shown (inside the show event, Qt Charts would keep swapped-out axes'
        // labels on screen).
        window.setCurrentWidget(panel);
        QTRY_VERIFY(!panel->isStale());
        QCOMPARE(panel->shownKey(), m_sampleKeys[1]);
        // Shown: at once.
        m_sample.setCurrentRun(m_sampleKeys[0]);
        QCOMPARE(panel->shownKey(), m_sampleKeys[0]);
        // Hidden again, then brought up to date on demand (a report grabbing its charts).
        window.setCurrentWidget(other);
        m_sample.setCurrentRun(m_sampleKeys[1]);
        QVERIFY(panel->isStale());
        panel->syncIfStale();
        QCOMPARE(panel->shownKey(), m_sampleKeys[1]);
        QVERIFY(!panel->isStale());
    }

    // Hovering a point of the row chart names its token, its row and its errors; a histogram bar names
    // its bin and count.
    void hoverNamesTheTokenAndTheBin()
    {
        m_sample.setCurrentRun(m_sampleKeys[0]);
        TokenErrorPanel panel(&m_sample);
        panel.resize(1100, 800);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QCoreApplication::processEvents();
        auto* rows = panel.findChild<TokenErrorChart*>();
        QVERIFY(rows);
        rows->replot();
        const RunRecord& record = *m_sample.run(m_sampleKeys[0])->record;
        const auto& rel = record.fullMetrics->reconstruction.tokenRelError;
        // The worst token: always plotted (thinning keeps each pixel column's extremes).
        const int64_t worst = argMax(rel);
        QVERIFY(plots(*rows, worst));
        const QString text
            = vqtest::hoverText(rows, QPointF(double(worst), double(rel[size_t(worst)])), rows->chart()->series()[0]);
        const std::string& token = m_sample.table()->tokens[size_t(worst)];
        QVERIFY2(text.startsWith(display::quotedToken(token)), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("row %1").arg(worst)), qPrintable(text));
        QVERIFY2(text.contains(display::number(rel[size_t(worst)])), qPrintable(text));

        auto* histogram = panel.findChild<HistogramChart*>();
        QVERIFY(histogram);
        const PlotHistogram& h = histogram->histogram();
        const int peak = int(std::max_element(h.counts.begin(), h.counts.end()) - h.counts.begin());
        const QPointF centre(std::sqrt(h.edge(peak) * h.edge(peak + 1)), 1);
        QCOMPARE(vqtest::hoverText(histogram, centre, histogram->chart()->series()[0]), histogram->binText(peak));
        QVERIFY(histogram->binText(peak).endsWith(QStringLiteral(" tokens")));
    }

    void histogramHoldsEveryToken_data()
    {
        QTest::addColumn<bool>("log");
        QTest::newRow("linear") << false;
        QTest::newRow("log") << true;
    }
    void histogramHoldsEveryToken()
    {
        QFETCH(bool, log);
        m_context.setCurrentRun(m_keys[0]);
        TokenErrorPanel panel(&m_context);
        panel.setLogScale(log);
        const PlotHistogram& h = vqtest::tokenErrorViews(panel).histogram->histogram();
        QCOMPARE(h.logScale, log);
        QVERIFY(h.counts.size() > 10);
        const int64_t counted = std::accumulate(h.counts.begin(), h.counts.end(), int64_t(0));
        // GloVe has no zero row: every token has a finite, positive error and lands in a bin.
        QCOMPARE(h.below + h.above + h.nonFinite, int64_t(0));
        QCOMPARE(counted, kRows);
        QCOMPARE(vqtest::tokenErrorViews(panel).histogram->outline()->count(), int(2 * h.counts.size()));
        const auto& rel = m_context.run(m_keys[0])->record->fullMetrics->reconstruction.tokenRelError;
        QCOMPARE(float(h.hi), *std::max_element(rel.begin(), rel.end()));
    }

    void rowChartIsThinnedAndKeepsTheSpike()
    {
        m_context.setCurrentRun(m_keys[1]);
        TokenErrorPanel panel(&m_context);
        panel.resize(1100, 800);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        vqtest::tokenErrorViews(panel).rows->replot();
        const int64_t budget = vqtest::tokenErrorViews(panel).rows->pointBudget();
        const auto& plotted = vqtest::tokenErrorViews(panel).rows->plotted();
        QVERIFY2(budget < kRows, qPrintable(QString::number(budget)));
        QVERIFY(int64_t(plotted.size()) <= budget);
        QVERIFY(int64_t(plotted.size()) > budget / 2);
        const auto& rel = m_context.run(m_keys[1])->record->fullMetrics->reconstruction.tokenRelError;
        QVERIFY(plots(*vqtest::tokenErrorViews(panel).rows, argMax(rel)));
        // The point under the mouse is the spike's token.
        QChart* chart = vqtest::tokenErrorViews(panel).rows->chart();
        const QPointF at = chart->mapToPosition(
            QPointF(double(argMax(rel)), double(rel[size_t(argMax(rel))])), chart->series().constFirst());
        const QPoint viewportPos = vqtest::tokenErrorViews(panel).rows->mapFromScene(chart->mapToScene(at));
        QCOMPARE(vqtest::tokenErrorViews(panel).rows->rowNear(viewportPos), argMax(rel));
        // The points are painted: the spike's pixel has their colour.
        const QImage drawn = vqtest::tokenErrorViews(panel).rows->viewport()->grab().toImage();
        QCOMPARE(drawn.pixelColor(viewportPos).name(), vqtest::tokenErrorViews(panel).rows->pointColor().name());

        // Clicking the spike selects its token in the table.
        QTest::mouseClick(vqtest::tokenErrorViews(panel).rows->viewport(), Qt::LeftButton, {}, viewportPos);
        const QModelIndex current = vqtest::tokenErrorViews(panel).table->currentIndex();
        QVERIFY(current.isValid());
        QCOMPARE(vqtest::tokenErrorViews(panel).proxy->mapToSource(current).row(), int(argMax(rel)));
        QVERIFY(vqtest::tokenErrorViews(panel).table->selectionModel()->isRowSelected(current.row(), {}));
    }

    void tableSortsWorstFirstWithTokenStrings()
    {
        m_context.setCurrentRun(m_keys[0]);
        TokenErrorPanel panel(&m_context);
        QAbstractItemModelTester modelTester(
            vqtest::tokenErrorViews(panel).model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(
            vqtest::tokenErrorViews(panel).proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const auto& rec = m_context.run(m_keys[0])->record->fullMetrics->reconstruction;
        const int64_t worst = argMax(rec.tokenRelError);
        const QAbstractItemModel* proxy = vqtest::tokenErrorViews(panel).proxy;
        QCOMPARE(proxy->rowCount(), int(kRows));
        QCOMPARE(proxy->index(0, TokenErrorModel::RelErrorColumn).data(TokenErrorModel::SortRole).toDouble(),
            double(rec.tokenRelError[size_t(worst)]));
        QCOMPARE(proxy->index(0, TokenErrorModel::RowColumn).data().toString(), QString::number(worst));
        const QString token = QString::fromStdString(m_context.table()->tokens[size_t(worst)]);
        QCOMPARE(proxy->index(0, TokenErrorModel::TokenColumn).data().toString(), u'"' + token + u'"');
        QCOMPARE(proxy->index(0, TokenErrorModel::MseColumn).data(TokenErrorModel::SortRole).toDouble(),
            double(rec.tokenMse[size_t(worst)]));
        // Row norms are the table's.
        double sum = 0;
        for (float v : m_context.table()->values.rowSpan(worst))
            sum += double(v) * v;
        QCOMPARE(proxy->index(0, TokenErrorModel::RowNormColumn).data(TokenErrorModel::SortRole).toDouble(),
            double(float(std::sqrt(sum))));
        // Descending all the way down.
        for (int r = 1; r < proxy->rowCount(); r += 97)
            QVERIFY(proxy->index(r - 1, TokenErrorModel::RelErrorColumn).data(TokenErrorModel::SortRole).toDouble()
                >= proxy->index(r, TokenErrorModel::RelErrorColumn).data(TokenErrorModel::SortRole).toDouble());

        // Best first by cosine distance.
        vqtest::tokenErrorViews(panel).table->sortByColumn(TokenErrorModel::CosineDistanceColumn, Qt::AscendingOrder);
        const float bestCos = *std::max_element(rec.tokenCosine.begin(), rec.tokenCosine.end());
        QCOMPARE(proxy->index(0, TokenErrorModel::CosineDistanceColumn).data(TokenErrorModel::SortRole).toDouble(),
            1.0 - double(bestCos));

        // The percentile line shows the run's tail.
        QVERIFY(vqtest::tokenErrorViews(panel).summary->text().contains(
            QStringLiteral("p99 ") + QString::number(rec.tokenRelErrorPercentiles.p99, 'g', 4)));
    }

    void searchFiltersToTheToken()
    {
        m_context.setCurrentRun(m_keys[0]);
        TokenErrorPanel panel(&m_context);
        const auto& rec = m_context.run(m_keys[0])->record->fullMetrics->reconstruction;
        const int64_t worst = argMax(rec.tokenRelError);
        const QString token = QString::fromStdString(m_context.table()->tokens[size_t(worst)]);
        QTest::keyClicks(vqtest::tokenErrorViews(panel).search, token);
        const QAbstractItemModel* proxy = vqtest::tokenErrorViews(panel).proxy;
        QVERIFY(proxy->rowCount() >= 1);
        QVERIFY(proxy->rowCount() < int(kRows));
        bool found = false;
        for (int r = 0; r < proxy->rowCount(); ++r) {
            const QString shown = proxy->index(r, TokenErrorModel::TokenColumn).data().toString();
            QVERIFY2(shown.contains(token, Qt::CaseInsensitive)
                    || proxy->index(r, TokenErrorModel::RowColumn).data().toString() == token,
                qPrintable(shown));
            found |= proxy->index(r, TokenErrorModel::RowColumn).data().toString() == QString::number(worst);
        }
        QVERIFY(found);
        // Still worst first among the matches.
        QCOMPARE(proxy->index(0, TokenErrorModel::RowColumn).data().toString(), QString::number(worst));

        // "the" is row 0; its exact row number finds it too.
        vqtest::tokenErrorViews(panel).search->setText(QStringLiteral("#0"));
        QCOMPARE(proxy->rowCount(), 1);
        QCOMPARE(proxy->index(0, TokenErrorModel::TokenColumn).data().toString(), QStringLiteral("\"the\""));
        vqtest::tokenErrorViews(panel).search->clear();
        QCOMPARE(proxy->rowCount(), int(kRows));

        // Selecting a filtered-out token clears the search.
        const QString hiding = token.contains(QStringLiteral("zzzz")) ? QStringLiteral("qqqq") : QStringLiteral("zzzz");
        vqtest::tokenErrorViews(panel).search->setText(hiding);
        QCOMPARE(proxy->rowCount(), 0);
        panel.selectToken(worst);
        QVERIFY(vqtest::tokenErrorViews(panel).search->text().isEmpty());
        QCOMPARE(vqtest::tokenErrorViews(panel)
                     .proxy->mapToSource(vqtest::tokenErrorViews(panel).table->currentIndex())
                     .row(),
            int(worst));
    }

    void searchRanksTheExactTokenFirst()
    {
        // "king" (row 654 of GloVe) among "making", "taking", "kingdom", "kings", ...: the token itself,
        // then the tokens that start with it, then those that contain it, whatever the sort order.
        m_context.setCurrentRun(m_keys[0]);
        TokenErrorPanel panel(&m_context);
        QAbstractItemModelTester proxyTester(
            vqtest::tokenErrorViews(panel).proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QAbstractItemModel* proxy = vqtest::tokenErrorViews(panel).proxy;
        for (const Qt::SortOrder order : { Qt::DescendingOrder, Qt::AscendingOrder }) {
            vqtest::tokenErrorViews(panel).table->sortByColumn(TokenErrorModel::RelErrorColumn, order);
            vqtest::tokenErrorViews(panel).search->setText(QStringLiteral("king"));
            QVERIFY(proxy->rowCount() > 20);
            QCOMPARE(proxy->index(0, TokenErrorModel::TokenColumn).data().toString(), QStringLiteral("\"king\""));
            QCOMPARE(proxy->index(0, TokenErrorModel::RowColumn).data().toString(), QStringLiteral("654"));
            using Match = TokenErrorProxyModel::Match;
            Match last = Match::RowNumber;
            int prefixes = 0;
            for (int r = 0; r < proxy->rowCount(); ++r) {
                const std::string token = m_context.table()->tokens[size_t(
                    proxy->index(r, TokenErrorModel::RowColumn).data(TokenErrorModel::TableRowRole).toLongLong())];
                const Match m = TokenErrorProxyModel::tokenMatch(token, QStringLiteral("king"));
                QVERIFY2(m >= last, token.c_str());
                prefixes += m == Match::Prefix;
                last = m;
            }
            QVERIFY(prefixes >= 2); // kingdom, kings
            QCOMPARE(last, Match::Substring);
            vqtest::tokenErrorViews(panel).search->clear();
        }
        QCOMPARE(TokenErrorProxyModel::tokenMatch("\u0120King", QStringLiteral("king")),
            TokenErrorProxyModel::Match::Exact); // GPT-2's word start
        QCOMPARE(TokenErrorProxyModel::tokenMatch("\u2581kingdom", QStringLiteral("king")),
            TokenErrorProxyModel::Match::Prefix); // SentencePiece's
        QCOMPARE(
            TokenErrorProxyModel::tokenMatch("making", QStringLiteral("king")), TokenErrorProxyModel::Match::Substring);
        QCOMPARE(TokenErrorProxyModel::tokenMatch("queen", QStringLiteral("king")), TokenErrorProxyModel::Match::None);
    }

    void quotesAreEscaped_data()
    {
        QTest::addColumn<QString>("token");
        QTest::addColumn<QString>("shown");
        QTest::newRow("quote") << QStringLiteral("\"") << QStringLiteral("\"\\\"\"");
        QTest::newRow("backslash") << QStringLiteral("\\") << QStringLiteral("\"\\\\\"");
        QTest::newRow("newline") << QStringLiteral("\n") << QStringLiteral("\"\\n\"");
        QTest::newRow("space") << QStringLiteral(" ") << QStringLiteral("\" \"");
        QTest::newRow("word") << QStringLiteral("king") << QStringLiteral("\"king\"");
    }
    void quotesAreEscaped()
    {
        QFETCH(QString, token);
        QFETCH(QString, shown);
        QCOMPARE(display::quotedToken(token.toStdString()), shown);
    }

    void previewShowsTheSampledRowsAndTheirTokens()
    {
        PreviewRunner runner(&m_context);
        runner.setSampleRows(400);
        QSignalSpy finished(&runner, &PreviewRunner::finished);
        runner.request(vqtest::rtnSpec(3), {}, 7, 2);
        QVERIFY(finished.wait(60000));
        const RunKey key = runner.previewKey();
        const RunRecord& record = *m_context.run(key)->record;
        QVERIFY(record.sampleRows);
        const std::vector<int64_t>& rows = *record.sampleRows;
        QCOMPARE(rows.size(), size_t(400));
        QCOMPARE(rows, vq::sampleRows(kRows, 400, 7));

        m_context.setCurrentRun(key);
        TokenErrorPanel panel(&m_context);
        QAbstractItemModelTester modelTester(
            vqtest::tokenErrorViews(panel).model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        TokenErrorModel* model = vqtest::tokenErrorViews(panel).model;
        QCOMPARE(model->rowCount(), 400);
        for (int r = 0; r < 400; ++r) {
            // The table's row ids, not 0..399, with their words and norms.
            const int64_t id = rows[size_t(r)];
            QCOMPARE(model->tableRow(r), id);
            QCOMPARE(model->index(r, TokenErrorModel::RowColumn).data().toString(), QString::number(id));
            QCOMPARE(model->index(r, TokenErrorModel::RowColumn).data(TokenErrorModel::TableRowRole).toLongLong(), id);
            QVERIFY(model->token(r));
            QCOMPARE(*model->token(r), m_context.table()->tokens[size_t(id)]);
        }
        QVERIFY(rows.back() > 399); // ids beyond the sample's size: a real mapping
        // Searching a sampled row by its id finds it.
        const int64_t probe = rows[200];
        vqtest::tokenErrorViews(panel).search->setText(QStringLiteral("#") + QString::number(probe));
        QVERIFY(vqtest::tokenErrorViews(panel).proxy->rowCount() >= 1);
        QCOMPARE(vqtest::tokenErrorViews(panel).proxy->index(0, TokenErrorModel::RowColumn).data().toString(),
            QString::number(probe));
        m_context.removeRun(key);
    }

    void switchingTheMetricChangesThePlot()
    {
        m_context.setCurrentRun(m_keys[1]);
        TokenErrorPanel panel(&m_context);
        panel.resize(1100, 800);
        const auto& rec = m_context.run(m_keys[1])->record->fullMetrics->reconstruction;
        const auto valuesMatch = [&](const std::vector<float>& expected) {
            for (const PlotPoint& p : vqtest::tokenErrorViews(panel).rows->plotted())
                if (p.value != expected[size_t(p.index)])
                    return false;
            return !vqtest::tokenErrorViews(panel).rows->plotted().empty();
        };
        QVERIFY(valuesMatch(rec.tokenRelError));
        const double relHi = vqtest::tokenErrorViews(panel).histogram->histogram().hi;

        vqtest::tokenErrorViews(panel).metric->setCurrentIndex(
            vqtest::tokenErrorViews(panel).metric->findData(int(TokenErrorMetric::Mse)));
        QCOMPARE(panel.metric(), TokenErrorMetric::Mse);
        QVERIFY(valuesMatch(rec.tokenMse));
        QVERIFY(!valuesMatch(rec.tokenRelError));
        QCOMPARE(float(vqtest::tokenErrorViews(panel).histogram->histogram().hi),
            *std::max_element(rec.tokenMse.begin(), rec.tokenMse.end()));
        QVERIFY(vqtest::tokenErrorViews(panel).histogram->histogram().hi != relHi);
        QVERIFY(plots(*vqtest::tokenErrorViews(panel).rows, argMax(rec.tokenMse)));

        panel.setMetric(TokenErrorMetric::CosineDistance);
        std::vector<float> distance(rec.tokenCosine.size());
        for (size_t i = 0; i < distance.size(); ++i)
            distance[i] = 1.0f - rec.tokenCosine[i];
        QVERIFY(valuesMatch(distance));
        QVERIFY(plots(*vqtest::tokenErrorViews(panel).rows, argMax(distance)));
        QVERIFY(vqtest::tokenErrorViews(panel).summary->text().contains(
            QStringLiteral("max ") + QString::number(rec.tokenCosineDistancePercentiles.max, 'g', 4)));
    }

    void followsTheRunsChanges()
    {
        m_context.setCurrentRun(m_keys[0]);
        TokenErrorPanel panel(&m_context);
        const TokenErrorModel* model = vqtest::tokenErrorViews(panel).model;
        QSignalSpy resets(model, &QAbstractItemModel::modelReset);
        m_context.renameRun(m_keys[0], QStringLiteral("two-bit baseline"));
        // A rename keeps the vectors: no reset of 5000 rows.
        QCOMPARE(resets.count(), 0);
        QCOMPARE(panel.shownRun()->name, std::string("two-bit baseline"));
        m_context.setCurrentRun(m_keys[1]);
        QCOMPARE(resets.count(), 1);
        QCOMPARE(panel.shownKey(), m_keys[1]);
    }

    void showsARunWhenItFinishes()
    {
        TokenErrorPanel panel(&m_context);
        QSignalSpy finished(m_queue.get(), &RunQueue::runFinished);
        const RunKey key = m_queue->enqueue(vqtest::rtnSpec(8));
        m_context.setCurrentRun(key);
        QVERIFY(panel.isShowingEmptyState());
        QVERIFY(panel.emptyStateText().contains(QStringLiteral("not finished")));
        QVERIFY(finished.wait(120000));
        QVERIFY(!panel.isShowingEmptyState());
        QCOMPARE(panel.shownKey(), key);
        const auto& rel = m_context.run(key)->record->fullMetrics->reconstruction.tokenRelError;
        QCOMPARE(vqtest::tokenErrorViews(panel)
                     .proxy->index(0, TokenErrorModel::RelErrorColumn)
                     .data(TokenErrorModel::SortRole)
                     .toDouble(),
            double(*std::max_element(rel.begin(), rel.end())));
        m_context.removeRun(key);
        QVERIFY(panel.isShowingEmptyState());
    }

private:
    AppContext m_sample;
    std::vector<RunKey> m_sampleKeys;
    AppContext m_context;
    std::unique_ptr<RunQueue> m_queue;
    std::vector<RunKey> m_keys;
};

QTEST_MAIN(TestTokenErrorPanel)
#include "tst_tokenerrorpanel.moc"
