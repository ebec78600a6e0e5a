#pragma once

#include <QImage>
#include <QList>
#include <QPair>
#include <QString>
#include <QWidget>

namespace vq {

class AppContext;

// A page of the main window. A panel reads the shared AppContext and reacts to its signals; it never
// calls another panel or the window. The window shows it as a tab titled title().
class Panel : public QWidget {
    Q_OBJECT
public:
    explicit Panel(AppContext* context, QWidget* parent = nullptr);

    virtual QString title() const = 0;
    // The charts this panel shows for the current run, titled, as drawn now: what a report of the run
    // embeds. Empty when the panel shows nothing for it (the default).
    virtual QList<QPair<QString, QImage>> reportImages() const { return {}; }
    AppContext* context() const { return m_context; }

private:
    AppContext* m_context;
};

} // namespace vq
