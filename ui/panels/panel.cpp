#include "panel.h"

#include <QTimer>

namespace vq {

Panel::Panel(AppContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
{
}

void Panel::syncWhenVisible()
{
    // A panel on its own (not shown yet, or in a test) keeps up at once; a page hidden behind another tab
    // of a shown window waits.
    if (!isVisible() && window() != this && window()->isVisible()) {
        m_stale = true;
        return;
    }
    m_stale = false;
    syncWithContext();
}

void Panel::syncIfStale()
{
    if (!m_stale)
        return;
    m_stale = false;
    syncWithContext();
}

void Panel::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    // Once shown: charts rebuilt inside the show event (axes swapped before their first layout) keep the
    // old axes' labels on screen.
    if (m_stale)
        QTimer::singleShot(0, this, &Panel::syncIfStale);
}

} // namespace vq
