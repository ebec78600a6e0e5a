// TradeoffPanel on real runs (GloVe rows through a RunQueue): one point per finished run at its bits
// per parameter and metric, the frontier exactly the non-dominated points, a click selects the run,
// switching the metric moves the points, previews stay out, "Run baselines" queues what is missing.
#include "appcontext.h"
#include "charts/methodcolor.h"
#include "charts/tradeoffchart.h"
#include "io/embeddingloader.h"
#include "panels/tradeoffpanel.h"
#include "quant/registry.h"
#include "runners/runqueue.h"

#include "charthover.h"
#include "panelviews.h"
#include "quantchecks.h"
#include "testutil.h"

#include <QComboBox>
#include <QLabel>
#include <QLineSeries>
#include <QMap>
#include <QPushButton>
#include <QScatterSeries>
#include <QSet>
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
    table->values = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"), rows);
    table->source.file = vqtest::samplePath("glove-20k.npy");
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
        const TradeoffChart* chart = vqtest::tradeoffViews(panel).chart;
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
        QCOMPARE(vqtest::tradeoffViews(panel).chart->methodSeries().size(), 3);
        for (const QScatterSeries* s : vqtest::tradeoffViews(panel).chart->methodSeries())
            QCOMPARE(s->markerShape() == QScatterSeries::MarkerShapeTriangle, s->name() == QStringLiteral("rtn"));
        // rtn 8 has the lowest error of all: always on the frontier.
        const auto& pts = vqtest::tradeoffViews(panel).chart->points();
        bool rtn8OnFrontier = false;
        for (size_t i : vqtest::tradeoffViews(panel).chart->frontier())
            rtn8OnFrontier = rtn8OnFrontier || pts[i].key == m_keys[4];
        QVERIFY(rtn8OnFrontier);
    }

    void fractionsStopAtOne()
    {
        // Recall and top-1 agreement are fractions: padding the range must not show 1.5.
        TradeoffPanel panel(m_context, m_queue);
        panel.setMetric(TradeoffMetric::Recall);
        double best = 0;
        for (const TradeoffPoint& p : vqtest::tradeoffViews(panel).chart->points())
            best = std::max(best, p.value);
        QVERIFY(best > 0.9); // rtn 8-bit keeps nearly every neighbour
        QVERIFY(!vqtest::tradeoffViews(panel).chart->logY());
        QCOMPARE(vqtest::tradeoffViews(panel).chart->valueRange().second, 1.0);
        QVERIFY(vqtest::tradeoffViews(panel).chart->valueRange().first < best);
        // relMSE is unbounded: its axis is padded above the worst run as before.
        panel.setMetric(TradeoffMetric::RelMse);
        double worst = 0;
        for (const TradeoffPoint& p : vqtest::tradeoffViews(panel).chart->points())
            worst = std::max(worst, p.value);
        QVERIFY(vqtest::tradeoffViews(panel).chart->valueRange().second > worst);
    }

    void methodColoursDependOnTheNameOnly()
    {
        // The same method has the same colour whatever other methods are shown (and in every session:
        // nothing but the name and the registry decides it).
        TradeoffPanel panel(m_context, m_queue);
        QMap<QString, QColor> all;
        for (const QScatterSeries* s : vqtest::tradeoffViews(panel).chart->methodSeries())
            all.insert(s->name(), s->color());
        QCOMPARE(all.size(), 3);
        QCOMPARE(all.value(QStringLiteral("rtn")), methodColor(QStringLiteral("rtn")));
        QVERIFY(all.value(QStringLiteral("pq")) != all.value(QStringLiteral("grvq")));
        // Only the rtn runs left: rtn keeps its colour (it took the first free one before).
        std::vector<TradeoffPoint> rtnOnly;
        for (const TradeoffPoint& p : vqtest::tradeoffViews(panel).chart->points())
            if (p.method == QStringLiteral("rtn"))
                rtnOnly.push_back(p);
        TradeoffChart chart;
        chart.setPoints(rtnOnly, QStringLiteral("relMSE"), true);
        QCOMPARE(chart.methodSeries().size(), 1);
        QCOMPARE(chart.methodSeries().first()->color(), all.value(QStringLiteral("rtn")));
        // Registry methods get distinct colours; an unknown name a stable one of its own.
        QSet<QRgb> colours;
        for (const Quantizer* q : allQuantizers())
            colours.insert(methodColor(QString::fromStdString(q->name())).rgb());
        QCOMPARE(colours.size(), int(allQuantizers().size()));
        QCOMPARE(methodColor(QStringLiteral("future")), methodColor(QStringLiteral("future")));
        QVERIFY(methodColor(QStringLiteral("future")).isValid());
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
        vqtest::tradeoffViews(panel).metric->setCurrentIndex(vqtest::tradeoffViews(panel).metric->findData(metric));
        QCOMPARE(panel.metric(), TradeoffMetric(metric));
        checkPoints(panel, TradeoffMetric(metric), 5);
        // Logit fidelity is off for a table not known to be the output head: nothing to plot.
        panel.setMetric(TradeoffMetric::LogitKl);
        QCOMPARE(int(vqtest::tradeoffViews(panel).chart->points().size()), 0);
        QVERIFY(vqtest::tradeoffViews(panel).status->text().contains(QStringLiteral("5 without")));
    }

    // A user's click (press and release on the viewport at the point's drawn position) selects the run;
    // Ctrl+click adds it; hovering a point names it.
    void clickSelectsTheRun()
    {
        TradeoffPanel panel(m_context, m_queue);
        panel.resize(900, 600);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QCoreApplication::processEvents();
        m_context->setCurrentRun(0);
        TradeoffChart* chart = vqtest::tradeoffViews(panel).chart;
        int clicked = 0;
        for (QScatterSeries* s : chart->methodSeries()) {
            for (qsizetype i = 0; i < s->count(); ++i) {
                const QPoint at = vqtest::viewPosOf(chart, s->at(i), s);
                QTest::mouseClick(chart->viewport(), Qt::LeftButton, Qt::NoModifier, at);
                const RunKey key = m_context->currentRun();
                QVERIFY2(key != 0,
                    qPrintable(QStringLiteral("no run selected by a click at %1, %2").arg(at.x()).arg(at.y())));
                QCOMPARE(m_context->selectedRuns().size(), 1);
                const RunRecord& r = *m_context->run(key)->record;
                QCOMPARE(r.bits.bitsPerParam(), s->at(i).x());
                QCOMPARE(*tradeoffValue(r.metrics, TradeoffMetric::RelMse), s->at(i).y());
                QCOMPARE(chart->selectionSeries()->count(), 1);
                QCOMPARE(chart->selectionSeries()->at(0), s->at(i));
                ++clicked;
            }
        }
        QCOMPARE(clicked, 5);

        // Ctrl+click adds to the selection; both are ringed. A click away from every point keeps it.
        QScatterSeries* first = chart->methodSeries().constFirst();
        QScatterSeries* last = chart->methodSeries().constLast();
        QTest::mouseClick(
            chart->viewport(), Qt::LeftButton, Qt::NoModifier, vqtest::viewPosOf(chart, first->at(0), first));
        const RunKey a = m_context->currentRun();
        QTest::mouseClick(
            chart->viewport(), Qt::LeftButton, Qt::ControlModifier, vqtest::viewPosOf(chart, last->at(0), last));
        QCOMPARE(m_context->selectedRuns().size(), 2);
        QCOMPARE(m_context->selectedRuns().constFirst(), a);
        QCOMPARE(chart->selectionSeries()->count(), 2);
        QTest::mouseClick(chart->viewport(), Qt::LeftButton, Qt::NoModifier, QPoint(3, 3));
        QCOMPARE(m_context->selectedRuns().size(), 2);

        // The tooltip of a point names its run, method, bits and metric.
        const TradeoffPoint* p = nullptr;
        for (const TradeoffPoint& q : chart->points())
            if (q.key == a)
                p = &q;
        QVERIFY(p);
        const QString text = vqtest::hoverText(chart, first->at(0), first);
        QCOMPARE(text, chart->pointText(*p));
        QVERIFY(text.contains(QString::number(p->bitsPerParam, 'f', 3)));
        QVERIFY(text.contains(p->method));
        // Away from every point: no tooltip.
        QCOMPARE(vqtest::hoverTextAt(chart, QPoint(3, 3)), QString());
    }

    void previewsAndLiveUpdates()
    {
        TradeoffPanel panel(m_context, m_queue);
        const RunKey preview = m_context->addRun(m_context->run(m_keys[0])->record, true);
        QTest::qWait(300); // past the coalescing timer
        QCOMPARE(int(vqtest::tradeoffViews(panel).chart->points().size()), 5);
        m_context->removeRun(preview);
        panel.setLogY(true);
        QVERIFY(vqtest::tradeoffViews(panel).chart->logY());
        QCOMPARE(int(vqtest::tradeoffViews(panel).chart->points().size()), 5);
    }

    void runBaselinesQueuesTheMissingOnes()
    {
        TradeoffPanel panel(m_context, m_queue);
        const QList<QuantSpec> missing = panel.missingBaselines();
        // rtn 3 only: Q4_0 and Q8_0 need rows of whole 32-value blocks, and GloVe rows have 100 values.
        QCOMPARE(missing.size(), 1);
        QCOMPARE(missing[0], rtn(3));
        QVERIFY(vqtest::tradeoffViews(panel).baselines->isEnabled());
        QSignalSpy finished(m_queue, &RunQueue::runFinished);
        QCOMPARE(panel.runBaselines(), 1);
        QVERIFY(panel.missingBaselines().isEmpty());
        QVERIFY(!vqtest::tradeoffViews(panel).baselines->isEnabled());
        QVERIFY(waitFinished(finished, 1));
        // The coalescing timer replots after the run finished.
        QTRY_COMPARE(int(vqtest::tradeoffViews(panel).chart->points().size()), 6);
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
        TradeoffChart* chart = vqtest::tradeoffViews(panel).chart;
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
        QVERIFY(vqtest::tradeoffViews(panel).baselines->toolTip().contains(QStringLiteral("rtn 8, q8_0, q4_0, q2_K")));
        QSignalSpy finished(&queue, &RunQueue::runFinished);
        QCOMPARE(panel.runBaselines(), 16);
        QVERIFY(waitFinished(finished, 16));
        QTRY_COMPARE(int(vqtest::tradeoffViews(panel).chart->points().size()), 16);
        QStringList drawn;
        for (const TradeoffPoint& p : vqtest::tradeoffViews(panel).chart->points()) {
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
