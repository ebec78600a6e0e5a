#pragma once

#include <QDialog>
#include <QFileInfo>
#include <QList>
#include <QString>
#include <QStringList>

class QTextBrowser;

namespace vq {

// Help > Guide: a short tour of the window's views, the keyboard shortcuts, every registered method
// (label, name, description and parameters straight from core's registry: no second copy to go stale)
// and links to the documentation installed with the package. Non-modal; GUI thread only.
class GuideDialog : public QDialog {
    Q_OBJECT
public:
    // views: the window's tab and dock titles in order; docs: documentation files to link to.
    GuideDialog(const QStringList& views, const QList<QFileInfo>& docs, QWidget* parent = nullptr);

    QTextBrowser* browser() const { return m_browser; }

    // The guide as HTML (what the dialog shows).
    static QString html(const QStringList& views, const QList<QFileInfo>& docs);
    // The documentation files of the first of folders that has any (README first, then the other
    // Markdown, HTML and text files, then those of its "docs" subfolder), for the installed package
    // (/usr/share/doc/vqscope) with the source tree as the fallback.
    static QList<QFileInfo> documentationFiles(const QStringList& folders);

private:
    QTextBrowser* m_browser;
};

} // namespace vq
