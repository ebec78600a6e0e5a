#pragma once

#include "quant/bitbudget.h"

#include <QString>
#include <QStringList>
#include <QWidget>
#include <optional>
#include <string>
#include <vector>

class QLabel;

namespace vq {

// The exact cost of a spec before it runs: bits/param, stored size and the breakdown by stored item
// (codes, codebooks, scales, adaptor ... as the BitBudget lists them), the method's warnings, or the
// reason the spec is refused. Shows what it is given; computes nothing. GUI thread only.
class EstimateView : public QWidget {
    Q_OBJECT
public:
    explicit EstimateView(QWidget* parent = nullptr);

    void showBudget(const BitBudget& bits, const std::vector<std::string>& warnings);
    void showRefusal(const QString& message);
    // Nothing to estimate (no table loaded): a grey hint.
    void showHint(const QString& text);

    // What is shown, for tests and tools.
    const std::optional<BitBudget>& budget() const { return m_budget; }
    QString headlineText() const; // "2.036 bits/param · 497.1 KiB"
    QString refusalText() const; // empty unless refused
    QStringList warningTexts() const { return m_warnings; }
    // One line per budget item: "label: x.xxx bits/param (yy%)".
    QStringList breakdownLines() const { return m_lines; }

    // Bits per parameter with enough digits to tell close specs apart ("2.03584").
    static QString formatBitsPerParam(double bits);

private:
    QLabel* m_headline;
    QLabel* m_breakdown;
    QLabel* m_warningLabel;
    QLabel* m_refusal;
    std::optional<BitBudget> m_budget;
    QStringList m_warnings;
    QStringList m_lines;
};

} // namespace vq
