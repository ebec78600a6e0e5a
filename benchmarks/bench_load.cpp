// Loading a Llama-3-sized embedding table (128256 x 2048, BF16, 525 MB) from safetensors, against the
// cost of just reading the file (`cat FILE > /dev/null`, hot cache) measured in the same run.
//
// Targets: load time <= 2 x cat time; peak RSS of the loading process <= 1.2 x the float32 table.
// The load runs in a forked child so its peak RSS is the loader's alone.
#include "common/error.h"
#include "common/halffloat.h"
#include "common/runcontrol.h"
#include "io/embeddingloader.h"
#include "io/safetensorsreader.h"
#include "io/safetensorswriter.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr int64_t kRows = 128256;
constexpr int64_t kCols = 2048;
const char* const kTensor = "model.embed_tokens.weight";

// A value per element index, so the child can check what it loaded without the parent holding the table.
float valueAt(uint64_t i)
{
    uint64_t z = i + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (static_cast<float>(z >> 40) / static_cast<float>(1 << 24) - 0.5f) * 0.1f; // [-0.05, 0.05)
}

double seconds(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void readOnce(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw std::runtime_error("cannot open " + path);
    std::vector<char> buffer(1 << 20);
    while (::read(fd, buffer.data(), buffer.size()) > 0) { }
    ::close(fd);
}

struct ChildResult {
    double seconds = 0;
    long maxRssKb = 0;
    int64_t mismatches = -1;
};

// Open + readMatrix, then a sampled check of the values.
ChildResult load(const std::string& path)
{
    ChildResult r;
    const auto start = std::chrono::steady_clock::now();
    vq::SafetensorsReader reader(path);
    const vq::Matrix m = reader.readMatrix(kTensor, vq::nullRunControl());
    r.seconds = seconds(start);
    rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    r.maxRssKb = usage.ru_maxrss;
    r.mismatches = 0;
    for (int64_t row = 0; row < kRows; row += 997) {
        for (int64_t col = 0; col < kCols; ++col) {
            const uint64_t i = static_cast<uint64_t>(row * kCols + col);
            r.mismatches += m.at(row, col) != vq::bf16ToFloat(vq::floatToBf16(valueAt(i)));
        }
    }
    return r;
}

// What the app does on open: detect the format, pick the tensor, read it, look for tokens, count NaN/Inf
// and checksum the values.
ChildResult loadAsApp(const std::string& path)
{
    ChildResult r;
    const auto start = std::chrono::steady_clock::now();
    const vq::EmbeddingTable table = vq::loadEmbedding(path, {}, vq::nullRunControl());
    r.seconds = seconds(start);
    rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    r.maxRssKb = usage.ru_maxrss;
    r.mismatches = table.rows() == kRows && table.dim() == kCols ? 0 : 1;
    return r;
}

// The floor under any loader: getting a fresh float32 table of this size into memory at all (allocation
// and first touch of every page). On virtual machines this alone can cost several times the cat.
ChildResult allocate()
{
    ChildResult r;
    const auto start = std::chrono::steady_clock::now();
    vq::Matrix m(kRows, kCols);
    r.seconds = seconds(start);
    r.mismatches = m.values[static_cast<size_t>(kRows * kCols / 2)] != 0.0f;
    rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    r.maxRssKb = usage.ru_maxrss;
    return r;
}

// Runs fn in a forked child, so the peak RSS it reports is its own and not the benchmark's.
template <typename Fn> ChildResult inChild(Fn fn)
{
    int fds[2];
    if (::pipe(fds) != 0)
        throw std::runtime_error("pipe failed");
    const pid_t child = ::fork();
    if (child < 0)
        throw std::runtime_error("fork failed");
    if (child == 0) {
        ::close(fds[0]);
        ChildResult r;
        try {
            r = fn();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child failed: %s\n", e.what());
        }
        const ssize_t n = ::write(fds[1], &r, sizeof r);
        ::_exit(n == static_cast<ssize_t>(sizeof r) ? 0 : 1);
    }
    ::close(fds[1]);
    ChildResult r;
    const ssize_t got = ::read(fds[0], &r, sizeof r);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (got != static_cast<ssize_t>(sizeof r) || r.mismatches < 0)
        throw std::runtime_error("a forked child failed");
    return r;
}

} // namespace

