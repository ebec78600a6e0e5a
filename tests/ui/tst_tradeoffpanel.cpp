// TradeoffPanel on real runs (GloVe rows through a RunQueue): one point per finished run at its bits
// per parameter and metric, the frontier exactly the non-dominated points, a click selects the run,
// switching the metric moves the points, previews stay out, "Run baselines" queues what is missing.
#include "appcontext.h"
#include "charts/tradeoffchart.h"
#include "io/embeddingloader.h"
#include "panels/tradeoffpanel.h"
#include "runners/runqueue.h"

#include "quantchecks.h"
#include "testutil.h"

#include <QComboBox>
#include <QLabel>
#include <QLineSeries>
#include <QPushButton>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QTest>
#include <QValueAxis>

#include <cmath>

using namespace vq;

namespace {

constexpr int kRunTimeoutMs = 120000;

std::shared_ptr<const EmbeddingTable> gloveTable(int64_t rows)
{
    auto table = std::make_shared<EmbeddingTable>();
    table->values = vqtest::readNpySlice(vqtest::sharedPath("glove-20k.npy"), rows);
    table->source.file = vqtest::sharedPath("glove-20k.npy");
    table->source.checksum = tableChecksum(table->values);
    return table;
}

bool waitFinished(QSignalSpy& spy, int count)
{
    while (spy.count() < count)
        if (!spy.wait(kRunTimeoutMs))
            return false;
    return true;
}

QuantSpec rtn(int bits)
{
    return QuantSpec { "rtn", { { "bits", bits }, { "group", 0 }, { "mode", "sym" } } };
}

} // namespace

class TestTradeoffPanel : public QObject {
    Q_OBJECT
private:
    AppContext* m_context = nullptr;
    RunQueue* m_queue = nullptr;
    QList<RunKey> m_keys;

    // Every drawn point equals its record: (bits/param, metric).
    void checkPoints(const TradeoffPanel& panel, TradeoffMetric metric, int expected)
    {
        const TradeoffChart* chart = panel.chart();
        QCOMPARE(int(chart->points().size()), expected);
        int seriesPoints = 0;
        for (const QScatterSeries* s : chart->methodSeries())
            seriesPoints += int(s->count());
        QCOMPARE(seriesPoints, expected);
        for (const TradeoffPoint& p : chart->points()) {
            const RunRecord& r = *m_context->run(p.key)->record;
            QCOMPARE(p.bitsPerParam, r.bits.bitsPerParam());
            QCOMPARE(p.value, *tradeoffValue(r.metrics, metric));
            QCOMPARE(p.method, QString::fromStdString(r.spec.method));
        }
        // The frontier: exactly the points no other point dominates.
        const bool lower = lowerIsBetter(metric);
        std::vector<size_t> expectedFrontier;
        const auto& pts = chart->points();
        for (size_t q = 0; q < pts.size(); ++q) {
            bool dominated = false;
            for (size_t p = 0; p < pts.size(); ++p) {
                const double py = lower ? pts[p].value : -pts[p].value;
                const double qy = lower ? pts[q].value : -pts[q].value;
                dominated = dominated
                    || (pts[p].bitsPerParam <= pts[q].bitsPerParam && py <= qy
                        && (pts[p].bitsPerParam < pts[q].bitsPerParam || py < qy));
            }
            if (!dominated)
                expectedFrontier.push_back(q);
        }
        std::vector<size_t> frontier = chart->frontier();
        std::sort(frontier.begin(), frontier.end());
        QCOMPARE(frontier, expectedFrontier);
        QCOMPARE(chart->frontierLine()->count(), qsizetype(2 * frontier.size() - 1));
    }

private slots:
    void initTestCase()
    {
        m_context = new AppContext(this);
        m_context->setTable(gloveTable(2000), std::make_shared<TableStats>());
        m_queue = new RunQueue(m_context, this);
        QSignalSpy finished(m_queue, &RunQueue::runFinished);
        m_keys.append(m_queue->enqueue(QuantSpec { "pq", { { "d", 4 }, { "bits", 8 } } }));
        m_keys.append(m_queue->enqueue(QuantSpec { "grvq", { { "h", 10 }, { "R", 2 }, { "kappa", 6 } } }));
        for (int bits : { 2, 4, 8 })
            m_keys.append(m_queue->enqueue(rtn(bits)));
        QVERIFY(waitFinished(finished, 5));
    }

