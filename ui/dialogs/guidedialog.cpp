#include "guidedialog.h"

#include "displaytext.h"
#include "quant/registry.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QTextBrowser>
#include <QUrl>
#include <QVBoxLayout>

#include <map>

namespace vq {

namespace {

// What each view is for, by its title. A view without an entry is listed by title only.
const std::map<QString, QString>& viewHelp()
{
    static const std::map<QString, QString> help {
        { GuideDialog::tr("Method"),
            GuideDialog::tr("Choose a method and a preset, edit its parameters and see the exact bits/param and "
                            "stored size before anything runs. Defaults and presets are fitted to the loaded "
                            "table; a refused spec names the parameter and its valid values beside Run. "
                            "<b>Run</b> queues the spec, <b>Sweep…</b> one run per value of a parameter, "
                            "<b>Preview</b> runs it on a sample of rows after each edit.") },
        { GuideDialog::tr("Runs"),
            GuideDialog::tr("Every run with its cost, error, recall, time and progress. Select one to show it in "
                            "the views, Ctrl-click a second to compare. Rename (F2), delete, cancel, re-run with "
                            "edits, save the spec for <code>vqscope-cli</code>, export as CSV.") },
        { GuideDialog::tr("Summary"),
            GuideDialog::tr("The loaded table: source, shape, dtype, tokens, NaN/Inf, value statistics, row norms "
                            "and outlier dimensions.") },
        { GuideDialog::tr("Token Errors"),
            GuideDialog::tr("Which tokens the selected run reconstructs badly: the error histogram, the error of "
                            "every row, and every token worst first. Search by token text or <code>#row</code>: "
                            "the exact token comes first, then tokens starting with the text.") },
        { GuideDialog::tr("Codebook Usage"),
            GuideDialog::tr("How evenly the run uses its codebooks: code counts per stage and group, entropy "
                            "against the bits allotted, dead codes.") },
        { GuideDialog::tr("Trade-off"),
            GuideDialog::tr("Every finished run at (bits/param, quality), one colour per method, the Pareto "
                            "frontier and the RTN/llama.cpp baselines.") },
        { GuideDialog::tr("Compare"),
            GuideDialog::tr("Two runs side by side: key metrics, the per-token error of one against the other, "
                            "and the tokens that differ most.") },
    };
    return help;
}

QString esc(const std::string& s)
{
    return display::text(s).toHtmlEscaped();
}

QString paramsTable(const Quantizer& q)
{
    QString out = QStringLiteral("<table cellspacing='0' cellpadding='2'>");
    for (const ParamDef& p : q.schema().params)
        out += QStringLiteral("<tr><td><code>%1</code></td><td>%2</td><td>%3</td></tr>")
                   .arg(esc(p.name), GuideDialog::tr("default %1").arg(esc(p.defaultValue.dump())), esc(p.help));
    return out + QStringLiteral("</table>");
}

} // namespace

GuideDialog::GuideDialog(const QStringList& views, const QList<QFileInfo>& docs, QWidget* parent)
    : QDialog(parent)
    , m_browser(new QTextBrowser(this))
{
    setObjectName(QStringLiteral("guideDialog"));
    setWindowTitle(tr("vqscope Guide"));
    m_browser->setObjectName(QStringLiteral("guideBrowser"));
    m_browser->setOpenExternalLinks(true);
    m_browser->setHtml(html(views, docs));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_browser, 1);
    layout->addWidget(buttons);
    resize(720, 640);
}

QString GuideDialog::html(const QStringList& views, const QList<QFileInfo>& docs)
{
    QString out = QStringLiteral("<h2>%1</h2><p>%2</p>")
                      .arg(tr("vqscope"),
                          tr("Open a checkpoint (File &gt; Open, a folder, or drop a file on the window), pick a "
                             "method on the left, press Run, and compare what each run costs in bits and in "
                             "accuracy. No model at hand? File &gt; New Synthetic Table makes an LLM-shaped one."));
    out += QStringLiteral("<h3>%1</h3><dl>").arg(tr("Views"));
    for (const QString& view : views) {
        const auto help = viewHelp().find(view);
        out += QStringLiteral("<dt><b>%1</b></dt><dd>%2</dd>")
                   .arg(view.toHtmlEscaped(), help == viewHelp().end() ? QString() : help->second);
    }
    out += QStringLiteral("</dl><h3>%1</h3><table cellpadding='2'>").arg(tr("Keyboard"));
    const QList<QPair<QString, QString>> keys {
        { QStringLiteral("Ctrl+O"), tr("open a file") },
        { QStringLiteral("Ctrl+R"), tr("run the method form's spec") },
        { QStringLiteral("Ctrl+Shift+R"), tr("run the previewed spec on the whole table") },
        { QStringLiteral("Ctrl+P"), tr("preview while editing, on or off") },
        { QStringLiteral("Ctrl+E"), tr("export the selected run") },
        { QStringLiteral("F2"), tr("rename the selected run") },
        { QStringLiteral("F1"), tr("this guide") },
        { tr("Tab"), tr("next field, in the order of the layout") },
    };
    for (const auto& [key, what] : keys)
        out += QStringLiteral("<tr><td><code>%1</code></td><td>%2</td></tr>").arg(key, what);
    out += QStringLiteral("</table><h3>%1</h3>").arg(tr("Methods"));
    for (const Quantizer* q : allQuantizers()) {
        out += QStringLiteral("<h4>%1 <code>%2</code>%3</h4><p>%4</p>")
                   .arg(esc(q->label()), esc(q->name()), q->isBaseline() ? tr(" · baseline") : QString(),
                       esc(q->description()));
        out += paramsTable(*q);
    }
    out += QStringLiteral("<h3>%1</h3>").arg(tr("Documentation"));
    if (docs.isEmpty()) {
        out += QStringLiteral("<p>%1</p>").arg(tr("No documentation was found on this system."));
    } else {
        out += QStringLiteral("<ul>");
        for (const QFileInfo& doc : docs)
            out += QStringLiteral("<li><a href=\"%1\">%2</a> <small>%3</small></li>")
                       .arg(QUrl::fromLocalFile(doc.absoluteFilePath()).toString(QUrl::FullyEncoded),
                           doc.fileName().toHtmlEscaped(), doc.absolutePath().toHtmlEscaped());
        out += QStringLiteral("</ul>");
    }
    return out;
}

QList<QFileInfo> GuideDialog::documentationFiles(const QStringList& folders)
{
    const QStringList patterns { QStringLiteral("*.md"), QStringLiteral("*.md.gz"), QStringLiteral("*.html"),
        QStringLiteral("*.txt") };
    for (const QString& folder : folders) {
        QList<QFileInfo> files;
        for (const QString& dir : { folder, QDir(folder).filePath(QStringLiteral("docs")) }) {
            QFileInfoList found = QDir(dir).entryInfoList(patterns, QDir::Files | QDir::Readable, QDir::Name);
            // README first: it is where a reader starts.
            std::stable_partition(found.begin(), found.end(),
                [](const QFileInfo& f) { return f.fileName().startsWith(QStringLiteral("README")); });
            files += found;
        }
        if (!files.isEmpty())
            return files;
    }
    return {};
}

} // namespace vq
