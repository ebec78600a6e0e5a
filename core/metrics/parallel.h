#pragma once

#include "common/runcontrol.h"

#include <omp.h>

namespace vq::detail {

// The OpenMP team size a metric runs with: the caller's choice, else OpenMP's default.
inline int metricThreads(const RunControl& control)
{
    return control.threads > 0 ? control.threads : omp_get_max_threads();
}

} // namespace vq::detail
