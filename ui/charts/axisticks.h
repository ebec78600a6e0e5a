#pragma once

#include <Qt>
#include <utility>

class QAbstractAxis;
class QAbstractSeries;
class QChart;
class QLogValueAxis;
class QObject;
class QValueAxis;

namespace vq {

// Qt Charts lays out a value axis' labels synchronously inside setRange(), with the tick settings the
// axis has at that moment. A dynamic-tick axis whose old interval was made for a small range (a cleared
// chart, a 100-row table) then builds one label per interval of the new range: 64000 labels and a
// frozen window for a 128256-row table. Every chart sets its ranges through these functions.

// The most labels an axis of vqscope ever has; intervals are widened to stay under it.
inline constexpr int kMaxAxisLabels = 40;

// 1, 2 or 5 times a power of ten, at least rough; 1 for a rough step that is not positive and finite.
double niceStep(double rough);

// Sets axis to [lo, hi] with a tick every interval from anchor (a dynamic tick policy). The ticks are
// fixed while the range changes, so no layout ever sees the new range with an old interval; interval
// is widened so the axis has at most kMaxAxisLabels labels.
void setRangeWithInterval(QValueAxis* axis, double lo, double hi, double interval, double anchor = 0);

// Sets axis to [lo, hi] with round ticks (niceStep of a sixth of the range, or of (hi - lo) / ticks).
void setRangeWithRoundTicks(QValueAxis* axis, double lo, double hi, int ticks = 6, double anchor = 0);

// Sets a log10 axis to the whole decades around [lo, hi] (lo > 0; [1, 10] otherwise): one label per decade,
// the first one included, and 8 minor ticks per decade while there are at most 4 decades. Returns the
// range set.
std::pair<double, double> setLogDecades(QLogValueAxis* axis, double lo, double hi);

// Shows axis (at alignment, for series) in place of other, a linear axis for a log one or back. A chart
// deletes the axes it holds: the one taken off is parked on owner until it is shown again.
void showAxis(QChart* chart, QAbstractSeries* series, QAbstractAxis* axis, QAbstractAxis* other,
    Qt::Alignment alignment, QObject* owner);

} // namespace vq
