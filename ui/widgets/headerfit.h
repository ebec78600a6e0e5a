#pragma once

class QHeaderView;
class QTableView;

namespace vq {

// The width a horizontal header section needs to show its whole title with a sort arrow beside it, from the
// header's font metrics and style (what QHeaderView would give the section if sized to its title).
int headerTitleWidth(const QHeaderView* header, int section);

// Sizes every column of table to its title (headerTitleWidth) or its contents (the first 100 rows),
// whichever is wider, whenever the model is reset, its layout or header data change: a default section
// narrower than its title cut it on both sides ("ean token weigh"). The columns stay resizable; the last one
// keeps stretching when the table asked for it.
void keepHeaderTitlesWhole(QTableView* table);

} // namespace vq
