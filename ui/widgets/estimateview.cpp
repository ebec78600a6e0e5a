#include "estimateview.h"

#include "displaytext.h"

#include <QLabel>
#include <QVBoxLayout>

namespace vq {

namespace {

QLabel* makeLabel(QWidget* parent, const QString& objectName)
{
    auto* label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

} // namespace

EstimateView::EstimateView(QWidget* parent)
    : QWidget(parent)
    , m_headline(makeLabel(this, QStringLiteral("estimateHeadline")))
    , m_breakdown(makeLabel(this, QStringLiteral("estimateBreakdown")))
    , m_warningLabel(makeLabel(this, QStringLiteral("estimateWarnings")))
    , m_refusal(makeLabel(this, QStringLiteral("estimateRefusal")))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    QFont big = m_headline->font();
    big.setBold(true);
    big.setPointSizeF(big.pointSizeF() * 1.15);
    m_headline->setFont(big);
    m_breakdown->setTextFormat(Qt::RichText);
    m_warningLabel->setStyleSheet(QStringLiteral("color: #9a6700;"));
    m_refusal->setStyleSheet(QStringLiteral("color: #c62828;"));
    layout->addWidget(m_headline);
    layout->addWidget(m_breakdown);
    layout->addWidget(m_warningLabel);
    layout->addWidget(m_refusal);
    showHint(tr("Load a table to see the cost of a spec."));
}

QString EstimateView::formatBitsPerParam(double bits)
{
    return QString::number(bits, 'g', 6);
}

void EstimateView::showBudget(const BitBudget& bits, const std::vector<std::string>& warnings)
{
    m_budget = bits;
    const double bpp = bits.bitsPerParam();
    m_headline->setEnabled(true);
    m_headline->setText(tr("%1 bits/param · %2").arg(formatBitsPerParam(bpp), display::bytes(bits.totalBytes())));
    m_headline->setToolTip(
        tr("%1 bits stored for %2 × %3 parameters")
            .arg(QString::number(bits.totalBits()), display::count(bits.rows), display::count(bits.dim)));

    m_lines.clear();
    const double params = double(bits.rows) * double(bits.dim);
    const double total = double(bits.totalBits());
    QString html = QStringLiteral("<table cellspacing='0' cellpadding='1' width='100%'>");
    for (const BitItem& item : bits.items) {
        const double itemBpp = params > 0 ? double(item.bits) / params : 0;
        const double share = total > 0 ? 100.0 * double(item.bits) / total : 0;
        const QString label = display::text(item.label);
        m_lines << QStringLiteral("%1: %2 bits/param (%3%)")
                       .arg(label, formatBitsPerParam(itemBpp), QString::number(share, 'f', 1));
        html += QStringLiteral("<tr><td>%1</td><td align='right'>%2</td><td align='right'>&nbsp;%3%</td></tr>")
                    .arg(label.toHtmlEscaped(), QString::number(itemBpp, 'f', 4), QString::number(share, 'f', 1));
    }
    html += QStringLiteral("</table>");
    m_breakdown->setText(html);
    m_breakdown->setVisible(!bits.items.empty());

    m_warnings.clear();
    for (const std::string& w : warnings)
        m_warnings << display::text(w);
    QStringList bullets;
    for (const QString& w : std::as_const(m_warnings))
        bullets << u"⚠ " + w;
    m_warningLabel->setText(bullets.join(u'\n'));
    m_warningLabel->setVisible(!m_warnings.isEmpty());
    m_refusal->clear();
    m_refusal->hide();
}

void EstimateView::showRefusal(const QString& message)
{
    m_budget.reset();
    m_lines.clear();
    m_warnings.clear();
    m_headline->setEnabled(false);
    m_headline->setText(tr("Refused"));
    m_headline->setToolTip({});
    m_breakdown->hide();
    m_warningLabel->hide();
    m_refusal->setText(message);
    m_refusal->show();
}

void EstimateView::showHint(const QString& text)
{
    m_budget.reset();
    m_lines.clear();
    m_warnings.clear();
    m_headline->setEnabled(false);
    m_headline->setText(text);
    m_headline->setToolTip({});
    m_breakdown->hide();
    m_warningLabel->hide();
    m_refusal->hide();
}

QString EstimateView::headlineText() const
{
    return m_headline->text();
}

QString EstimateView::refusalText() const
{
    return m_refusal->isHidden() ? QString() : m_refusal->text();
}

} // namespace vq
