// ComparePanel on real runs (RTN 2-bit as A, PQ as B, on 5000 GloVe rows with their words): the runs
// follow the selection, the key metrics are the records', the table's top row is the token with the
// largest ratio B / A (computed here independently), the scatter draws the sample plus the tokens that
// differ most, and swapping, switching the metric and searching change what is shown.
#include "charts/comparescatterchart.h"
#include "displaytext.h"
#include "models/tokendiffmodel.h"
#include "models/tokenerrorproxymodel.h"
#include "panels/comparepanel.h"

#include "glovetokens.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QLineEdit>
#include <QLineSeries>
#include <QScatterSeries>
#include <QTableView>
#include <QTest>
#include <cmath>

using namespace vq;

namespace {

constexpr int64_t kRows = 5000;

const std::vector<float>& relError(const AppContext& context, RunKey key)
{
    return context.run(key)->record->fullMetrics->reconstruction.tokenRelError;
}

// The row with the largest b / a (all errors of these runs are positive).
int64_t largestRatio(const std::vector<float>& a, const std::vector<float>& b)
{
    int64_t best = 0;
    for (size_t i = 1; i < a.size(); ++i)
        if (double(b[i]) / double(a[i]) > double(b[size_t(best)]) / double(a[size_t(best)]))
            best = int64_t(i);
    return best;
}

// The row with the largest |log(b / a)|.
int64_t largestSpread(const std::vector<float>& a, const std::vector<float>& b)
{
    int64_t best = 0;
    double spread = -1;
    for (size_t i = 0; i < a.size(); ++i) {
        const double s = std::abs(std::log(double(b[i]) / double(a[i])));
        if (s > spread) {
            spread = s;
            best = int64_t(i);
        }
    }
    return best;
}

bool drawsPoint(const std::vector<QPointF>& points, float x, float y)
{
    for (const QPointF& p : points)
        if (p.x() == double(x) && p.y() == double(y))
            return true;
    return false;
}

} // namespace

class TestComparePanel : public QObject {
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

    void emptyUntilTwoRunsAreSelected()
    {
        m_context.setSelectedRuns({});
        ComparePanel panel(&m_context);
        QVERIFY(panel.isShowingEmptyState());
        QCOMPARE(panel.diffModel()->rowCount(), 0);
        m_context.setCurrentRun(m_keys[0]);
        QVERIFY(panel.isShowingEmptyState());
        m_context.setSelectedRuns({ m_keys[0], m_keys[1] });
        QVERIFY(!panel.isShowingEmptyState());
        QCOMPARE(panel.runA(), m_keys[0]);
        QCOMPARE(panel.runB(), m_keys[1]);
        QCOMPARE(panel.diffModel()->rowCount(), int(kRows));
        // Both finished runs are offered in each combo.
        QCOMPARE(panel.comboA()->count(), 2);
        QCOMPARE(panel.comboB()->currentData().value<RunKey>(), m_keys[1]);
        // Its charts are about two runs: a report of one run does not embed them.
        QVERIFY(panel.reportImages().isEmpty());
    }

    void keyMetricsAreTheRecords()
    {
        m_context.setSelectedRuns({ m_keys[0], m_keys[1] });
        ComparePanel panel(&m_context);
        for (int side = 0; side < 2; ++side) {
            const RunRecord& r = *m_context.run(m_keys[size_t(side)])->record;
            QCOMPARE(panel.keyMetricText(ComparePanel::BitsPerParam, side), display::number(r.bits.bitsPerParam()));
            QCOMPARE(panel.keyMetricText(ComparePanel::RelMse, side),
                display::number(r.metrics["reconstruction"]["relMse"].get<double>()));
            QCOMPARE(panel.keyMetricText(ComparePanel::SnrDb, side),
                display::number(r.metrics["reconstruction"]["snrDb"].get<double>()));
            QCOMPARE(
                panel.keyMetricText(ComparePanel::Recall, side), display::number(r.fullMetrics->neighbourRecall->mean));
            QCOMPARE(panel.keyMetricText(ComparePanel::FitSeconds, side), display::number(r.timings.fitSeconds));
        }
        // RTN 2-bit is 2.16 bits per parameter; PQ d=4 with 256 codes is 2 bits plus its codebooks.
        QCOMPARE(panel.keyMetricText(ComparePanel::BitsPerParam, 0), QStringLiteral("2.16"));
    }

