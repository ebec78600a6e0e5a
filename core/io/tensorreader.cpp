#include "io/tensorreader.h"

#include "common/error.h"
#include "io/ggufreader.h"
#include "io/hdf5reader.h"
#include "io/mappedfile.h"
#include "io/npyreader.h"
#include "io/safetensorsreader.h"
#include "io/shardedsafetensorsreader.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

namespace vq {

namespace fs = std::filesystem;

const TensorInfo* TensorReader::find(const std::string& name) const
{
    const auto& all = tensors();
    const auto it = std::find_if(all.begin(), all.end(), [&](const TensorInfo& t) { return t.name == name; });
    return it == all.end() ? nullptr : &*it;
}

namespace {

enum class Format { Unknown, Safetensors, ShardedSafetensors, Gguf, Hdf5, Npy };

const char* const kUnrecognised = "not a recognised checkpoint format (expected safetensors, GGUF, HDF5 or NumPy)";

bool endsWith(const std::string& s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool hasHdf5Signature(const uint8_t* p, uint64_t n)
{
    // HDF5's superblock sits at 0 or, after a user block, at 512, 1024, 2048, ...
    static const uint8_t hdf5[8] = { 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n' };
    for (uint64_t off = 0; off + 8 <= n && off <= (uint64_t(1) << 20); off = off == 0 ? 512 : off * 2) {
        if (std::memcmp(p + off, hdf5, 8) == 0)
            return true;
    }
    return false;
}

Format detectByContent(const MappedFile& file)
{
    const uint8_t* p = file.data();
    const uint64_t n = file.size();
    if (n >= 4 && std::memcmp(p, "GGUF", 4) == 0)
        return Format::Gguf;
    if (n >= 6 && std::memcmp(p, "\x93NUMPY", 6) == 0)
        return Format::Npy;
    if (hasHdf5Signature(p, n))
        return Format::Hdf5;
    if (n >= 9 && p[8] == '{') {
        uint64_t headerLen = 0;
        for (int i = 7; i >= 0; --i)
            headerLen = (headerLen << 8) | p[i];
        if (headerLen >= 2 && headerLen <= n - 8)
            return Format::Safetensors;
    }
    return Format::Unknown;
}

Format detectByExtension(const std::string& path)
{
    const std::string ext = lower(fs::path(path).extension().string());
    if (ext == ".safetensors")
        return Format::Safetensors;
    if (ext == ".gguf")
        return Format::Gguf;
    if (ext == ".h5" || ext == ".hdf5" || ext == ".hdf")
        return Format::Hdf5;
    if (ext == ".npy")
        return Format::Npy;
    return Format::Unknown;
}

// The checkpoint inside a model folder: a sharded index first, then a single safetensors file, then a
// single GGUF file. Several candidates without an index are ambiguous: the user must pick one.
std::string resolveDirectory(const std::string& dir)
{
    for (const char* name : { "model.safetensors.index.json", "model.safetensors" }) {
        const fs::path candidate = fs::path(dir) / name;
        if (fs::is_regular_file(candidate))
            return candidate.string();
    }
    std::vector<std::string> indexes, safetensors, ggufs;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (!entry.is_regular_file())
            continue;
        const std::string name = entry.path().filename().string();
        if (endsWith(name, ".safetensors.index.json"))
            indexes.push_back(entry.path().string());
        else if (endsWith(lower(name), ".safetensors"))
            safetensors.push_back(entry.path().string());
        else if (endsWith(lower(name), ".gguf"))
            ggufs.push_back(entry.path().string());
    }
    if (ec)
        throw Error(ErrorKind::Unreadable, dir, "cannot list the folder: " + ec.message());
    for (const auto* group : { &indexes, &safetensors, &ggufs }) {
        if (group->size() == 1)
            return group->front();
        if (group->size() > 1) {
            std::string names;
            for (const auto& f : *group)
                names += (names.empty() ? "" : ", ") + fs::path(f).filename().string();
            throw Error(
                ErrorKind::InvalidArgument, dir, "the folder holds several checkpoints (" + names + "); open one");
        }
    }
    throw Error(ErrorKind::NotFound, dir,
        "the folder holds no model.safetensors.index.json, *.safetensors or *.gguf checkpoint");
}

} // namespace

bool isHdf5File(const std::string& path)
{
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        return false;
    try {
        const MappedFile file(path);
        return hasHdf5Signature(file.data(), file.size());
    } catch (const Error&) {
        return false; // empty or unreadable: the reader that opens it says so
    }
}

std::unique_ptr<TensorReader> openTensorFile(const std::string& path)
{
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (!fs::exists(status))
        throw Error(ErrorKind::NotFound, path, "no such file or folder");
    const std::string file = fs::is_directory(status) ? resolveDirectory(path) : path;

    Format format = Format::Unknown;
    if (endsWith(file, ".index.json")) {
        format = Format::ShardedSafetensors;
    } else {
        const MappedFile probe(file);
        format = detectByContent(probe);
        if (format == Format::Unknown) // let the format's reader explain what is wrong with the file
            format = detectByExtension(file);
    }

    switch (format) {
    case Format::Npy:
        return std::make_unique<NpyReader>(file);
    case Format::Safetensors:
        return std::make_unique<SafetensorsReader>(file);
    case Format::ShardedSafetensors:
        return std::make_unique<ShardedSafetensorsReader>(file);
    case Format::Gguf:
        return std::make_unique<GgufReader>(file);
    case Format::Hdf5:
        return std::make_unique<Hdf5Reader>(file);
    case Format::Unknown:
        break;
    }
    throw Error(ErrorKind::Malformed, file, kUnrecognised);
}

} // namespace vq
