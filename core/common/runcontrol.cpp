#include "common/runcontrol.h"

#include "common/error.h"

namespace vq {

void RunControl::throwIfCancelled() const
{
    if (cancelled())
        throw Cancelled();
}

RunControl& nullRunControl()
{
    // One per thread so that nobody's cancel() leaks into another caller.
    thread_local RunControl control;
    return control;
}

} // namespace vq