    void tableTopRowIsTheLargestRatio()
    {
        m_context.setSelectedRuns({ m_keys[0], m_keys[1] });
        ComparePanel panel(&m_context);
        QAbstractItemModelTester modelTester(panel.diffModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(panel.diffProxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        const auto& a = relError(m_context, m_keys[0]);
        const auto& b = relError(m_context, m_keys[1]);
        const int64_t top = largestRatio(a, b);
        const QAbstractItemModel* proxy = panel.diffProxy();
        QCOMPARE(proxy->index(0, TokenDiffModel::RowColumn).data().toString(), QString::number(top));
        QCOMPARE(proxy->index(0, TokenDiffModel::TokenColumn).data().toString(),
            u'"' + QString::fromStdString(m_context.table()->tokens[size_t(top)]) + u'"');
        QCOMPARE(proxy->index(0, TokenDiffModel::ErrorAColumn).data(TokenDiffModel::SortRole).toDouble(),
            double(a[size_t(top)]));
        QCOMPARE(proxy->index(0, TokenDiffModel::ErrorBColumn).data(TokenDiffModel::SortRole).toDouble(),
            double(b[size_t(top)]));
        QCOMPARE(proxy->index(0, TokenDiffModel::RatioColumn).data(TokenDiffModel::SortRole).toDouble(),
            double(b[size_t(top)]) / double(a[size_t(top)]));
        QCOMPARE(proxy->index(0, TokenDiffModel::DifferenceColumn).data(TokenDiffModel::SortRole).toDouble(),
            double(b[size_t(top)]) - double(a[size_t(top)]));

        // Swapping A and B puts the largest a / b on top.
        panel.swapRuns();
        QCOMPARE(panel.runA(), m_keys[1]);
        QCOMPARE(panel.comboA()->currentData().value<RunKey>(), m_keys[1]);
        QCOMPARE(proxy->index(0, TokenDiffModel::RowColumn).data().toString(), QString::number(largestRatio(b, a)));
        QVERIFY(largestRatio(b, a) != top);
    }

    void scatterDrawsSampleAndExtremes()
    {
        m_context.setSelectedRuns({ m_keys[0], m_keys[1] });
        ComparePanel panel(&m_context);
        const CompareScatterChart* chart = panel.scatterChart();
        QVERIFY(chart->pointCount() >= ComparePanel::kScatterSample);
        QVERIFY(chart->pointCount() <= ComparePanel::kScatterSample + ComparePanel::kScatterExtremes);
        QCOMPARE(int(chart->highlightPoints().size()), ComparePanel::kScatterExtremes);
        QVERIFY(chart->subtitle().contains(QStringLiteral("of 5000 tokens")));
        const auto& a = relError(m_context, m_keys[0]);
        const auto& b = relError(m_context, m_keys[1]);
        const int64_t extreme = largestSpread(a, b);
        QVERIFY(drawsPoint(chart->highlightPoints(), a[size_t(extreme)], b[size_t(extreme)]));
        // The diagonal spans the axes' common range.
        QCOMPARE(chart->diagonal()->count(), 2);
        QCOMPARE(chart->diagonal()->at(0).x(), chart->diagonal()->at(0).y());
        QVERIFY(chart->diagonal()->at(1).x() >= *std::max_element(a.begin(), a.end()));
    }

    void switchingTheMetricChangesThePlot()
    {
        m_context.setSelectedRuns({ m_keys[0], m_keys[1] });
        ComparePanel panel(&m_context);
        const auto& ra = m_context.run(m_keys[0])->record->fullMetrics->reconstruction;
        const auto& rb = m_context.run(m_keys[1])->record->fullMetrics->reconstruction;
        const int64_t relExtreme = largestSpread(ra.tokenRelError, rb.tokenRelError);
        QVERIFY(drawsPoint(panel.scatterChart()->highlightPoints(), ra.tokenRelError[size_t(relExtreme)],
            rb.tokenRelError[size_t(relExtreme)]));
        panel.setMetric(TokenErrorMetric::Mse);
        const int64_t mseExtreme = largestSpread(ra.tokenMse, rb.tokenMse);
        QVERIFY(drawsPoint(
            panel.scatterChart()->highlightPoints(), ra.tokenMse[size_t(mseExtreme)], rb.tokenMse[size_t(mseExtreme)]));
        QVERIFY(!drawsPoint(panel.scatterChart()->highlightPoints(), ra.tokenRelError[size_t(relExtreme)],
            rb.tokenRelError[size_t(relExtreme)]));
        QCOMPARE(panel.diffProxy()->index(0, TokenDiffModel::RowColumn).data().toString(),
            QString::number(largestRatio(ra.tokenMse, rb.tokenMse)));
        QVERIFY(panel.diffModel()
                    ->headerData(TokenDiffModel::ErrorAColumn, Qt::Horizontal)
                    .toString()
                    .contains(QStringLiteral("MSE")));
    }

    void searchFiltersToTheToken()
    {
        m_context.setSelectedRuns({ m_keys[0], m_keys[1] });
        ComparePanel panel(&m_context);
        const QAbstractItemModel* proxy = panel.diffProxy();
        QTest::keyClicks(panel.searchEdit(), QStringLiteral("president"));
        QVERIFY(proxy->rowCount() >= 1);
        QVERIFY(proxy->rowCount() < 10);
        for (int r = 0; r < proxy->rowCount(); ++r)
            QVERIFY(
                proxy->index(r, TokenDiffModel::TokenColumn).data().toString().contains(QStringLiteral("president")));
    }

    void followsTheSelectionAndRemovals()
    {
        m_context.setSelectedRuns({ m_keys[1], m_keys[0] });
        ComparePanel panel(&m_context);
        QCOMPARE(panel.runA(), m_keys[1]);
        QCOMPARE(panel.runB(), m_keys[0]);
        // A third selected run that has not finished is not compared.
        const RunKey queued = m_queue->enqueue(vqtest::rtnSpec(8));
        m_context.setSelectedRuns({ queued, m_keys[0], m_keys[1] });
        QCOMPARE(panel.runA(), m_keys[0]);
        QCOMPARE(panel.runB(), m_keys[1]);
        m_queue->cancel(queued);
        m_context.removeRun(queued);
        QVERIFY(!panel.isShowingEmptyState());
    }

private:
    AppContext m_context;
    std::unique_ptr<RunQueue> m_queue;
    std::vector<RunKey> m_keys;
};

QTEST_MAIN(TestComparePanel)
#include "tst_comparepanel.moc"
