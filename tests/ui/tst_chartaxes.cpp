// Every chart of ui/charts, shown offscreen, fed a small series, then one of 128256 rows (LLaMA-3's
// vocabulary), cleared, fed the large one again and the small one: no axis may ever give Qt Charts more
// than a few hundred ticks to lay out, neither in the final state nor at any range change on the way
// (Qt lays labels out inside setRange(), with whatever tick interval the axis has at that moment: a
// cleared chart's interval of 2 against a range of 128255 rows is 64000 labels and a frozen window).
#include "charts/comparescatterchart.h"
#include "charts/entropychart.h"
#include "charts/heatmapchart.h"
#include "charts/histogramchart.h"
#include "charts/tokenerrorchart.h"
#include "charts/tradeoffchart.h"
#include "charts/usagebarchart.h"
#include "metrics/codebookusage.h"
#include "stats/tablestats.h"

#include "axisprobe.h"

#include <QTest>

#include <functional>
#include <memory>
#include <random>

using namespace vq;

namespace {

constexpr int64_t kLargeRows = 128256;
constexpr int64_t kSmallRows = 100;
// "A few hundred": what Qt lays out in well under a frame.
constexpr double kMaxTicks = 300;

// Per-token errors spanning decades, with zeros, as real runs give.
std::vector<float> errors(int64_t rows, uint32_t seed)
{
    std::mt19937 rng(seed);
    std::lognormal_distribution<float> dist(-4.f, 2.f);
    std::vector<float> v(size_t(rows), 0.f);
    for (size_t i = 0; i < v.size(); ++i)
        v[i] = i % 97 == 0 ? 0.f : dist(rng);
    return v;
}

std::vector<int64_t> everyRow(int64_t rows, int64_t step)
{
    std::vector<int64_t> out;
    for (int64_t r = 0; r < rows; r += step)
        out.push_back(r);
    return out;
}

CodeUsage usage(int bits, uint32_t seed)
{
    CodeUsage u;
    std::mt19937 rng(seed);
    std::geometric_distribution<int64_t> dist(0.01);
    u.counts.resize(size_t(1) << bits);
    for (int64_t& c : u.counts) {
        c = dist(rng);
        u.total += c;
    }
    return u;
}

// A chart and what feeding it a table of a given row count means.
struct Subject {
    std::unique_ptr<QChartView> view;
    std::function<void(int64_t rows)> feed; // rows 0: clear
};

Subject makeSubject(const QString& kind, std::vector<float>& storage)
{
    Subject s;
    if (kind == u"token errors" || kind == u"token errors, log") {
        auto* chart = new TokenErrorChart;
        chart->setLogY(kind.endsWith(u"log"));
        s.view.reset(chart);
        s.feed = [chart, &storage](int64_t rows) {
            storage = errors(rows, 7);
            chart->setSeries(storage);
        };
    } else if (kind == u"histogram" || kind == u"histogram, log") {
        auto* chart = new HistogramChart;
        const bool log = kind.endsWith(u"log");
        s.view.reset(chart);
        s.feed = [chart, log](int64_t rows) {
            if (rows == 0)
                return chart->clear();
            HistogramOptions options;
            options.logScale = log;
            const std::vector<float> values = errors(rows, 11);
            // The table statistics' kind (row norms, linear bins) for the linear chart.
            chart->setHistogram(makeHistogram(values, options));
        };
    } else if (kind == u"row-norm histogram") {
        auto* chart = new HistogramChart;
        s.view.reset(chart);
        s.feed = [chart](int64_t rows) {
            Histogram h;
            h.lo = 0;
            h.hi = rows == 0 ? 0 : double(rows) / 10;
            h.counts.assign(rows == 0 ? 0 : 64, rows / 64);
            chart->setHistogram(h);
        };
    } else if (kind == u"compare scatter" || kind == u"compare scatter, log") {
        auto* chart = new CompareScatterChart;
        chart->setLogLog(kind.endsWith(u"log"));
        s.view.reset(chart);
        s.feed = [chart](int64_t rows) {
            const std::vector<float> a = errors(rows, 1);
            const std::vector<float> b = errors(rows, 2);
            const std::vector<int64_t> drawn = everyRow(rows, std::max<int64_t>(1, rows / 4000));
            chart->setData(a, b, drawn, { drawn.begin(), drawn.begin() + std::min<size_t>(drawn.size(), 200) });
        };
    } else if (kind == u"trade-off" || kind == u"trade-off, log") {
        auto* chart = new TradeoffChart;
        chart->setLogY(kind.endsWith(u"log"));
        s.view.reset(chart);
        s.feed = [chart](int64_t rows) {
            std::vector<TradeoffPoint> points;
            // More runs for the larger table; values over many decades.
            for (int64_t i = 0; i < rows / 2000; ++i)
                points.push_back({ quint64(i + 1), 1.0 + double(i % 16) / 2, std::pow(10.0, -double(i % 12)),
                    i % 2 ? QStringLiteral("pq") : QStringLiteral("rtn"), QStringLiteral("run"), i % 2 == 0,
                    QStringLiteral("rtn") });
            chart->setPoints(points, QStringLiteral("relMSE"), true);
        };
    } else if (kind == u"heat map") {
        auto* chart = new HeatmapChart;
        s.view.reset(chart);
        s.feed = [chart](int64_t rows) {
            if (rows == 0)
                return chart->clear();
            // 16-bit codes for the large table, 4-bit for the small one, 512 columns at most.
            const int64_t codes = rows >= kLargeRows ? 65536 : 16;
            const int columns = int(std::min<int64_t>(codes, 512));
            QStringList labels;
            for (int r = 0; r < 64; ++r)
                labels << QStringLiteral("s%1 g%2").arg(r / 32).arg(r % 32);
            std::vector<int64_t> values(size_t(columns) * size_t(labels.size()), rows / columns);
            chart->setCells(labels, columns, codes / columns, codes, values, {});
        };
    } else if (kind == u"usage") {
        auto* chart = new UsageBarChart;
        s.view.reset(chart);
        s.feed = [chart](int64_t rows) {
            if (rows == 0)
                return chart->clear();
            chart->setUsage(usage(rows >= kLargeRows ? 16 : 4, 3));
        };
    } else if (kind == u"entropy") {
        auto* chart = new EntropyChart;
        s.view.reset(chart);
        s.feed = [chart](int64_t rows) {
            if (rows == 0)
                return chart->clear();
            const int groups = rows >= kLargeRows ? 256 : 4;
            QStringList categories;
            std::vector<double> entropies;
            for (int g = 0; g < groups; ++g) {
                categories << QStringLiteral("g%1").arg(g);
                entropies.push_back(double(g % 16));
            }
            chart->setBars(categories, entropies, rows >= kLargeRows ? 16 : 4);
        };
    }
    return s;
}

} // namespace

