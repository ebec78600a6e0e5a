#pragma once

#include <string>

namespace vq {

// Appends run lines to a JSON-lines file so that a crash, a kill or a full disk never costs the lines
// already written: each line goes out in one write() of the complete line on an O_APPEND descriptor
// (so writers sharing the file do not interleave) and is fdatasync'd before append() returns. Opening a
// file whose last line was torn by an earlier crash first ends that line, so it stays a line of its own
// that readers skip with a warning, and the new lines after it read cleanly.
class RunLineAppender {
public:
    // Creates the file when missing. Throws Error(WriteFailed) naming it when it cannot be opened.
    explicit RunLineAppender(const std::string& path);
    ~RunLineAppender();
    RunLineAppender(const RunLineAppender&) = delete;
    RunLineAppender& operator=(const RunLineAppender&) = delete;

    // line without its newline. Throws Error(WriteFailed) on a failed or short write (a full disk);
    // a short write is cut back, so the file still ends with a whole line.
    void append(const std::string& line);
    const std::string& path() const { return m_path; }

private:
    void writeAll(const std::string& text);

    std::string m_path;
    int m_fd = -1;
};

} // namespace vq
