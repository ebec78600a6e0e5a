#include "io/atomicfile.h"

#include "common/error.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace vq {

namespace {

constexpr size_t kBufferBytes = size_t(1) << 20;

std::string folderOf(const std::string& path)
{
    const std::string parent = std::filesystem::path(path).parent_path().string();
    return parent.empty() ? "." : parent;
}

// A name no other writer picks: pid, a process-wide counter and the clock.
std::string temporaryName(const std::string& target)
{
    static std::atomic<uint64_t> counter { 0 };
    const std::filesystem::path t(target);
    const auto ticks = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    char suffix[64];
    std::snprintf(suffix, sizeof suffix, ".tmp-%d-%llu-%llx", static_cast<int>(::getpid()),
        static_cast<unsigned long long>(counter.fetch_add(1)), static_cast<unsigned long long>(ticks & 0xffffffu));
    std::string name = ".";
    name += t.filename().string();
    name += suffix;
    return (t.parent_path() / name).string();
}

} // namespace

bool AtomicFile::isTemporaryName(const std::string& filename)
{
    // "." + the target's name + ".tmp-<pid>-<counter>-<ticks>", as temporaryName() makes them.
    return filename.size() > 1 && filename[0] == '.' && filename.find(".tmp-") != std::string::npos;
}

namespace {

// The armed fault, if any. op < 0: none.
struct FaultState {
    std::atomic<int> op { -1 };
    std::atomic<int> untilFailure { 0 };
    std::atomic<int> error { 0 };
    std::atomic<int> failures { 0 };
};
FaultState g_fault;

// 0, or the errno this operation fails with.
int injectedError(AtomicFileFault::Op op)
{
    if (g_fault.op.load(std::memory_order_relaxed) != static_cast<int>(op))
        return 0;
    if (g_fault.untilFailure.fetch_sub(1) > 1)
        return 0;
    g_fault.failures.fetch_add(1);
    return g_fault.error.load();
}

} // namespace

AtomicFileFault::AtomicFileFault(Op op, int nth, int error)
{
    g_fault.untilFailure = nth < 1 ? 1 : nth;
    g_fault.error = error;
    g_fault.failures = 0;
    g_fault.op = static_cast<int>(op);
}

AtomicFileFault::~AtomicFileFault()
{
    g_fault.op = -1;
}

int AtomicFileFault::failures() const
{
    return g_fault.failures.load();
}

AtomicFile::AtomicFile(std::string targetPath)
    : m_target(std::move(targetPath))
{
    if (m_target.empty() || std::filesystem::path(m_target).filename().empty())
        throw Error(ErrorKind::WriteFailed, m_target, "not a file path");
    // O_EXCL with our own name rather than mkstemp: the kernel then applies the umask to 0666 as for
    // any new file, instead of mkstemp's fixed 0600.
    for (int attempt = 0; attempt < 100 && m_fd < 0; ++attempt) {
        m_temp = temporaryName(m_target);
        m_fd = ::open(m_temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (m_fd < 0 && errno != EEXIST)
            break;
    }
    if (m_fd < 0) {
        const int err = errno;
        m_temp.clear(); // nothing to remove
        throw Error(ErrorKind::WriteFailed, m_target,
            "cannot create a temporary file in " + folderOf(m_target) + ": " + std::strerror(err));
    }
    struct stat st { };
    if (::stat(m_target.c_str(), &st) == 0 && S_ISREG(st.st_mode))
        (void)::fchmod(m_fd, st.st_mode & 07777); // cosmetic: a failure leaves the umask default
    m_buffer.resize(kBufferBytes);
}

AtomicFile::~AtomicFile()
{
    if (m_fd >= 0)
        ::close(m_fd);
    if (!m_committed && !m_temp.empty())
        ::unlink(m_temp.c_str());
}

void AtomicFile::fail(const std::string& what, int err)
{
    m_failed = true;
    throw Error(ErrorKind::WriteFailed, m_target, what + ": " + std::strerror(err));
}

void AtomicFile::writeAll(const uint8_t* data, size_t size)
{
    while (size > 0) {
        if (const int injected = injectedError(AtomicFileFault::Op::Write)) {
            const ssize_t partial = ::write(m_fd, data, size / 2); // what a filling disk still takes
            (void)partial;
            fail("cannot write " + m_temp, injected);
        }
        const ssize_t n = ::write(m_fd, data, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("cannot write " + m_temp, errno);
        }
        if (n == 0)
            fail("cannot write " + m_temp, ENOSPC);
        data += n;
        size -= static_cast<size_t>(n);
    }
}

void AtomicFile::flushBuffer()
{
    if (m_used > 0) {
        const size_t used = m_used;
        m_used = 0;
        writeAll(m_buffer.data(), used);
    }
}

void AtomicFile::write(const void* data, size_t size)
{
    if (m_failed || m_committed)
        throw Error(ErrorKind::WriteFailed, m_target, m_failed ? "an earlier write failed" : "already committed");
    const auto* p = static_cast<const uint8_t*>(data);
    m_written += size;
    if (m_used + size <= m_buffer.size()) {
        std::memcpy(m_buffer.data() + m_used, p, size);
        m_used += size;
        return;
    }
    flushBuffer();
    if (size >= m_buffer.size()) {
        writeAll(p, size);
    } else {
        std::memcpy(m_buffer.data(), p, size);
        m_used = size;
    }
}

void AtomicFile::commit()
{
    if (m_failed || m_committed)
        throw Error(ErrorKind::WriteFailed, m_target, m_failed ? "an earlier write failed" : "already committed");
    flushBuffer();
    if (const int injected = injectedError(AtomicFileFault::Op::Sync))
        fail("cannot flush " + m_temp + " to disk", injected);
    if (::fsync(m_fd) != 0)
        fail("cannot flush " + m_temp + " to disk", errno);
    const int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0) // NFS reports deferred write errors here
        fail("cannot close " + m_temp, errno);
    if (const int injected = injectedError(AtomicFileFault::Op::Rename))
        fail("cannot move " + m_temp + " over the target", injected);
    if (::rename(m_temp.c_str(), m_target.c_str()) != 0)
        fail("cannot move " + m_temp + " over the target", errno);
    m_committed = true;
    // Make the rename itself durable; the new content is already safe, so a folder that cannot be
    // synced (some filesystems refuse) is not an error.
    const int dir = ::open(folderOf(m_target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        (void)::fsync(dir);
        ::close(dir);
    }
}

} // namespace vq
