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
//
// A panel that is a hidden page of a shown window (another tab is current) does not rebuild its views for
// every change of the context: syncWhenVisible() puts the rebuild off until the panel is shown, so a
// selection costs the GUI thread the visible view only.
class Panel : public QWidget {
    Q_OBJECT
public:
    explicit Panel(AppContext* context, QWidget* parent = nullptr);

    virtual QString title() const = 0;
    // The charts this panel shows for the current run, titled, as drawn now: what a report of the run
    // embeds. Empty when the panel shows nothing for it (the default). Call syncIfStale() first.
    virtual QList<QPair<QString, QImage>> reportImages() const { return {}; }
    AppContext* context() const { return m_context; }

    // Rebuilds now what was put off while the panel was hidden (e.g. before its charts are grabbed).
    void syncIfStale();
    // Whether a rebuild is waiting for the panel to be shown.
    bool isStale() const { return m_stale; }

protected:
    // Rebuilds the panel's views from the context (the default does nothing).
    virtual void syncWithContext() { }
    // Calls syncWithContext() now, or, while the panel is a hidden page of a shown window, once it is shown.
    void syncWhenVisible();
    void showEvent(QShowEvent* event) override;

private:
    AppContext* m_context;
    bool m_stale = false;
};

} // namespace vq
