// TokenErrorPanel on real runs (RTN 2-bit and PQ on 5000 GloVe rows with their words): the histogram
// holds every token, the row chart is thinned to its pixel budget yet keeps the worst token's spike, the
// table sorts and searches 5000 tokens, the metric selector changes what is plotted, and clicking a
// point selects its token.
#include "charts/errorhistogramchart.h"
#include "charts/tokenerrorchart.h"
#include "displaytext.h"
#include "metrics/rowsample.h"
#include "models/tokenerrormodel.h"
#include "models/tokenerrorproxymodel.h"
#include "models/tokentablemodel.h"
#include "panels/tokenerrorpanel.h"
#include "runners/previewrunner.h"

#include "glovetokens.h"

#include <QAbstractItemModelTester>
#include <QChart>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QScatterSeries>
#include <QSignalSpy>
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
        QCOMPARE(panel.tokenModel()->rowCount(), 0);
        m_context.setCurrentRun(m_keys[0]);
        QVERIFY(!panel.isShowingEmptyState());
        QCOMPARE(panel.shownKey(), m_keys[0]);
        QCOMPARE(panel.tokenModel()->rowCount(), int(kRows));
        m_context.setSelectedRuns({});
        QVERIFY(panel.isShowingEmptyState());
        QCOMPARE(panel.tokenModel()->rowCount(), 0);
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
        const PlotHistogram& h = panel.histogramChart()->histogram();
        QCOMPARE(h.logScale, log);
        QVERIFY(h.counts.size() > 10);
        const int64_t counted = std::accumulate(h.counts.begin(), h.counts.end(), int64_t(0));
        // GloVe has no zero row: every token has a finite, positive error and lands in a bin.
        QCOMPARE(h.below + h.above + h.nonFinite, int64_t(0));
        QCOMPARE(counted, kRows);
        QCOMPARE(panel.histogramChart()->outline()->count(), int(2 * h.counts.size()));
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
        panel.rowChart()->replot();
        const int64_t budget = panel.rowChart()->pointBudget();
        const auto& plotted = panel.rowChart()->plotted();
        QVERIFY2(budget < kRows, qPrintable(QString::number(budget)));
        QVERIFY(int64_t(plotted.size()) <= budget);
        QVERIFY(int64_t(plotted.size()) > budget / 2);
        QCOMPARE(panel.rowChart()->series()->count(), int(plotted.size()));
        const auto& rel = m_context.run(m_keys[1])->record->fullMetrics->reconstruction.tokenRelError;
        QVERIFY(plots(*panel.rowChart(), argMax(rel)));
        // The point under the mouse is the spike's token.
        QChart* chart = panel.rowChart()->chart();
        const QPointF at = chart->mapToPosition(QPointF(double(argMax(rel)), double(rel[size_t(argMax(rel))])),
            const_cast<QScatterSeries*>(panel.rowChart()->series()));
        const QPoint viewportPos = panel.rowChart()->mapFromScene(chart->mapToScene(at));
        QCOMPARE(panel.rowChart()->rowNear(viewportPos), argMax(rel));

        // Clicking the spike selects its token in the table.
        QTest::mouseClick(panel.rowChart()->viewport(), Qt::LeftButton, {}, viewportPos);
        const QModelIndex current = panel.tokenTable()->currentIndex();
        QVERIFY(current.isValid());
        QCOMPARE(panel.tokenProxy()->mapToSource(current).row(), int(argMax(rel)));
        QVERIFY(panel.tokenTable()->selectionModel()->isRowSelected(current.row(), {}));
    }

    void tableSortsWorstFirstWithTokenStrings()
    {
        m_context.setCurrentRun(m_keys[0]);
        TokenErrorPanel panel(&m_context);
        QAbstractItemModelTester modelTester(
            panel.tokenModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(
            panel.tokenProxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        const auto& rec = m_context.run(m_keys[0])->record->fullMetrics->reconstruction;
        const int64_t worst = argMax(rec.tokenRelError);
        const QAbstractItemModel* proxy = panel.tokenProxy();
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
        panel.tokenTable()->sortByColumn(TokenErrorModel::CosineDistanceColumn, Qt::AscendingOrder);
        const float bestCos = *std::max_element(rec.tokenCosine.begin(), rec.tokenCosine.end());
        QCOMPARE(proxy->index(0, TokenErrorModel::CosineDistanceColumn).data(TokenErrorModel::SortRole).toDouble(),
            1.0 - double(bestCos));

        // The percentile line shows the run's tail.
        QVERIFY(panel.summaryLabel()->text().contains(
            QStringLiteral("p99 ") + QString::number(rec.tokenRelErrorPercentiles.p99, 'g', 4)));
    }

    void searchFiltersToTheToken()
    {
        m_context.setCurrentRun(m_keys[0]);
        TokenErrorPanel panel(&m_context);
        const auto& rec = m_context.run(m_keys[0])->record->fullMetrics->reconstruction;
        const int64_t worst = argMax(rec.tokenRelError);
        const QString token = QString::fromStdString(m_context.table()->tokens[size_t(worst)]);
        QTest::keyClicks(panel.searchEdit(), token);
        const QAbstractItemModel* proxy = panel.tokenProxy();
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
        panel.searchEdit()->setText(QStringLiteral("#0"));
        QCOMPARE(proxy->rowCount(), 1);
        QCOMPARE(proxy->index(0, TokenErrorModel::TokenColumn).data().toString(), QStringLiteral("\"the\""));
        panel.searchEdit()->clear();
        QCOMPARE(proxy->rowCount(), int(kRows));

        // Selecting a filtered-out token clears the search.
        const QString hiding = token.contains(QStringLiteral("zzzz")) ? QStringLiteral("qqqq") : QStringLiteral("zzzz");
        panel.searchEdit()->setText(hiding);
        QCOMPARE(proxy->rowCount(), 0);
        panel.selectToken(worst);
        QVERIFY(panel.searchEdit()->text().isEmpty());
        QCOMPARE(panel.tokenProxy()->mapToSource(panel.tokenTable()->currentIndex()).row(), int(worst));
    }

    void searchRanksTheExactTokenFirst()
    {
        // "king" (row 654 of GloVe) among "making", "taking", "kingdom", "kings", ...: the token itself,
        // then the tokens that start with it, then those that contain it, whatever the sort order.
        m_context.setCurrentRun(m_keys[0]);
        TokenErrorPanel panel(&m_context);
        QAbstractItemModelTester proxyTester(
            panel.tokenProxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QAbstractItemModel* proxy = panel.tokenProxy();
        for (const Qt::SortOrder order : { Qt::DescendingOrder, Qt::AscendingOrder }) {
            panel.tokenTable()->sortByColumn(TokenErrorModel::RelErrorColumn, order);
            panel.searchEdit()->setText(QStringLiteral("king"));
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
            panel.searchEdit()->clear();
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
            panel.tokenModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        TokenErrorModel* model = panel.tokenModel();
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
        panel.searchEdit()->setText(QStringLiteral("#") + QString::number(probe));
        QVERIFY(panel.tokenProxy()->rowCount() >= 1);
        QCOMPARE(panel.tokenProxy()->index(0, TokenErrorModel::RowColumn).data().toString(), QString::number(probe));
        m_context.removeRun(key);
    }

    void switchingTheMetricChangesThePlot()
    {
        m_context.setCurrentRun(m_keys[1]);
        TokenErrorPanel panel(&m_context);
        panel.resize(1100, 800);
        const auto& rec = m_context.run(m_keys[1])->record->fullMetrics->reconstruction;
        const auto valuesMatch = [&](const std::vector<float>& expected) {
            for (const PlotPoint& p : panel.rowChart()->plotted())
                if (p.value != expected[size_t(p.index)])
                    return false;
            return !panel.rowChart()->plotted().empty();
        };
        QVERIFY(valuesMatch(rec.tokenRelError));
        const double relHi = panel.histogramChart()->histogram().hi;

        panel.metricCombo()->setCurrentIndex(panel.metricCombo()->findData(int(TokenErrorMetric::Mse)));
        QCOMPARE(panel.metric(), TokenErrorMetric::Mse);
        QVERIFY(valuesMatch(rec.tokenMse));
        QVERIFY(!valuesMatch(rec.tokenRelError));
        QCOMPARE(
            float(panel.histogramChart()->histogram().hi), *std::max_element(rec.tokenMse.begin(), rec.tokenMse.end()));
        QVERIFY(panel.histogramChart()->histogram().hi != relHi);
        QVERIFY(plots(*panel.rowChart(), argMax(rec.tokenMse)));

        panel.setMetric(TokenErrorMetric::CosineDistance);
        std::vector<float> distance(rec.tokenCosine.size());
        for (size_t i = 0; i < distance.size(); ++i)
            distance[i] = 1.0f - rec.tokenCosine[i];
        QVERIFY(valuesMatch(distance));
        QVERIFY(plots(*panel.rowChart(), argMax(distance)));
        QVERIFY(panel.summaryLabel()->text().contains(
            QStringLiteral("max ") + QString::number(rec.tokenCosineDistancePercentiles.max, 'g', 4)));
    }

    void followsTheRunsChanges()
    {
        m_context.setCurrentRun(m_keys[0]);
        TokenErrorPanel panel(&m_context);
        const TokenErrorModel* model = panel.tokenModel();
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
        QCOMPARE(
            panel.tokenProxy()->index(0, TokenErrorModel::RelErrorColumn).data(TokenErrorModel::SortRole).toDouble(),
            double(*std::max_element(rel.begin(), rel.end())));
        m_context.removeRun(key);
        QVERIFY(panel.isShowingEmptyState());
    }

private:
    AppContext m_context;
    std::unique_ptr<RunQueue> m_queue;
    std::vector<RunKey> m_keys;
};

QTEST_MAIN(TestTokenErrorPanel)
#include "tst_tokenerrorpanel.moc"
