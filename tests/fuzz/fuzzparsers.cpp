#include "fuzzparsers.h"

#include "common/error.h"
#include "export/artifact.h"
#include "io/embeddingloader.h"
#include "io/ggufreader.h"
#include "io/mappedfile.h"
#include "io/npyheader.h"
#include "io/safetensorsreader.h"
#include "io/shardedsafetensorsreader.h"
#include "quant/registry.h"
#include "run/session.h"
#include "run/sweep.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace vqfuzz {

namespace {

namespace fs = std::filesystem;

// One folder per process, so parallel fuzzers and tests never share an input file.
std::string inputPath(const std::string& name)
{
    static const fs::path dir = [] {
        fs::path d = fs::temp_directory_path() / ("vqfuzz-" + std::to_string(::getpid()));
        fs::create_directories(d);
        return d;
    }();
    return (dir / name).string();
}

std::string writeInput(const std::string& name, const uint8_t* data, size_t size)
{
    const std::string path = inputPath(name);
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), std::streamsize(size));
    return path;
}

nlohmann::json parseJson(const uint8_t* data, size_t size)
{
    return nlohmann::json::parse(data, data + size); // throws nlohmann's parse_error: a clean refusal
}

// Grids are counted before they are expanded: a fuzzed grid of 10^12 combinations is not a finding of
// the parser but of expand(), which streams elsewhere.
constexpr size_t kMaxExpanded = 4096;

void run(const std::string& parser, const uint8_t* data, size_t size)
{
    if (parser == "npy") {
        const std::string path = writeInput("input.npy", data, size);
        (void)vq::parseNpyHeader(vq::MappedFile(path));
        (void)vq::loadEmbedding(path, {}, vq::nullRunControl());
    } else if (parser == "safetensors") {
        const std::string path = writeInput("model.safetensors", data, size);
        (void)vq::SafetensorsReader(path);
        (void)vq::loadEmbedding(path, {}, vq::nullRunControl());
    } else if (parser == "sharded") {
        (void)vq::ShardedSafetensorsReader(writeInput("model.safetensors.index.json", data, size));
    } else if (parser == "gguf") {
        const std::string path = writeInput("model.gguf", data, size);
        (void)vq::GgufReader(path);
        (void)vq::loadEmbedding(path, {}, vq::nullRunControl());
    } else if (parser == "tokenizer") {
        (void)vq::readTokenizerJson(writeInput("tokenizer.json", data, size));
    } else if (parser == "vocab") {
        (void)vq::readVocabFile(writeInput("table.vocab.txt", data, size));
    } else if (parser == "artifact") {
        (void)vq::readArtifact(writeInput("run.vq.h5", data, size));
    } else if (parser == "session") {
        (void)vq::readSession(writeInput("session.vqproj", data, size));
    } else if (parser == "spec") {
        const vq::QuantSpec spec = vq::QuantSpec::fromJson(parseJson(data, size));
        const vq::Quantizer& q = vq::quantizer(spec.method);
        (void)q.estimate(q.validate(spec, 1000, 64), 1000, 64);
    } else if (parser == "grid") {
        const vq::SweepGrid grid = vq::SweepGrid::fromJson(parseJson(data, size));
        size_t combinations = 1;
        for (const auto& axis : grid.axes)
            if (__builtin_mul_overflow(combinations, axis.second.size(), &combinations) || combinations > kMaxExpanded)
                return;
        (void)grid.expand();
    }
}

} // namespace

const std::vector<std::string>& parserNames()
{
    static const std::vector<std::string> names { "npy", "safetensors", "sharded", "gguf", "tokenizer", "vocab",
        "artifact", "session", "spec", "grid" };
    return names;
}

bool parseBytes(const std::string& parser, const uint8_t* data, size_t size)
{
    try {
        run(parser, data, size);
        return true;
    } catch (const vq::Error&) {
        return false;
    } catch (const nlohmann::json::exception&) {
        return false; // spec and grid text that is not JSON, or JSON of the wrong type
    }
}

} // namespace vqfuzz
