#pragma once

#include <QStringList>

namespace vq {

// The recently opened files, most recent first, kept in QSettings under "recentFiles". Files that no
// longer exist are dropped when the list is read. Not thread-safe (QSettings of the GUI thread).
class RecentFiles {
public:
    static constexpr int kMaxCount = 10;

    // Existing files, most recent first, at most kMaxCount; prunes the stored list.
    static QStringList files();
    // Moves (or inserts) path to the front, as an absolute path.
    static void add(const QString& path);
    static void clear();
};

} // namespace vq
