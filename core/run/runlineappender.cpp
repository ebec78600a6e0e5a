#include "run/runlineappender.h"

#include "common/error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vq {

RunLineAppender::RunLineAppender(const std::string& path)
    : m_path(path)
{
    m_fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (m_fd < 0)
        throw Error(ErrorKind::WriteFailed, path, std::strerror(errno));
    struct stat st { };
    char last = '\n';
    if (::fstat(m_fd, &st) == 0 && st.st_size > 0 && ::pread(m_fd, &last, 1, st.st_size - 1) == 1 && last != '\n') {
        try {
            writeAll("\n");
        } catch (...) {
            ::close(m_fd);
            throw;
        }
    }
}

RunLineAppender::~RunLineAppender()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

void RunLineAppender::append(const std::string& line)
{
    writeAll(line + "\n");
}

void RunLineAppender::writeAll(const std::string& text)
{
    struct stat st { };
    const off_t before = ::fstat(m_fd, &st) == 0 ? st.st_size : -1;
    ssize_t n = -1;
    do
        n = ::write(m_fd, text.data(), text.size());
    while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(text.size())) {
        const std::string why = n < 0 ? std::strerror(errno) : "short write (disk full?)";
        // Cut a partial line back off, so the file keeps ending with whole lines; only when the file
        // grew by exactly that part (another writer's line is never cut).
        bool cut = n <= 0;
        if (n > 0 && before >= 0 && ::fstat(m_fd, &st) == 0 && st.st_size == before + n)
            cut = ::ftruncate(m_fd, before) == 0;
        throw Error(ErrorKind::WriteFailed, m_path, why + (cut ? "" : "; its last line is torn"));
    }
    if (::fdatasync(m_fd) != 0)
        throw Error(ErrorKind::WriteFailed, m_path, std::string("fdatasync: ") + std::strerror(errno));
}

} // namespace vq
