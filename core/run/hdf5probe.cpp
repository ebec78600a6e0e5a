#include "run/hdf5probe.h"

#include "common/error.h"
#include "common/memorybudget.h"
#include "export/artifact.h"
#include "io/embeddingloader.h"
#include "io/hdf5reader.h"
#include "io/tensorreader.h"
#include "run/session.h"

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <mutex>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace vq {

namespace fs = std::filesystem;

namespace {

struct FileStamp {
    uint64_t size = 0;
    int64_t mtimeNs = 0;
    bool operator==(const FileStamp&) const = default;
};

std::mutex g_cacheMutex;
// Files whose probe succeeded, by path and tensor: the helper reads only the tensor it is given, so
// another tensor of the same file is probed again.
std::map<std::pair<std::string, std::string>, FileStamp> g_passed;

bool stampOf(const std::string& path, FileStamp& out)
{
    struct stat st { };
    if (::stat(path.c_str(), &st) != 0)
        return false;
    out.size = static_cast<uint64_t>(st.st_size);
    out.mtimeNs = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    return true;
}

ErrorKind kindNamed(const std::string& name)
{
    for (const ErrorKind k : { ErrorKind::NotFound, ErrorKind::Unreadable, ErrorKind::Empty, ErrorKind::Truncated,
             ErrorKind::Malformed, ErrorKind::Unsupported, ErrorKind::InvalidArgument, ErrorKind::WriteFailed })
        if (name == nameOf(k))
            return k;
    return ErrorKind::Malformed;
}

// The helper's process, its stderr pipe and cleanup: a child still running when this goes out of scope
// (an exception, a cancel) is killed and reaped, so no helper outlives the call.
class Child {
public:
    ~Child()
    {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            int status = 0;
            while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) { }
        }
        if (m_errFd >= 0)
            ::close(m_errFd);
    }

    void spawn(const std::vector<std::string>& args, const std::string& path)
    {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            throw Error(
                ErrorKind::Unsupported, path, std::string("cannot start the HDF5 check: ") + std::strerror(errno));
        m_errFd = fds[0];
        ::fcntl(m_errFd, F_SETFL, O_NONBLOCK);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
        std::vector<char*> argv;
        for (const std::string& a : args)
            argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        const int rc = posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        if (rc != 0) {
            m_pid = -1;
            throw Error(
                ErrorKind::Unsupported, path, "cannot start the HDF5 check (" + args[0] + "): " + std::strerror(rc));
        }
    }

    // Collects what the helper wrote to stderr (bounded: a runaway helper cannot fill our memory).
    void drain()
    {
        std::array<char, 4096> buf;
        for (;;) {
            const ssize_t n = ::read(m_errFd, buf.data(), buf.size());
            if (n <= 0)
                return;
            if (m_err.size() < 65536)
                m_err.append(buf.data(), static_cast<size_t>(n));
        }
    }

    // True once the helper has exited (status set); false while it runs.
    bool poll(int& status)
    {
        const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
        if (r == m_pid) {
            m_pid = -1;
            drain();
            return true;
        }
        return false;
    }

    const std::string& err() const { return m_err; }

private:
    pid_t m_pid = -1;
    int m_errFd = -1;
    std::string m_err;
};

} // namespace

std::string probeExecutable()
{
    if (const char* env = std::getenv("VQ_PROBE_PATH"); env && *env)
        return env;
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec)
        return {};
    for (const fs::path& candidate :
        { self.parent_path() / "vqscope-probe", self.parent_path() / ".." / "libexec" / "vqscope" / "vqscope-probe" }) {
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate.lexically_normal().string();
    }
    return {};
}

void clearProbeCache()
{
    const std::lock_guard lock(g_cacheMutex);
    g_passed.clear();
}

void probeHdf5File(const std::string& path, const std::string& tensor, RunControl& control, const ProbeLimits& limits)
{
    if (!isHdf5File(path))
        return;
    FileStamp stamp;
    if (!stampOf(path, stamp))
        return; // gone or unreadable: the reader that opens it gives the error
    {
        const std::lock_guard lock(g_cacheMutex);
        const auto it = g_passed.find({ path, tensor });
        if (it != g_passed.end() && it->second == stamp)
            return;
    }
    const std::string helper = probeExecutable();
    if (helper.empty())
        throw Error(ErrorKind::Unsupported, path,
            "cannot check this HDF5 file before opening it: the helper vqscope-probe is not installed beside the "
            "application");

    // The helper's own budget (3/4 of its limit) must not be below ours, or it would refuse a table we accept.
    const uint64_t addressSpace
        = limits.addressSpaceBytes > 0 ? limits.addressSpaceBytes : memoryBudgetBytes() / 3 * 4 + (uint64_t(1) << 30);
    std::vector<std::string> args { helper, "--max-memory=" + std::to_string(addressSpace) };
    if (!tensor.empty())
        args.push_back("--tensor=" + tensor);
    args.push_back("--");
    args.push_back(path);

    Child child;
    child.spawn(args, path);
    const auto start = std::chrono::steady_clock::now();
    int status = 0;
    for (;;) {
        if (child.poll(status))
            break;
        child.drain();
        if (control.cancelled())
            throw Cancelled(); // ~Child kills and reaps the helper
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (elapsed > limits.seconds)
            throw Error(ErrorKind::Malformed, path,
                "parsing the HDF5 structure took longer than " + std::to_string(static_cast<int>(limits.seconds))
                    + " s and was stopped: the file is damaged or built to hang the HDF5 library");
        std::this_thread::sleep_for(std::chrono::milliseconds(elapsed < 0.1 ? 2 : 20));
    }

    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        const std::lock_guard lock(g_cacheMutex);
        g_passed[{ path, tensor }] = stamp;
        return;
    }
    std::string err = child.err();
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r'))
        err.pop_back();
    if (WIFEXITED(status) && WEXITSTATUS(status) == 1) {
        // "<kind>\t<message>": the error the app itself would have given, passed through.
        const size_t tab = err.find('\t');
        if (tab != std::string::npos)
            throw Error(kindNamed(err.substr(0, tab)), path, err.substr(tab + 1));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
        throw Error(ErrorKind::Malformed, path,
            "parsing the HDF5 structure needed more than " + std::to_string(addressSpace >> 20)
                + " MiB of memory: the file is damaged or declares sizes it does not hold");
    if (WIFSIGNALED(status))
        throw Error(ErrorKind::Malformed, path,
            std::string("the HDF5 library crashed parsing the file (") + strsignal(WTERMSIG(status))
                + "): it is damaged, and was not opened");
    throw Error(ErrorKind::Malformed, path,
        "the HDF5 check failed (exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")"
            + (err.empty() ? std::string() : ": " + err));
}

void parseHdf5AsTheAppWould(const std::string& path, const std::string& tensor)
{
    std::string format;
    {
        const Hdf5Reader reader(path);
        for (const MetadataEntry& m : reader.metadata())
            if (m.key == "format")
                format = m.value;
        if (format != kSessionFormat && format != kArtifactFormat)
            for (const TensorInfo& t : reader.tensors())
                if (t.dtype == DType::String && t.shape.size() == 1)
                    reader.readStrings(t.name);
    }
    if (format == kSessionFormat) {
        readSession(path);
        return;
    }
    if (format == kArtifactFormat) {
        readArtifact(path);
        return;
    }
    LoadOptions options;
    options.tensor = tensor;
    loadEmbedding(path, options, nullRunControl());
}

} // namespace vq
