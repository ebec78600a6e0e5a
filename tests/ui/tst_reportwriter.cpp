// ReportWriter: the HTML holds the spec, the bit budget, the metrics, warnings, provenance and the charts as
// decodable PNG data URIs; record text is escaped; the file is written atomically.
#include "common/error.h"
#include "reportwriter.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace vq;

namespace {

std::shared_ptr<RunRecord> handMadeRecord()
{
    auto r = std::make_shared<RunRecord>();
    r->id = "pq-0123456789abcdef";
    r->name = "pq <b>&</b> friends";
    r->spec = QuantSpec { "pq", { { "d", 4 }, { "bits", 8 } } };
    r->status = RunStatus::Done;
    r->bits.rows = 1000;
    r->bits.dim = 100;
    r->bits.add("codes", "codes", 200000); // 2 bits/param
    r->bits.add("codebooks (fp16)", "codebook", 50000); // 0.5 bits/param
    r->metrics = { { "reconstruction",
        { { "relMse", 0.0123456 }, { "snrDb", 19.085 }, { "mse", 0.001 },
            { "tokenRelError", { { "p50", 0.01 }, { "p99", 0.2 }, { "max", "inf" } } } } } };
    r->warnings = { "row 7 is <all zero>" };
    r->provenance.sourceFile = "/data/glove.npy";
    r->provenance.rows = 1000;
    r->provenance.dim = 100;
    r->provenance.checksum = "xxh64:0011223344556677";
    return r;
}

QImage solid(QSize size, QColor colour)
{
    QImage image(size, QImage::Format_RGB32);
    image.fill(colour);
    return image;
}

QList<QImage> embeddedImages(const QString& html)
{
    QList<QImage> images;
    const QRegularExpression re(QStringLiteral("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\""));
    for (auto it = re.globalMatch(html); it.hasNext();)
        images << QImage::fromData(QByteArray::fromBase64(it.next().captured(1).toLatin1()), "PNG");
    return images;
}

} // namespace

class TestReportWriter : public QObject {
    Q_OBJECT
private slots:
    void htmlHoldsEverySection()
    {
        const auto record = handMadeRecord();
        const QString html = reportHtml(*record, {});
        QVERIFY(html.startsWith(QStringLiteral("<!DOCTYPE html>")));
        // Spec JSON, escaped.
        QVERIFY(html.contains(QString::fromStdString(record->spec.toJson().dump(2)).toHtmlEscaped()));
        // The name is escaped, never markup.
        QVERIFY(html.contains(QStringLiteral("pq &lt;b&gt;&amp;&lt;/b&gt; friends")));
        QVERIFY(!html.contains(QStringLiteral("<b>&</b>")));
        // Bit budget: each item with its bits/param and share, then the total.
        QVERIFY(html.contains(QStringLiteral("<td>codes</td><td>codes</td><td class=\"num\">200000</td>"
                                             "<td class=\"num\">2</td><td class=\"num\">80.0%</td>")));
        QVERIFY(html.contains(QStringLiteral("<td class=\"num\">0.5</td><td class=\"num\">20.0%</td>")));
        QVERIFY(html.contains(QStringLiteral("<tfoot><tr><td>total</td><td></td><td class=\"num\">250000</td>"
                                             "<td class=\"num\">2.5</td>")));
        // Metrics: present ones only, four significant digits, non-finite as written.
        QVERIFY(html.contains(QStringLiteral("<th>Relative MSE</th><td class=\"num\">0.01235</td>")));
        QVERIFY(html.contains(QStringLiteral("<th>Token rel. error max</th><td class=\"num\">inf</td>")));
        QVERIFY(!html.contains(QStringLiteral("Neighbour recall")));
        // Warnings and provenance, escaped.
        QVERIFY(html.contains(QStringLiteral("<li>row 7 is &lt;all zero&gt;</li>")));
        QVERIFY(html.contains(QStringLiteral("<th>checksum</th><td>xxh64:0011223344556677</td>")));
        // Self-contained: nothing fetched from elsewhere.
        QVERIFY(!html.contains(QStringLiteral("http://")));
        QVERIFY(!html.contains(QStringLiteral("https://")));
        QVERIFY(!html.contains(QStringLiteral("<script")));
        QVERIFY(!html.contains(QStringLiteral("<img")));
        // A pure function.
        QCOMPARE(reportHtml(*record, {}), html);
    }

