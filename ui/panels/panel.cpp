#include "panel.h"

namespace vq {

Panel::Panel(AppContext* context, QWidget* parent)
    : QWidget(parent)
    , m_context(context)
{
}

} // namespace vq
