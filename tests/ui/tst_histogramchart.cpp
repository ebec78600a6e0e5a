// HistogramChart: the plotted outline, bin lookup for tooltips, and PNG/SVG export.
#include "charts/histogramchart.h"

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

        chart.clear();
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

    void binText()
    {
        HistogramChart chart;
        chart.setHistogram(sample());
        QCOMPARE(chart.binText(1), QStringLiteral("[2, 3): 10"));
        QCOMPARE(chart.binText(3), QStringLiteral("[4, 5]: 7"));
        QCOMPARE(chart.binText(4), QString());
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