    void chartsAreEmbeddedAsPng()
    {
        ReportWriter writer(handMadeRecord());
        writer.setChartImages({ { QStringLiteral("red <one>"), solid(QSize(120, 60), Qt::red) },
            { QStringLiteral("skipped"), QImage() }, { QStringLiteral("blue"), solid(QSize(30, 40), Qt::blue) } });
        const QString html = writer.html();
        const QList<QImage> images = embeddedImages(html);
        QCOMPARE(images.size(), 2);
        QCOMPARE(images[0].size(), QSize(120, 60));
        QCOMPARE(images[0].pixelColor(5, 5), QColor(Qt::red));
        QCOMPARE(images[1].size(), QSize(30, 40));
        QCOMPARE(images[1].pixelColor(5, 5), QColor(Qt::blue));
        QVERIFY(html.contains(QStringLiteral("<figcaption>red &lt;one&gt;</figcaption>")));
        QVERIFY(html.contains(QStringLiteral("width=\"120\" height=\"60\"")));
        QVERIFY(!html.contains(QStringLiteral("skipped")));
    }

    void writesAtomically()
    {
        QTemporaryDir dir;
        ReportWriter writer(handMadeRecord());
        writer.setChartImages({ { QStringLiteral("c"), solid(QSize(10, 10), Qt::green) } });
        const QString path = dir.filePath(QStringLiteral("r.html"));
        writer.write(path.toStdString());
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(f.readAll()), writer.html());

        const QString missing = dir.filePath(QStringLiteral("missing/r.html"));
        try {
            writer.write(missing.toStdString());
            QFAIL("no error for a missing folder");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::WriteFailed);
            QCOMPARE(QString::fromStdString(e.path()), missing);
        }
        RunControl control;
        control.cancel();
        const QString cancelled = dir.filePath(QStringLiteral("cancelled.html"));
        QVERIFY_THROWS_EXCEPTION(Cancelled, writer.write(cancelled.toStdString(), control));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList { QStringLiteral("r.html") });
    }

    void drawsTheTokenErrorHistogram()
    {
        auto record = handMadeRecord();
        QVERIFY(ReportWriter::tokenErrorHistogram(*record).isNull());
        auto metrics = std::make_shared<RunMetrics>();
        // Errors over three decades; one zero and one +inf are left out of the log axis.
        for (int i = 0; i < 1000; ++i)
            metrics->reconstruction.tokenRelError.push_back(float(std::pow(10.0, -3.0 + 3.0 * i / 999.0)));
        metrics->reconstruction.tokenRelError.push_back(0.0f);
        metrics->reconstruction.tokenRelError.push_back(std::numeric_limits<float>::infinity());
        record->fullMetrics = metrics;
        const QImage image = ReportWriter::tokenErrorHistogram(*record, QSize(400, 240));
        QVERIFY(!image.isNull());
        QCOMPARE(image.deviceIndependentSize().toSize(), QSize(400, 240));
        // Drawn, not blank: the bars' fill colour appears.
        int barPixels = 0;
        for (int y = 0; y < image.height(); ++y)
            for (int x = 0; x < image.width(); ++x)
                barPixels += image.pixelColor(x, y).blue() > 150 && image.pixelColor(x, y).red() < 150;
        QVERIFY2(barPixels > 1000, qPrintable(QString::number(barPixels)));
    }
};

QTEST_MAIN(TestReportWriter)
#include "tst_reportwriter.moc"
