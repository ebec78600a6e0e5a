#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vq {

// Writes a file so that readers only ever see the old content or the complete new one.
//
// Bytes go to a temporary file in the target's folder (same filesystem, so the final rename is atomic).
// commit() flushes, fsyncs and renames it over the target; destroying an AtomicFile without a successful
// commit() removes the temporary, whatever happened before. Every failure (no permission, disk full,
// file too large, rename refused) throws vq::Error(WriteFailed, targetPath, ...) and leaves an existing
// target untouched. A new file gets the usual 0666 & ~umask permissions, a replaced one keeps its mode.
// Not thread-safe.
class AtomicFile {
public:
    // Creates the temporary file; throws WriteFailed when the folder is missing or not writable.
    explicit AtomicFile(std::string targetPath);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    // Appends bytes (buffered). Throws WriteFailed; after a failure the file can only be abandoned.
    void write(const void* data, size_t size);
    void write(std::span<const uint8_t> bytes) { write(bytes.data(), bytes.size()); }

    // Makes the written bytes the target's content. Call at most once.
    void commit();

    // Whether a file name (no folder) is one of the temporaries this class makes, which a writer killed
    // before commit() leaves behind.
    static bool isTemporaryName(const std::string& filename);

    const std::string& targetPath() const { return m_target; }
    const std::string& temporaryPath() const { return m_temp; }
    uint64_t bytesWritten() const { return m_written; }

private:
    void writeAll(const uint8_t* data, size_t size);
    void flushBuffer();
    [[noreturn]] void fail(const std::string& what, int err);

    std::string m_target;
    std::string m_temp;
    int m_fd = -1;
    std::vector<uint8_t> m_buffer;
    size_t m_used = 0;
    uint64_t m_written = 0;
    bool m_committed = false;
    bool m_failed = false;
};

// Fault injection for tests: while an AtomicFileFault is alive, the nth operation of its kind made by any
// AtomicFile in the process (counted from the fault's creation, 1-based) and every later one fail with its
// errno, as on a disk that filled up or a device that went bad. A failing write first writes half of its
// bytes, as a disk filling mid-write does. Without a live fault the check is one relaxed atomic load.
// Write counts the write(2) calls of write() and commit() (files that HDF5 writes by name make none),
// Sync the fsync of commit(), Rename its rename. One fault at a time; creating and destroying it is not
// thread-safe, the operations it counts may run on any thread.
class AtomicFileFault {
public:
    enum class Op { Write, Sync, Rename };
    AtomicFileFault(Op op, int nth, int error);
    ~AtomicFileFault();
    AtomicFileFault(const AtomicFileFault&) = delete;
    AtomicFileFault& operator=(const AtomicFileFault&) = delete;

    // How many operations of its kind failed because of it so far.
    int failures() const;
};

} // namespace vq