    void onePointPerRunAndTheFrontier()
    {
        TradeoffPanel panel(m_context, m_queue);
        checkPoints(panel, TradeoffMetric::RelMse, 5);
        // Baselines are triangles; the rtn series is one of three (pq, grvq, rtn).
        QCOMPARE(panel.chart()->methodSeries().size(), 3);
        for (const QScatterSeries* s : panel.chart()->methodSeries())
            QCOMPARE(s->markerShape() == QScatterSeries::MarkerShapeTriangle, s->name() == QStringLiteral("rtn"));
        // rtn 8 has the lowest error of all: always on the frontier.
        const auto& pts = panel.chart()->points();
        bool rtn8OnFrontier = false;
        for (size_t i : panel.chart()->frontier())
            rtn8OnFrontier = rtn8OnFrontier || pts[i].key == m_keys[4];
        QVERIFY(rtn8OnFrontier);
    }

    void switchingTheMetricMovesThePoints_data()
    {
        QTest::addColumn<int>("metric");
        QTest::newRow("SNR") << int(TradeoffMetric::SnrDb);
        QTest::newRow("recall") << int(TradeoffMetric::Recall);
        QTest::newRow("relMSE") << int(TradeoffMetric::RelMse);
    }

    void switchingTheMetricMovesThePoints()
    {
        QFETCH(int, metric);
        TradeoffPanel panel(m_context, m_queue);
        panel.metricCombo()->setCurrentIndex(panel.metricCombo()->findData(metric));
        QCOMPARE(panel.metric(), TradeoffMetric(metric));
        checkPoints(panel, TradeoffMetric(metric), 5);
        // Logit fidelity is off for a table not known to be the output head: nothing to plot.
        panel.setMetric(TradeoffMetric::LogitKl);
        QCOMPARE(int(panel.chart()->points().size()), 0);
        QVERIFY(panel.statusLabel()->text().contains(QStringLiteral("5 without")));
    }

    void clickSelectsTheRun()
    {
        TradeoffPanel panel(m_context, m_queue);
        panel.resize(900, 600);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        m_context->setCurrentRun(0);
        const TradeoffChart* chart = panel.chart();
        for (qsizetype si = 0; si < chart->methodSeries().size(); ++si) {
            QScatterSeries* s = chart->methodSeries()[si];
            for (qsizetype i = 0; i < s->count(); ++i) {
                emit s->clicked(s->at(i));
                const RunKey key = m_context->currentRun();
                QVERIFY(key != 0);
                const RunRecord& r = *m_context->run(key)->record;
                QCOMPARE(r.bits.bitsPerParam(), s->at(i).x());
                QCOMPARE(*tradeoffValue(r.metrics, TradeoffMetric::RelMse), s->at(i).y());
                QCOMPARE(chart->selectionSeries()->count(), 1);
                QCOMPARE(chart->selectionSeries()->at(0), s->at(i));
            }
        }
        // Ctrl adds to the selection; both are ringed.
        panel.selectRun(m_keys[0]);
        panel.selectRun(m_keys[1], Qt::ControlModifier);
        QCOMPARE(m_context->selectedRuns(), (QList<RunKey> { m_keys[0], m_keys[1] }));
        QCOMPARE(chart->selectionSeries()->count(), 2);
    }

    void previewsAndLiveUpdates()
    {
        TradeoffPanel panel(m_context, m_queue);
        const RunKey preview = m_context->addRun(m_context->run(m_keys[0])->record, true);
        QTest::qWait(300); // past the coalescing timer
        QCOMPARE(int(panel.chart()->points().size()), 5);
        m_context->removeRun(preview);
        panel.setLogY(true);
        QVERIFY(panel.chart()->logY());
        QCOMPARE(int(panel.chart()->points().size()), 5);
    }

    void runBaselinesQueuesTheMissingOnes()
    {
        TradeoffPanel panel(m_context, m_queue);
        const QList<QuantSpec> missing = panel.missingBaselines();
        // rtn 3 only: Q4_0 and Q8_0 need rows of whole 32-value blocks, and GloVe rows have 100 values.
        QCOMPARE(missing.size(), 1);
        QCOMPARE(missing[0], rtn(3));
        QVERIFY(panel.baselinesButton()->isEnabled());
        QSignalSpy finished(m_queue, &RunQueue::runFinished);
        QCOMPARE(panel.runBaselines(), 1);
        QVERIFY(panel.missingBaselines().isEmpty());
        QVERIFY(!panel.baselinesButton()->isEnabled());
        QVERIFY(waitFinished(finished, 1));
        // The coalescing timer replots after the run finished.
        QTRY_COMPARE(int(panel.chart()->points().size()), 6);
        checkPoints(panel, TradeoffMetric::RelMse, 6);
        QCOMPARE(panel.runBaselines(), 0);

        panel.resize(1100, 650);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QTest::qWait(50);
        panel.grab().toImage().save(QStringLiteral("/tmp/vq-tradeoff.png"));
    }

