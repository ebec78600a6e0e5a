#include "wheelguard.h"

#include <QAbstractSpinBox>
#include <QChildEvent>
#include <QComboBox>
#include <QEvent>
#include <QVariant>
#include <QWidget>

namespace vq {

namespace {

// Set on every watched widget, so a widget is watched once whatever the number of protect() calls.
constexpr const char* kGuardedProperty = "vqWheelGuarded";

bool isValueEditor(const QObject* object)
{
    return qobject_cast<const QAbstractSpinBox*>(object) || qobject_cast<const QComboBox*>(object);
}

} // namespace

WheelGuard::WheelGuard(QWidget* root)
    : QObject(root)
{
    watch(root);
}

void WheelGuard::protect(QWidget* root)
{
    if (root && !root->property(kGuardedProperty).toBool())
        new WheelGuard(root);
}

void WheelGuard::watch(QWidget* widget)
{
    if (widget->property(kGuardedProperty).toBool())
        return;
    widget->setProperty(kGuardedProperty, true);
    widget->installEventFilter(this);
    if (isValueEditor(widget) && widget->focusPolicy() == Qt::WheelFocus)
        widget->setFocusPolicy(Qt::StrongFocus);
    for (QWidget* child : widget->findChildren<QWidget*>(Qt::FindDirectChildrenOnly))
        watch(child);
}

bool WheelGuard::eventFilter(QObject* watched, QEvent* event)
{
    switch (event->type()) {
    case QEvent::Wheel: {
        // A spin box's line edit passes the wheel to the spin box: judge by the editor, not the child.
        const auto* widget = qobject_cast<QWidget*>(watched);
        if (widget && isValueEditor(widget) && !widget->hasFocus()) {
            // Ignored and consumed: QApplication then offers the event to the parent (the scroll area).
            event->ignore();
            return true;
        }
        break;
    }
    case QEvent::ChildPolished:
        // Children are complete (their final class known) by the time they are polished.
        if (auto* child = qobject_cast<QWidget*>(static_cast<QChildEvent*>(event)->child()))
            watch(child);
        break;
    default:
        break;
    }
    return QObject::eventFilter(watched, event);
}

} // namespace vq
