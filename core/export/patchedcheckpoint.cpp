#include "export/patchedcheckpoint.h"

#include "common/error.h"
#include "export/patchedgguf.h"
#include "export/patchsupport.h"
#include "export/rowblockdecoder.h"
#include "io/atomicfile.h"
#include "io/safetensorsreader.h"
#include "io/safetensorswriter.h"
#include "io/shardedsafetensorsreader.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace vq {

namespace fs = std::filesystem;

namespace {

constexpr size_t kCopyChunk = size_t(4) << 20;

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// What the source path names.
struct SourceLayout {
    bool folderOutput = false;
    std::string folder; // folder output: the source folder
    std::string index; // sharded: the index file
    std::string single; // a single .safetensors file
};

SourceLayout resolveSource(const std::string& source)
{
    std::error_code ec;
    const fs::file_status st = fs::status(source, ec);
    if (ec || !fs::exists(st))
        throw Error(ErrorKind::NotFound, source, "no such file or folder");
    SourceLayout l;
    if (fs::is_directory(st)) {
        l.folderOutput = true;
        l.folder = source;
        std::vector<std::string> indexes, files;
        for (const auto& e : fs::directory_iterator(source, ec)) {
            const std::string name = e.path().filename().string();
            if (!e.is_regular_file())
                continue;
            if (endsWith(name, ".safetensors.index.json"))
                indexes.push_back(e.path().string());
            else if (endsWith(name, ".safetensors"))
                files.push_back(e.path().string());
        }
        if (ec)
            throw Error(ErrorKind::Unreadable, source, "cannot list the folder: " + ec.message());
        const fs::path preferred = fs::path(source) / "model.safetensors.index.json";
        if (std::find(indexes.begin(), indexes.end(), preferred.string()) != indexes.end())
            l.index = preferred.string();
        else if (indexes.size() == 1)
            l.index = indexes.front();
        else if (indexes.empty() && files.size() == 1)
            l.single = files.front();
        else
            throw Error(ErrorKind::NotFound, source,
                "the folder holds " + std::to_string(indexes.size()) + " safetensors index files and "
                    + std::to_string(files.size()) + " .safetensors files; name the index or the file");
        return l;
    }
    if (endsWith(source, ".index.json")) {
        l.folderOutput = true;
        l.index = source;
        const std::string parent = fs::path(source).parent_path().string();
        l.folder = parent.empty() ? "." : parent;
        return l;
    }
    l.single = source;
    return l;
}

// Progress over all bytes written, under stage "export"; cancel polled per chunk.
class ByteProgress {
public:
    ByteProgress(RunControl& control, uint64_t total)
        : m_control(control)
        , m_total(std::max<uint64_t>(total, 1))
    {
    }
    void add(uint64_t bytes)
    {
        m_done += bytes;
        report(0);
    }
    void report(uint64_t pending)
    {
        m_control.report("export", std::min(1.0, static_cast<double>(m_done + pending) / static_cast<double>(m_total)));
        m_control.throwIfCancelled();
    }

private:
    RunControl& m_control;
    uint64_t m_total;
    uint64_t m_done = 0;
};

void copyFile(const std::string& from, const std::string& to, ByteProgress& progress)
{
    const int fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(ErrorKind::Unreadable, from, std::string("cannot open: ") + std::strerror(errno));
    const std::unique_ptr<int, void (*)(int*)> closer(new int(fd), [](int* p) {
        ::close(*p);
        delete p;
    });
    AtomicFile out(to);
    std::vector<uint8_t> buffer(kCopyChunk);
    for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw Error(ErrorKind::Unreadable, from, std::string("cannot read: ") + std::strerror(errno));
        if (n == 0)
            break;
        out.write(buffer.data(), static_cast<size_t>(n));
        progress.add(static_cast<uint64_t>(n));
    }
    out.commit();
}

// Writes `to` as a copy of the safetensors file `from` with tensor `name` replaced by the decoded table.
void rewriteWithTable(const std::string& from, const std::string& to, const QuantizedTable& table,
    const PatchOptions& options, ByteProgress& progress)
{
    const SafetensorsReader reader(from);
    const auto it = std::find_if(reader.tensors().begin(), reader.tensors().end(),
        [&](const TensorInfo& t) { return t.name == options.tensorName; });
    if (it == reader.tensors().end())
        throw Error(ErrorKind::NotFound, from, "no tensor named \"" + options.tensorName + "\"");
    if (it->dtype != DType::F32 && it->dtype != DType::F16 && it->dtype != DType::BF16)
        throw Error(ErrorKind::Unsupported, from,
            "tensor \"" + it->name + "\" is " + it->dtypeName + "; only F32, F16 and BF16 embeddings can be replaced");
    patch::checkSameShape(from, *it, table);

    SafetensorsWriter writer(to);
    for (const MetadataEntry& m : reader.metadata())
        writer.addMetadata(m.key, m.value);
    uint64_t bytes = 0;
    for (const TensorInfo& t : reader.tensors()) {
        bytes += t.byteSize;
        if (t.name != it->name)
            writer.addRawTensor(t.name, t.dtypeName, t.shape, reader.rawBytes(t.name));
    }
    RunControl quiet; // the decoder reports nothing here: progress counts bytes written
    RowBlockDecoder decoder(table, options.blockRows, quiet);
    writer.addTensor(
        it->name, it->dtype, it->shape, [&decoder](uint64_t first, std::span<float> out) { decoder.read(first, out); });
    RunControl inner;
    inner.setProgressCallback([&](std::string_view, double f) {
        try {
            progress.report(static_cast<uint64_t>(f * static_cast<double>(bytes)));
        } catch (const Cancelled&) {
            inner.cancel(); // the writer stops at its next check; nothing may escape this callback
        }
    });
    writer.write(inner);
    progress.add(bytes);
}

