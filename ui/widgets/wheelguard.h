#pragma once

#include <QObject>

class QWidget;

namespace vq {

// Keeps the mouse wheel from editing values while the user scrolls past them: spin boxes and combo
// boxes under a guarded widget take the wheel only once they have the keyboard focus (a click or Tab;
// their focus policy becomes Qt::StrongFocus, so the wheel no longer gives it). Otherwise the wheel
// event goes on to the parent, so a scroll area around the form scrolls. Editors added later (a form
// rebuilt for another method) are guarded when they are first shown. GUI thread only.
class WheelGuard : public QObject {
    Q_OBJECT
public:
    // Guards root and everything below it, now and later; the guard is a child of root. Calling it
    // again for the same root (or a widget under a guarded root) does nothing.
    static void protect(QWidget* root);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    explicit WheelGuard(QWidget* root);
    void watch(QWidget* widget);
};

} // namespace vq