    // A table stored quantized shows its format as a labelled vertical marker at its bits per value,
    // inside the x range; a table stored in a float format shows none.
    void storedFormatIsAReference()
    {
        AppContext context;
        TradeoffPanel panel(&context, nullptr);
        panel.resize(900, 600);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        const auto loaded = [](const char* file) {
            return std::make_shared<const EmbeddingTable>(loadEmbedding(vqtest::dataPath(file), {}, nullRunControl()));
        };
        context.setTable(loaded("table-q4_0.gguf"), std::make_shared<TableStats>());
        panel.refresh();
        TradeoffChart* chart = panel.chart();
        QCOMPARE(chart->referenceBits(), 4.5);
        QCOMPARE(chart->referenceLabel(), QStringLiteral("Q4_0 as stored"));
        const auto* axis = qobject_cast<QValueAxis*>(chart->chart()->axes(Qt::Horizontal).value(0));
        QVERIFY(axis && axis->min() < 4.5 && axis->max() > 4.5);

        // The dashed line is drawn where x = 4.5 falls, and nowhere else.
        const auto markerPixels = [&](double bits) {
            const QImage image = chart->grab().toImage();
            const QRectF plot = chart->chart()->plotArea();
            const QPointF at = chart->chart()->mapToPosition(QPointF(bits, 1.0),
                chart->methodSeries().isEmpty()
                    ? static_cast<QAbstractSeries*>(const_cast<QLineSeries*>(chart->frontierLine()))
                    : chart->methodSeries().front());
            const int x = chart->mapFromScene(chart->chart()->mapToScene(at)).x();
            if (x < plot.left() || x > plot.right())
                return -1;
            int hits = 0;
            for (int y = int(plot.top()) + 20; y < int(plot.bottom()) - 5; ++y)
                for (int dx = -1; dx <= 1; ++dx)
                    hits += image.pixelColor(x + dx, y) == TradeoffChart::referenceColor() ? 1 : 0;
            return hits;
        };
        const double elsewhere = axis->min() + 0.2 * (axis->max() - axis->min());
        QVERIFY2(markerPixels(4.5) > 100, QByteArray::number(markerPixels(4.5)).constData());
        QCOMPARE(markerPixels(elsewhere), 0);

        context.setTable(loaded("table-bf16.gguf"), std::make_shared<TableStats>());
        panel.refresh();
        QVERIFY(std::isnan(chart->referenceBits()));
        const double middle = (axis->min() + axis->max()) / 2;
        QCOMPARE(markerPixels(middle), 0);
    }

    // On a table of 256-value rows every llama.cpp block format is a baseline too: queued by "Run
    // baselines" and drawn as labelled triangles, with no code naming them in the panel.
    void blockFormatsAreBaselines()
    {
        AppContext context;
        auto table = std::make_shared<EmbeddingTable>();
        table->values = vqtest::gloveJoined256(512);
        table->source.checksum = tableChecksum(table->values);
        context.setTable(table, std::make_shared<TableStats>());
        RunQueue queue(&context);
        TradeoffPanel panel(&context, &queue);
        QStringList labels;
        for (const QuantSpec& spec : panel.missingBaselines())
            labels << QString::fromStdString(spec.method);
        QCOMPARE(labels.join(QLatin1Char(' ')),
            QStringLiteral("rtn rtn rtn rtn q8_0 q4_0 q2_K q3_K q4_K q5_K q6_K q4_1 q5_0 q5_1 iq4_nl iq4_xs"));
        QVERIFY(panel.baselinesButton()->toolTip().contains(QStringLiteral("rtn 8, q8_0, q4_0, q2_K")));
        QSignalSpy finished(&queue, &RunQueue::runFinished);
        QCOMPARE(panel.runBaselines(), 16);
        QVERIFY(waitFinished(finished, 16));
        QTRY_COMPARE(int(panel.chart()->points().size()), 16);
        QStringList drawn;
        for (const TradeoffPoint& p : panel.chart()->points()) {
            QVERIFY(p.baseline);
            drawn << p.label;
        }
        drawn.sort();
        QCOMPARE(drawn.join(QLatin1Char(' ')),
            QStringLiteral("iq4_nl iq4_xs q2_K q3_K q4_0 q4_1 q4_K q5_0 q5_1 q5_K q6_K q8_0 rtn 2 rtn 3 rtn 4 rtn 8"));
        QVERIFY(panel.missingBaselines().isEmpty());
    }
};

QTEST_MAIN(TestTradeoffPanel)
#include "tst_tradeoffpanel.moc"