class TestChartAxes : public QObject {
    Q_OBJECT
private slots:
    // Qt Charts deletes the items of an axis taken off a chart (a linear/log swap) with deleteLater();
    // the event loop runs those deletions, which a test function never returns to.
    void cleanup() { QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete); }

    void fewTicksWhateverTheRows_data()
    {
        QTest::addColumn<QString>("kind");
        for (const char* kind : { "token errors", "token errors, log", "histogram", "histogram, log",
                 "row-norm histogram", "compare scatter", "compare scatter, log", "trade-off", "trade-off, log",
                 "heat map", "usage", "entropy" })
            QTest::newRow(kind) << QString::fromLatin1(kind);
    }

    void fewTicksWhateverTheRows()
    {
        QFETCH(QString, kind);
        std::vector<float> storage;
        Subject s = makeSubject(kind, storage);
        QVERIFY2(s.view, qPrintable(kind));
        s.view->resize(640, 400);
        s.view->show();
        QVERIFY(QTest::qWaitForWindowExposed(s.view.get()));

        vqtest::AxisProbe probe(s.view.get());
        int changes = 0;
        for (int64_t rows : { kSmallRows, kLargeRows, int64_t(0), kLargeRows, kSmallRows, kLargeRows }) {
            s.feed(rows);
            // The chart's deferred layout pass, as the event loop runs it after a change.
            QCoreApplication::sendPostedEvents();
            QCoreApplication::processEvents();
            QVERIFY2(probe.worstTicks() <= kMaxTicks,
                qPrintable(QStringLiteral("%1 rows: axis '%2' was laid out with %3 ticks")
                               .arg(rows)
                               .arg(probe.worstAxis())
                               .arg(probe.worstTicks())));
            QVERIFY2(probe.currentWorstTicks() <= kMaxTicks,
                qPrintable(QStringLiteral("%1 rows: an axis shows %2 ticks").arg(rows).arg(probe.currentWorstTicks())));
            changes += probe.rangeChanges();
            probe.reset();
        }
        // The probe saw the axes being laid out (a probe that watches nothing cannot fail).
        QVERIFY(changes > 0);
    }
};

QTEST_MAIN(TestChartAxes)
#include "tst_chartaxes.moc"