int main()
{
    const char* tmp = std::getenv("TMPDIR");
    const std::string dir = tmp && *tmp ? tmp : "/tmp";
    const std::string path = dir + "/vqscope-bench-load-" + std::to_string(::getpid()) + ".safetensors";
    const uint64_t tableBytes = static_cast<uint64_t>(kRows * kCols) * sizeof(float);

    try {
        auto start = std::chrono::steady_clock::now();
        {
            vq::SafetensorsWriter writer(path);
            writer.addMetadata("format", "pt");
            writer.addTensor(kTensor, vq::DType::BF16, { kRows, kCols }, [](uint64_t first, std::span<float> out) {
                for (size_t k = 0; k < out.size(); ++k)
                    out[k] = valueAt(first + k);
            });
            writer.write();
        }
        const double writeSeconds = seconds(start);
        readOnce(path);

        const std::string cat = "cat '" + path + "' > /dev/null";
        double catSeconds = 1e30;
        for (int i = 0; i < 3; ++i) {
            start = std::chrono::steady_clock::now();
            if (std::system(cat.c_str()) != 0)
                throw std::runtime_error("cat failed");
            catSeconds = std::min(catSeconds, seconds(start));
        }

        const ChildResult touch = inChild(allocate);
        const ChildResult r = inChild([&] { return load(path); });
        const ChildResult app = inChild([&] { return loadAsApp(path); });

        const uint64_t fileBytes = static_cast<uint64_t>(std::filesystem::file_size(path));
        const double peakRss = static_cast<double>(r.maxRssKb) * 1024.0;
        const double timeRatio = r.seconds / catSeconds;
        const double floorRatio = r.seconds / (catSeconds + touch.seconds);
        const double rssRatio = peakRss / static_cast<double>(tableBytes);
        std::printf("{\"benchmark\": \"load\", \"rows\": %" PRId64 ", \"cols\": %" PRId64
                    ", \"dtype\": \"BF16\", \"threads\": %d, \"file_bytes\": %" PRIu64 ", \"table_bytes\": %" PRIu64
                    ", \"write_s\": %.3f, \"cat_s\": %.4f, \"alloc_touch_s\": %.4f, \"load_s\": %.4f, "
                    "\"load_over_cat\": %.2f, \"load_over_cat_plus_alloc\": %.2f, \"peak_rss_bytes\": %.0f, "
                    "\"rss_over_table\": %.3f, \"app_load_s\": %.4f, \"app_load_over_cat\": %.2f, "
                    "\"app_rss_over_table\": %.3f, "
                    "\"mismatches\": %" PRId64 "}\n",
            kRows, kCols, omp_get_max_threads(), fileBytes, tableBytes, writeSeconds, catSeconds, touch.seconds,
            r.seconds, timeRatio, floorRatio, peakRss, rssRatio, app.seconds, app.seconds / catSeconds,
            static_cast<double>(app.maxRssKb) * 1024.0 / static_cast<double>(tableBytes),
            r.mismatches + app.mismatches);
        std::printf("load %.3f s vs cat %.3f s: x%.2f (target <= 2); vs cat + allocating the float32 table (%.3f s): "
                    "x%.2f; peak RSS %.0f MB vs table %.0f MB: x%.3f (target <= 1.2); %s\n",
            r.seconds, catSeconds, timeRatio, touch.seconds, floorRatio, peakRss / 1e6,
            static_cast<double>(tableBytes) / 1e6, rssRatio, r.mismatches == 0 ? "values check out" : "VALUES DIFFER");
        std::printf("full open as the app does it (format detection, tensor pick, tokens, NaN/Inf count, checksum): "
                    "%.3f s, x%.2f cat; peak RSS x%.3f table\n",
            app.seconds, app.seconds / catSeconds,
            static_cast<double>(app.maxRssKb) * 1024.0 / static_cast<double>(tableBytes));
        std::remove(path.c_str());
        return r.mismatches + app.mismatches == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_load: %s\n", e.what());
        std::remove(path.c_str());
        return 1;
    }
}
