// HistogramChart: the plotted outline of linear and log10 bins, bin lookup, the tooltip a hover brings
// up, and PNG/SVG export.
#include "charts/histogramchart.h"
#include "stats/tablestats.h"

#include "charthover.h"

#include <QAreaSeries>
#include <QChart>
#include <QFile>
#include <QImage>
#include <QLineSeries>
#include <QTemporaryDir>
#include <QTest>

using namespace vq;

namespace {

Histogram sample()
{
    Histogram h;
    h.lo = 1.0;
    h.hi = 5.0;
    h.counts = { 3, 10, 0, 7 }; // bins of width 1
    return h;
}

// Four decades, one bin each: [1e-3, 1e-2), ..., [1, 10].
PlotHistogram decades()
{
    PlotHistogram h;
    h.lo = 1e-3;
    h.hi = 10;
    h.logScale = true;
    h.counts = { 2, 0, 5, 1 };
    return h;
}

} // namespace

class TestHistogramChart : public QObject {
    Q_OBJECT
private slots:
    void outline()
    {
        HistogramChart chart;
        chart.setHistogram(sample());
        const QList<QPointF> bars = chart.outline()->points();
        QCOMPARE(bars.size(), 8);
        QCOMPARE(bars[2], QPointF(2.0, 10.0));
        QCOMPARE(bars[3], QPointF(3.0, 10.0));
        QCOMPARE(bars[7], QPointF(5.0, 7.0));

        chart.setStyle(HistogramChart::Style::Area);
        const QList<QPointF> area = chart.outline()->points();
        QCOMPARE(area.size(), 4);
        QCOMPARE(area[0], QPointF(1.5, 3.0));
        QCOMPARE(area[3], QPointF(4.5, 7.0));

        chart.setStyle(HistogramChart::Style::Bars);
        chart.setHistogram(decades());
        QVERIFY(chart.isLogX());
        const QList<QPointF> log = chart.outline()->points();
        QCOMPARE(log.size(), 8);
        QCOMPARE(log[4].y(), 5.0);
        QCOMPARE(log[4].x(), 0.1);
        QCOMPARE(log[5].x(), 1.0);

        chart.clear();
        QVERIFY(!chart.isLogX());
        QCOMPARE(chart.outline()->count(), 0);
        QCOMPARE(chart.binAt(2.0), -1);
    }

    void binAt_data()
    {
        QTest::addColumn<double>("x");
        QTest::addColumn<int>("bin");
        QTest::newRow("below") << 0.99 << -1;
        QTest::newRow("lo") << 1.0 << 0;
        QTest::newRow("inside") << 2.5 << 1;
        QTest::newRow("edge") << 3.0 << 2;
        QTest::newRow("hi is in the last bin") << 5.0 << 3;
        QTest::newRow("above") << 5.01 << -1;
    }

    void binAt()
    {
        QFETCH(double, x);
        QFETCH(int, bin);
        HistogramChart chart;
        chart.setHistogram(sample());
        QCOMPARE(chart.binAt(x), bin);
    }

    void binAtLog_data()
    {
        QTest::addColumn<double>("x");
        QTest::addColumn<int>("bin");
        QTest::newRow("zero") << 0.0 << -1;
        QTest::newRow("below") << 0.9e-3 << -1;
        QTest::newRow("lo") << 1e-3 << 0;
        QTest::newRow("third decade") << 0.5 << 2;
        QTest::newRow("edge") << 1.0 << 3;
        QTest::newRow("hi") << 10.0 << 3;
        QTest::newRow("above") << 10.5 << -1;
    }

    void binAtLog()
    {
        QFETCH(double, x);
        QFETCH(int, bin);
        HistogramChart chart;
        chart.setHistogram(decades());
        QCOMPARE(chart.binAt(x), bin);
    }

    void binText()
    {
        HistogramChart chart;
        chart.setHistogram(sample());
        QCOMPARE(chart.binText(1), QStringLiteral("[2, 3): 10"));
        QCOMPARE(chart.binText(3), QStringLiteral("[4, 5]: 7"));
        QCOMPARE(chart.binText(4), QString());
        chart.setCountNoun(QStringLiteral("tokens"));
        chart.setHistogram(decades());
        QCOMPARE(chart.binText(2), QStringLiteral("[0.1, 1): 5 tokens"));
    }

    // Hovering a bar shows its bin; outside the plot there is no tooltip.
    void hoverShowsTheBin_data()
    {
        QTest::addColumn<bool>("log");
        QTest::addColumn<QPointF>("at");
        QTest::addColumn<QString>("text");
        QTest::newRow("linear") << false << QPointF(2.5, 5) << QStringLiteral("[2, 3): 10 rows");
        QTest::newRow("last bin") << false << QPointF(4.5, 1) << QStringLiteral("[4, 5]: 7 rows");
        QTest::newRow("log") << true << QPointF(0.3, 1) << QStringLiteral("[0.1, 1): 5 rows");
        QTest::newRow("outside") << false << QPointF(6, 5) << QString();
    }

    void hoverShowsTheBin()
    {
        QFETCH(bool, log);
        QFETCH(QPointF, at);
        QFETCH(QString, text);
        HistogramChart chart;
        chart.setCountNoun(QStringLiteral("rows"));
        if (log)
            chart.setHistogram(decades());
        else
            chart.setHistogram(sample());
        chart.resize(500, 320);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        QCoreApplication::processEvents();
        QCOMPARE(vqtest::hoverText(&chart, at, chart.chart()->series().constFirst()), text);
    }

    void exportFiles()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        HistogramChart chart;
        chart.setTitle(QStringLiteral("Row norms"));
        chart.setAxisTitles(QStringLiteral("norm"), QStringLiteral("rows"));
        chart.setHistogram(sample());
        chart.resize(400, 300);

        const QString png = dir.filePath(QStringLiteral("chart.png"));
        QVERIFY(chart.exportPng(png));
        const QImage image(png);
        QCOMPARE(image.size(), QSize(400, 300) * chart.devicePixelRatioF());

        const QString svg = dir.filePath(QStringLiteral("chart.svg"));
        QVERIFY(chart.exportSvg(svg));
        QFile file(svg);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray text = file.readAll();
        QVERIFY(text.contains("<svg"));
        QVERIFY(text.contains("Row norms"));
        QVERIFY(text.contains("norm"));

        QVERIFY(!chart.exportPng(dir.filePath(QStringLiteral("missing/chart.png"))));
    }
};

QTEST_MAIN(TestHistogramChart)
#include "tst_histogramchart.moc"