uint64_t fileSize(const std::string& path)
{
    std::error_code ec;
    const auto n = fs::file_size(path, ec);
    return ec ? 0 : n;
}

// A folder beside the output, removed with everything in it unless released.
class TemporaryFolder {
public:
    explicit TemporaryFolder(const std::string& output)
    {
        static std::atomic<uint64_t> counter { 0 };
        const fs::path target(output);
        const fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
        std::string name = "."; // built by appending: GCC 12 warns (-Wrestrict) on "." + string
        name += target.filename().string();
        name += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
        m_path = (parent / name).string();
        if (::mkdir(m_path.c_str(), 0777) != 0) {
            const int err = errno;
            m_path.clear();
            throw Error(ErrorKind::WriteFailed, output,
                "cannot create a temporary folder in " + parent.string() + ": " + std::strerror(err));
        }
    }
    ~TemporaryFolder()
    {
        if (!m_path.empty()) {
            std::error_code ec;
            fs::remove_all(m_path, ec);
        }
    }
    TemporaryFolder(const TemporaryFolder&) = delete;
    TemporaryFolder& operator=(const TemporaryFolder&) = delete;

    const std::string& path() const { return m_path; }
    void release() { m_path.clear(); }

private:
    std::string m_path;
};

PatchResult patchFolder(const SourceLayout& l, const std::string& output, const QuantizedTable& table,
    const PatchOptions& options, RunControl& control)
{
    std::string embeddingFile = l.single;
    if (!l.index.empty()) {
        const ShardedSafetensorsReader sharded(l.index);
        embeddingFile = sharded.shardOf(options.tensorName).path();
    }
    std::error_code ec;
    const fs::file_status st = fs::status(output, ec);
    if (fs::exists(st)) {
        if (patch::samePath(output, l.folder))
            throw Error(ErrorKind::InvalidArgument, output, "the output folder is the source folder");
        if (!fs::is_directory(st))
            throw Error(ErrorKind::WriteFailed, output, "exists and is not a folder");
        if (!fs::is_empty(output, ec))
            throw Error(ErrorKind::WriteFailed, output, "the output folder exists and is not empty");
    }

    std::vector<std::string> files;
    uint64_t total = 0;
    for (const auto& e : fs::directory_iterator(l.folder, ec)) {
        if (e.is_regular_file()) {
            files.push_back(e.path().string());
            total += fileSize(e.path().string());
        }
    }
    if (ec)
        throw Error(ErrorKind::Unreadable, l.folder, "cannot list the folder: " + ec.message());
    std::sort(files.begin(), files.end());

    control.throwIfCancelled();
    control.report("export", 0.0);
    ByteProgress progress(control, total);
    TemporaryFolder temp(output);
    PatchResult result;
    result.output = output;
    for (const std::string& f : files) {
        const std::string name = fs::path(f).filename().string();
        const std::string to = (fs::path(temp.path()) / name).string();
        if (patch::samePath(f, embeddingFile)) {
            rewriteWithTable(f, to, table, options, progress);
            result.rewritten = (fs::path(output) / name).string();
        } else {
            copyFile(f, to, progress);
            result.copied.push_back((fs::path(output) / name).string());
        }
    }
    control.throwIfCancelled();
    // rename() replaces an empty folder and refuses a non-empty one (checked above; a race fails here).
    if (::rename(temp.path().c_str(), output.c_str()) != 0)
        throw Error(
            ErrorKind::WriteFailed, output, "cannot move " + temp.path() + " into place: " + std::strerror(errno));
    temp.release();
    control.report("export", 1.0);
    return result;
}

} // namespace

PatchResult writePatchedCheckpoint(const std::string& source, const std::string& output, const QuantizedTable& table,
    const PatchOptions& options, RunControl& control)
{
    patch::checkRequest(source, output, table, options.tensorName);
    if (patch::isGgufFile(source))
        return writePatchedGguf(source, output, table, options, control);
    const SourceLayout l = resolveSource(source);
    if (l.folderOutput)
        return patchFolder(l, output, table, options, control);

    if (patch::samePath(output, l.single))
        throw Error(ErrorKind::InvalidArgument, output, "the output file is the source file");
    control.throwIfCancelled();
    control.report("export", 0.0);
    ByteProgress progress(control, fileSize(l.single));
    rewriteWithTable(l.single, output, table, options, progress);
    control.report("export", 1.0);
    return { output, output, {} };
}

} // namespace vq
