#pragma once

#include "common/runcontrol.h"
#include "run/runrecord.h"

#include <QByteArray>
#include <QImage>
#include <QList>
#include <QPair>
#include <QSize>
#include <QString>
#include <memory>
#include <string>

namespace vq {

// A chart as it goes into the report: a title and the PNG bytes of its image.
struct ReportChart {
    QString title;
    QByteArray png;
    QSize size; // pixels of the image; drawn at this size at most
};

// The report of a run as one self-contained HTML page (no external file, script or font): title,
// run summary, spec JSON, bit budget breakdown, metrics table, warnings, provenance and each chart as
// an <img> with a data:image/png;base64 URI. Text from the record is HTML-escaped. A pure function of
// its inputs (same record and charts, same bytes).
QString reportHtml(const RunRecord& record, const QList<ReportChart>& charts);

// Builds and writes the report of one run. Usable from any thread except tokenErrorHistogram(), which
// draws a widget.
class ReportWriter {
public:
    explicit ReportWriter(std::shared_ptr<const RunRecord> record);

    // (title, image) pairs shown in this order; null images are left out.
    void setChartImages(const QList<QPair<QString, QImage>>& charts) { m_charts = charts; }
    const QList<QPair<QString, QImage>>& chartImages() const { return m_charts; }

    // PNG-encodes the charts and assembles reportHtml().
    QString html() const;
    // Writes html() as UTF-8 to path through an AtomicFile (complete or absent). Reports stage "report";
    // throws vq::Cancelled, Error(WriteFailed) naming path.
    void write(const std::string& path, RunControl& control = nullRunControl()) const;

    // A histogram of the run's per-token relative errors on a log10 axis (64 bins over the finite
    // positive errors), drawn by HistogramChart at size. Null when the record has no per-token errors.
    // GUI thread only.
    static QImage tokenErrorHistogram(const RunRecord& record, QSize size = QSize(720, 360));

private:
    std::shared_ptr<const RunRecord> m_record;
    QList<QPair<QString, QImage>> m_charts;
};

} // namespace vq
