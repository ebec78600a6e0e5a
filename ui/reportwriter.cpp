#include "reportwriter.h"

#include "charts/histogramchart.h"
#include "common/error.h"
#include "displaytext.h"
#include "io/atomicfile.h"
#include "metrics/thinning.h"

#include <QBuffer>
#include <QStringList>
#include <algorithm>
#include <cmath>
#include <numeric>

namespace vq {

namespace {

using Json = nlohmann::json;

QString esc(const QString& s)
{
    return s.toHtmlEscaped();
}
QString esc(const std::string& s)
{
    return display::text(s).toHtmlEscaped();
}

// A JSON value as report text: numbers through display::number, strings as they are.
QString valueText(const Json& v)
{
    if (v.is_number_integer())
        return display::count(v.get<int64_t>());
    if (v.is_number())
        return display::number(v.get<double>());
    if (v.is_string())
        return display::text(v.get<std::string>());
    if (v.is_boolean())
        return v.get<bool>() ? QStringLiteral("yes") : QStringLiteral("no");
    if (v.is_null())
        return QStringLiteral("—");
    return display::text(v.dump());
}

// The value at a JSON pointer, or null when any step is missing.
const Json* at(const Json& j, const char* pointer)
{
    const Json::json_pointer p(pointer);
    return j.contains(p) ? &j.at(p) : nullptr;
}

struct MetricRow {
    const char* pointer;
    const char* label;
};

// The metrics a reader compares runs by, in reading order; rows whose value is absent are skipped.
constexpr MetricRow kMetricRows[] = {
    { "/reconstruction/relMse", "Relative MSE" },
    { "/reconstruction/snrDb", "SNR (dB)" },
    { "/reconstruction/weightedRelMse", "Weighted relative MSE" },
    { "/reconstruction/mse", "MSE" },
    { "/reconstruction/maxAbsError/value", "Max |error|" },
    { "/reconstruction/tokenRelError/p50", "Token rel. error p50" },
    { "/reconstruction/tokenRelError/p90", "Token rel. error p90" },
    { "/reconstruction/tokenRelError/p99", "Token rel. error p99" },
    { "/reconstruction/tokenRelError/p99.9", "Token rel. error p99.9" },
    { "/reconstruction/tokenRelError/max", "Token rel. error max" },
    { "/reconstruction/tokenCosineDistance/p50", "Token cosine distance p50" },
    { "/reconstruction/tokenCosineDistance/p99", "Token cosine distance p99" },
    { "/reconstruction/tokenCosineDistance/max", "Token cosine distance max" },
    { "/reconstruction/zeroRowsMissed", "Zero rows not kept zero" },
    { "/neighbourRecall/mean", "Neighbour recall (mean)" },
    { "/neighbourRecall/min", "Neighbour recall (min)" },
    { "/logitFidelity/meanKlNats", "Logit KL mean (nats)" },
    { "/logitFidelity/maxKlNats", "Logit KL max (nats)" },
    { "/logitFidelity/top1Agreement", "Top-1 agreement" },
    { "/logitFidelity/topKOverlap", "Top-k overlap" },
};

const char* kStyle = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; margin: 2em auto;
  max-width: 980px; padding: 0 1.5em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #d5dae3; padding-bottom: 0.2em; }
.sub { color: #5b6475; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 0.25em 0.9em 0.25em 0; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #f4f6f9; }
thead th { border-bottom: 1px solid #c4cad6; }
tfoot td { border-top: 1px solid #c4cad6; font-weight: 600; }
pre { background: #f4f6f9; border: 1px solid #dde2ea; padding: 0.8em; overflow-x: auto; font-size: 0.9em; }
.warn { color: #8a4b00; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #dde2ea; }
figcaption { color: #5b6475; font-size: 0.9em; }
)";

void section(QString& out, const QString& title)
{
    out += u"<h2>" % esc(title) % u"</h2>\n";
}

void keyValueRow(QString& out, const QString& key, const QString& value, bool numeric = false)
{
    out += u"<tr><th>" % esc(key) % (numeric ? u"</th><td class=\"num\">" : u"</th><td>") % esc(value)
        % u"</td></tr>\n";
}

void bitBudgetTable(QString& out, const BitBudget& bits)
{
    const double params = double(bits.rows) * double(bits.dim);
    const double total = double(bits.totalBits());
    out += u"<table class=\"bits\">\n<thead><tr><th>item</th><th>role</th><th class=\"num\">bits</th>"
           u"<th class=\"num\">bits/param</th><th class=\"num\">share</th></tr></thead>\n<tbody>\n";
    for (const BitItem& item : bits.items) {
        out += u"<tr><td>" % esc(item.label) % u"</td><td>" % esc(item.role) % u"</td><td class=\"num\">"
            % display::count(int64_t(item.bits)) % u"</td><td class=\"num\">"
            % (params > 0 ? display::number(double(item.bits) / params) : QStringLiteral("—"))
            % u"</td><td class=\"num\">"
            % (total > 0 ? QString::number(100.0 * double(item.bits) / total, 'f', 1) + u'%' : QStringLiteral("—"))
            % u"</td></tr>\n";
    }
    out += u"</tbody>\n<tfoot><tr><td>total</td><td></td><td class=\"num\">" % display::count(int64_t(bits.totalBits()))
        % u"</td><td class=\"num\">" % display::number(bits.bitsPerParam()) % u"</td><td class=\"num\">"
        % display::bytes(bits.totalBytes()) % u"</td></tr></tfoot>\n</table>\n";
}

void metricsTable(QString& out, const Json& metrics)
{
    out += u"<table class=\"metrics\">\n<tbody>\n";
    const Json* weighted = at(metrics, "/reconstruction/weighted");
    const bool isWeighted = weighted && weighted->is_boolean() && weighted->get<bool>();
    for (const MetricRow& row : kMetricRows) {
        // Without token weights the weighted value repeats the plain one.
        if (!isWeighted && std::string_view(row.pointer) == "/reconstruction/weightedRelMse")
            continue;
        if (const Json* v = at(metrics, row.pointer))
            keyValueRow(out, QString::fromLatin1(row.label), valueText(*v), true);
    }
    if (const Json* usage = at(metrics, "/codebookUsage"); usage && usage->is_array()) {
        for (const Json& entry : *usage) {
            const Json* pooled = at(entry, "/pooled");
            if (!pooled || !pooled->is_array())
                continue;
            for (const Json& stage : *pooled) {
                const QString label
                    = QStringLiteral("Codebook stage %1: perplexity / dead codes").arg(stage.value("stage", 0) + 1);
                keyValueRow(out, label,
                    valueText(stage.value("perplexity", Json())) + u" / " + valueText(stage.value("deadCount", Json())),
                    true);
            }
        }
    }
    out += u"</tbody>\n</table>\n";
}

void provenanceTable(QString& out, const Json& provenance, const RunRecord& record)
{
    out += u"<table class=\"provenance\">\n<tbody>\n";
    for (auto it = provenance.begin(); it != provenance.end(); ++it)
        keyValueRow(out, display::text(it.key()), valueText(it.value()));
    keyValueRow(out, QStringLiteral("fitSeconds"), display::number(record.timings.fitSeconds));
    keyValueRow(out, QStringLiteral("metricsSeconds"), display::number(record.timings.metricsSeconds));
    out += u"</tbody>\n</table>\n";
}

} // namespace

QString reportHtml(const RunRecord& record, const QList<ReportChart>& charts)
{
    const QString title = QStringLiteral("vqscope report: %1").arg(display::runName(record));
    const Json json = record.toJson();

    QString out;
    out.reserve(64 * 1024);
    out += u"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" % esc(title)
        % u"</title>\n<style>" % QString::fromLatin1(kStyle) % u"</style>\n</head>\n<body>\n";
    out += u"<h1>" % esc(title) % u"</h1>\n";
    out += u"<p class=\"sub\">" % esc(record.spec.method) % u" on " % esc(record.provenance.sourceFile) % u" ("
        % display::shape({ record.provenance.rows, record.provenance.dim }).toHtmlEscaped() % u"), "
        % display::number(record.bits.bitsPerParam()) % u" bits/param, " % display::bytes(record.bits.totalBytes())
        % u" · run " % esc(record.id) % u" · " % esc(std::string(nameOf(record.status))) % u"</p>\n";

    section(out, QStringLiteral("Spec"));
    out += u"<pre class=\"spec\">" % esc(record.spec.toJson().dump(2)) % u"</pre>\n";

    section(out, QStringLiteral("Bit budget"));
    bitBudgetTable(out, record.bits);

    section(out, QStringLiteral("Metrics"));
    if (record.metrics.is_object())
        metricsTable(out, record.metrics);
    else
        out += u"<p>No metrics.</p>\n";

    section(out, QStringLiteral("Warnings"));
    if (record.warnings.empty()) {
        out += u"<p>None.</p>\n";
    } else {
        out += u"<ul class=\"warn\">\n";
        for (const std::string& w : record.warnings)
            out += u"<li>" % esc(w) % u"</li>\n";
        out += u"</ul>\n";
    }

    if (!charts.isEmpty()) {
        section(out, QStringLiteral("Charts"));
        for (const ReportChart& chart : charts) {
            out += u"<figure><img alt=\"" % esc(chart.title) % u"\" width=\"" % QString::number(chart.size.width())
                % u"\" height=\"" % QString::number(chart.size.height()) % u"\" src=\"data:image/png;base64,"
                % QString::fromLatin1(chart.png.toBase64()) % u"\"><figcaption>" % esc(chart.title)
                % u"</figcaption></figure>\n";
        }
    }

    section(out, QStringLiteral("Provenance"));
    provenanceTable(out, json.value("provenance", Json::object()), record);
    out += u"</body>\n</html>\n";
    return out;
}

ReportWriter::ReportWriter(std::shared_ptr<const RunRecord> record)
    : m_record(std::move(record))
{
}

QString ReportWriter::html() const
{
    QList<ReportChart> charts;
    for (const auto& [title, image] : m_charts) {
        if (image.isNull())
            continue;
        QByteArray png;
        QBuffer buffer(&png);
        buffer.open(QIODevice::WriteOnly);
        image.save(&buffer, "PNG");
        // Drawn at its logical size, so a grab from a high-DPI screen is not shown twice as large.
        charts.append({ title, png, image.deviceIndependentSize().toSize() });
    }
    return reportHtml(*m_record, charts);
}

void ReportWriter::write(const std::string& path, RunControl& control) const
{
    control.throwIfCancelled();
    control.report("report", 0.0);
    const QByteArray bytes = html().toUtf8();
    control.throwIfCancelled();
    AtomicFile file(path);
    constexpr qsizetype kChunk = qsizetype(1) << 20;
    for (qsizetype done = 0; done < bytes.size(); done += kChunk) {
        control.throwIfCancelled();
        file.write(bytes.constData() + done, size_t(std::min(kChunk, bytes.size() - done)));
        control.report("report", 0.1 + 0.9 * double(done) / double(bytes.size()));
    }
    control.throwIfCancelled();
    file.commit();
    control.report("report", 1.0);
}

QImage ReportWriter::tokenErrorHistogram(const RunRecord& record, QSize size)
{
    if (!record.fullMetrics || record.fullMetrics->reconstruction.tokenRelError.empty())
        return {};
    // Relative errors span decades: bins of equal width in log10, so the bulk and the tail both show.
    const std::vector<float>& errors = record.fullMetrics->reconstruction.tokenRelError;
    const PlotHistogram h = makeHistogram(errors, HistogramOptions { 64, std::nullopt, std::nullopt, true });
    const int64_t shown = std::accumulate(h.counts.begin(), h.counts.end(), int64_t(0));

    HistogramChart chart;
    chart.setAttribute(Qt::WA_DontShowOnScreen);
    chart.setHistogram(h);
    chart.setTitle(QStringLiteral("Per-token relative error of %1 tokens").arg(display::count(shown)));
    chart.setAxisTitles(QStringLiteral("relative error"), QStringLiteral("tokens"));
    chart.resize(size);
    // Shown off screen so the chart lays itself out at size before the grab.
    chart.show();
    QImage image = chart.grab().toImage();
    chart.hide();
    return image;
}

} // namespace vq
