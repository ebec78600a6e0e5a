#pragma once

#include <QWidget>

class QAction;

namespace vq {

// What the window shows before a table is loaded: a short explanation and buttons for the given
// actions (Open…, Open Sample), which stay in sync with the menu's enabled state.
class EmptyStatePage : public QWidget {
    Q_OBJECT
public:
    EmptyStatePage(QAction* openAction, QAction* openSampleAction, QWidget* parent = nullptr);
};

} // namespace vq
