#pragma once

#include "panels/panel.h"

#include <QHash>

class QFormLayout;
class QLabel;
class QTableView;

namespace vq {

class HistogramChart;
class OutlierDimsModel;
class PercentileModel;

// What a user checks first about the loaded table: where it came from, its shape and tokens, value
// statistics (NaN/Inf highlighted), row-norm percentiles and histogram, and outlier dimensions.
class SummaryPanel : public Panel {
    Q_OBJECT
public:
    explicit SummaryPanel(AppContext* context, QWidget* parent = nullptr);

    QString title() const override;
    QList<QPair<QString, QImage>> reportImages() const override;

    // Text of a field by key ("shape", "dtype", "file", "folder", "format", "tensor", "reason",
    // "checksum", "tiedHead", "tokenSource", "tokenCount", "firstTokens", "nan", "inf", "mean", "std",
    // "min", "max", "outliers"); empty for an unknown key. Lets tests and tools read what is shown.
    QString fieldText(const QString& key) const;
    QLabel* fieldLabel(const QString& key) const { return m_fields.value(key); }
    // Its views by object name: "rowNormHistogram", "percentileView", "outlierView".

private:
    void addField(QFormLayout* form, const QString& key, const QString& label);
    void setField(const QString& key, const QString& text, const QString& toolTip = {});
    void setHighlighted(const QString& key, bool on);
    void updateFromContext();

    QHash<QString, QLabel*> m_fields;
    PercentileModel* m_percentiles = nullptr;
    OutlierDimsModel* m_outliers = nullptr;
    QTableView* m_outlierView = nullptr;
    HistogramChart* m_histogram = nullptr;
};

} // namespace vq
