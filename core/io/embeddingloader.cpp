#include "io/embeddingloader.h"

#include "common/error.h"
#include "io/tensorreader.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <omp.h>

namespace vq {

namespace fs = std::filesystem;

namespace {

// Names used by widespread model families for their input embedding, most specific first.
// HDF5 paths are compared with '/' read as '.' and without a leading '/'.
constexpr std::array kKnownNames = {
    "model.embed_tokens.weight", // LLaMA, Mistral, Qwen, Gemma, Phi-3 (Hugging Face)
    "token_embd.weight", // llama.cpp GGUF
    "transformer.wte.weight", // GPT-2, GPT-J, Falcon-style HF exports
    "wte.weight",
    "tok_embeddings.weight", // Meta's original LLaMA checkpoints
    "transformer.word_embeddings.weight", // BLOOM, Falcon
    "word_embeddings.weight",
    "gpt_neox.embed_in.weight", // Pythia / GPT-NeoX
    "model.decoder.embed_tokens.weight", // OPT
    "embeddings.word_embeddings.weight", // BERT family
    "bert.embeddings.word_embeddings.weight", "model.embed_tokens", "embed_tokens.weight",
    "shared.weight", // T5
};

// Parts of names that mark an input embedding when no known name matched.
constexpr std::array kEmbeddingParts
    = { "word_embeddings", "embed_tokens", "tok_embeddings", "token_embd", "wte", "embed_in", "embed" };

// Embeddings that are not the token table (positions, segment types).
constexpr std::array kNotTokenParts = { "position", "pos_emb", "wpe", "token_type", "rotary" };

std::string normalised(const std::string& name)
{
    std::string n = name;
    while (!n.empty() && n.front() == '/')
        n.erase(n.begin());
    std::replace(n.begin(), n.end(), '/', '.');
    return n;
}

bool contains(const std::string& s, std::string_view part)
{
    return s.find(part) != std::string::npos;
}

std::string shapeText(const TensorInfo& t)
{
    std::string s;
    for (size_t i = 0; i < t.shape.size(); ++i)
        s += (i ? " x " : "") + std::to_string(t.shape[i]);
    return s;
}

std::string candidateList(const EmbeddingCandidates& c)
{
    if (c.names.empty())
        return "the file holds no 2-D float tensor";
    std::string s = "candidates: ";
    for (size_t i = 0; i < c.names.size(); ++i)
        s += (i ? ", " : "") + c.names[i];
    return s;
}

std::string folderOf(const std::string& path)
{
    const fs::path p(path);
    return fs::is_directory(p) ? p.string() : p.parent_path().string();
}

// "tie_word_embeddings" from a Hugging Face config.json, when present and readable.
std::optional<bool> configTie(const fs::path& configPath)
{
    std::ifstream in(configPath);
    if (!in)
        return std::nullopt;
    const nlohmann::json config = nlohmann::json::parse(in, nullptr, false);
    if (config.is_discarded() || !config.is_object())
        return std::nullopt;
    for (const auto* holder : { &config, config.contains("text_config") ? &config["text_config"] : nullptr }) {
        if (holder && holder->is_object() && holder->contains("tie_word_embeddings")
            && (*holder)["tie_word_embeddings"].is_boolean())
            return (*holder)["tie_word_embeddings"].get<bool>();
    }
    return std::nullopt;
}

void detectTiedHead(const TensorReader& reader, EmbeddingTable& table)
{
    const fs::path config = fs::path(folderOf(reader.path())) / "config.json";
    if (const auto tie = configTie(config)) {
        table.tiedHead = *tie;
        table.tiedReason = std::string("config.json tie_word_embeddings=") + (*tie ? "true" : "false");
        return;
    }
    const std::string format = reader.formatName();
    const auto rule = [&](const char* headName) {
        const bool present = reader.find(headName) != nullptr;
        table.tiedHead = !present;
        table.tiedReason = present ? std::string(headName) + " present (separate output head)"
                                   : std::string("no ") + headName + " tensor";
    };
    if (format.rfind("safetensors", 0) == 0) {
        rule("lm_head.weight");
    } else if (format.rfind("GGUF", 0) == 0) {
        rule("output.weight");
    } else {
        table.tiedHead.reset();
        table.tiedReason = format + " files do not describe an output head";
    }
}

} // namespace

std::vector<std::string> findTokenStrings(
    const TensorReader& reader, const LoadOptions& options, int64_t rowCount, std::string* tokenSource)
{
    std::vector<std::string> tokens;
    std::string source;
    if (!options.vocabFile.empty()) {
        tokens = readVocabFile(options.vocabFile);
        source = fs::path(options.vocabFile).filename().string();
    } else {
        tokens = reader.embeddedTokens(&source);
        const fs::path folder = folderOf(reader.path());
        const fs::path tokenizer = folder / "tokenizer.json";
        const fs::path sidecar = folder / (fs::path(reader.path()).stem().string() + ".vocab.txt");
        if (tokens.empty() && fs::is_regular_file(tokenizer)) {
            tokens = readTokenizerJson(tokenizer.string());
            source = "tokenizer.json";
        }
        if (tokens.empty() && fs::is_regular_file(sidecar)) {
            tokens = readVocabFile(sidecar.string());
            source = sidecar.filename().string();
        }
    }
    if (tokenSource)
        tokenSource->clear();
    if (tokens.empty())
        return tokens;
    const auto rows = static_cast<size_t>(rowCount);
    if (tokens.size() < rows) {
        // Keep the table's promise of one string per row: rows past the list get "".
        source += " (" + std::to_string(tokens.size()) + " of " + std::to_string(rows) + " rows)";
        tokens.resize(rows);
    } else if (tokens.size() > rows) {
        source += " (first " + std::to_string(rows) + " of " + std::to_string(tokens.size()) + " tokens)";
        tokens.resize(rows);
    }
    if (tokenSource)
        *tokenSource = std::move(source);
    return tokens;
}

namespace {

void findTokens(const TensorReader& reader, const LoadOptions& options, EmbeddingTable& table)
{
    table.tokens = findTokenStrings(reader, options, table.rows(), &table.tokenSource);
}

// From the bytes the file gives the tensor, so block types of any kind are counted as stored (Q4_K:
// 144 bytes per 256 values, 4.5 bits); compressed datasets report no size and count by element type.
double storedBitsPerValue(const TensorInfo& info)
{
    const int64_t elements = info.elementCount();
    if (info.byteSize > 0 && elements > 0)
        return 8.0 * static_cast<double>(info.byteSize) / static_cast<double>(elements);
    switch (info.dtype) {
    case DType::F64:
        return 64;
    case DType::F32:
        return 32;
    case DType::F16:
    case DType::BF16:
        return 16;
    default:
        return 0;
    }
}

void countNonFinite(EmbeddingTable& table, RunControl& control)
{
    const auto& v = table.values.values;
    const int64_t n = static_cast<int64_t>(v.size());
    int64_t nan = 0, inf = 0;
    const int threads = control.threads > 0 ? control.threads : omp_get_max_threads();
#pragma omp parallel for reduction(+ : nan, inf) num_threads(threads) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        const float x = v[static_cast<size_t>(i)];
        nan += std::isnan(x) ? 1 : 0;
        inf += std::isinf(x) ? 1 : 0;
    }
    table.nanCount = nan;
    table.infCount = inf;
}

} // namespace

EmbeddingCandidates pickEmbedding(const std::vector<TensorInfo>& tensors)
{
    struct Ranked {
        const TensorInfo* info;
        int tier; // 0 known name, 1 name part, 2 rows > cols, 3 any other 2-D float tensor
        int order; // position within the tier's name list
        std::string reason;
    };
    std::vector<Ranked> ranked;
    const TensorInfo* unreadable = nullptr; // the unreadable tensor with the best-ranked known name
    const auto knownRank = [](const TensorInfo& t) {
        return std::find(kKnownNames.begin(), kKnownNames.end(), normalised(t.name)) - kKnownNames.begin();
    };
    for (const TensorInfo& t : tensors) {
        if (t.isMatrix() && !isLoadableFloat(t.dtype) && knownRank(t) < std::ssize(kKnownNames)
            && (!unreadable || knownRank(t) < knownRank(*unreadable)))
            unreadable = &t;
        if (!t.isMatrix() || !isLoadableFloat(t.dtype))
            continue;
        const std::string name = normalised(t.name);
        Ranked r { &t, 3, 0, "largest 2-D float tensor (" + shapeText(t) + "; none has more rows than columns)" };
        const auto known = std::find(kKnownNames.begin(), kKnownNames.end(), name);
        const bool notToken = std::any_of(
            kNotTokenParts.begin(), kNotTokenParts.end(), [&](const char* p) { return contains(name, p); });
        if (known != kKnownNames.end()) {
            r = { &t, 0, static_cast<int>(known - kKnownNames.begin()),
                "name matches " + std::string(*known) + " (a known embedding name)" };
        } else if (const auto part = std::find_if(kEmbeddingParts.begin(), kEmbeddingParts.end(),
                       [&](const char* p) { return contains(name, p); });
                   part != kEmbeddingParts.end() && !notToken) {
            r = { &t, 1, static_cast<int>(part - kEmbeddingParts.begin()),
                "name contains \"" + std::string(*part) + "\"" };
        } else if (t.shape[0] > t.shape[1]) {
            r = { &t, 2, 0, "largest 2-D float tensor with more rows than columns (" + shapeText(t) + ")" };
        }
        ranked.push_back(std::move(r));
    }
    const auto isHead = [](const TensorInfo* t) { return contains(t->name, "lm_head") || contains(t->name, "output"); };
    std::stable_sort(ranked.begin(), ranked.end(), [&](const Ranked& a, const Ranked& b) {
        if (a.tier != b.tier)
            return a.tier < b.tier;
        if (a.order != b.order)
            return a.order < b.order;
        if (a.info->elementCount() != b.info->elementCount())
            return a.info->elementCount() > b.info->elementCount();
        return !isHead(a.info) && isHead(b.info); // an output head of the same size is the weaker guess
    });
    EmbeddingCandidates out;
    for (const Ranked& r : ranked)
        out.names.push_back(r.info->name);
    if (!ranked.empty()) {
        out.chosen = out.names.front();
        out.reason = ranked.front().reason;
    }
    if (unreadable && (ranked.empty() || ranked.front().tier > 0))
        out.unreadable = unreadable->name;
    return out;
}

EmbeddingTable loadEmbedding(const std::string& path, const LoadOptions& options, RunControl& control)
{
    control.report("open", 0.0);
    const std::unique_ptr<TensorReader> reader = openTensorFile(path);
    const EmbeddingCandidates candidates = pickEmbedding(reader->tensors());
    control.report("open", 1.0);

    std::string name = candidates.chosen;
    std::string reason = candidates.reason;
    if (!options.tensor.empty()) {
        const TensorInfo* info = reader->find(options.tensor);
        if (!info)
            throw Error(ErrorKind::NotFound, path,
                "no tensor named '" + options.tensor + "' in the file; " + candidateList(candidates));
        if (!info->isMatrix())
            throw Error(ErrorKind::InvalidArgument, path,
                "tensor '" + options.tensor + "' has shape (" + shapeText(*info) + "); an embedding table needs 2-D; "
                    + candidateList(candidates));
        if (!isLoadableFloat(info->dtype))
            throw Error(ErrorKind::Unsupported, path,
                "tensor '" + options.tensor + "' " + unloadableReason(*info) + "; " + candidateList(candidates));
        name = options.tensor;
        reason = "requested by name";
    } else if (!candidates.unreadable.empty()) {
        throw Error(ErrorKind::Unsupported, path,
            "the embedding tensor '" + candidates.unreadable + "' "
                + unloadableReason(*reader->find(candidates.unreadable)) + "; pick another tensor by name ("
                + candidateList(candidates) + ")");
    }
    if (name.empty())
        throw Error(ErrorKind::NotFound, path, "the file holds no 2-D float tensor to use as an embedding table");

    const TensorInfo& info = *reader->find(name);
    // Refused here, before anything is read, so every caller (quantize, the GUI, a session) sees one
    // clear error at load instead of a usage error from the first method that meets the empty table.
    if (info.shape[0] <= 0 || info.shape[1] <= 0)
        throw Error(ErrorKind::InvalidArgument, path,
            "tensor '" + name + "' is an empty table (" + shapeText(info) + "): it has nothing to quantize");
    EmbeddingTable table;
    table.values = reader->readMatrix(name, control);
    table.source.file = path;
    table.source.format = reader->formatName();
    table.source.tensor = name;
    table.source.dtype = info.dtypeName.empty() ? nameOf(info.dtype) : info.dtypeName;
    table.source.storedShape = info.shape;
    table.source.selectionReason = reason;
    table.storedBitsPerValue = storedBitsPerValue(info);

    control.report("tokens", 0.0);
    findTokens(*reader, options, table);
    detectTiedHead(*reader, table);
    control.report("tokens", 1.0);
    control.throwIfCancelled();

    control.report("checksum", 0.0);
    countNonFinite(table, control);
    table.source.checksum = tableChecksum(table.values);
    control.report("checksum", 1.0);
    control.throwIfCancelled();
    return table;
}

std::vector<std::string> readVocabFile(const std::string& path)
{
    if (fs::is_directory(path))
        throw Error(ErrorKind::Unreadable, path, "is a directory, not a token file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(fs::exists(path) ? ErrorKind::Unreadable : ErrorKind::NotFound, path, "cannot open the token file");
    // The largest vocabularies have a few hundred thousand tokens of at most a few hundred bytes; the
    // caps keep a stray file beside the table from being read whole into memory.
    std::error_code sizeError;
    const uintmax_t bytes = fs::file_size(path, sizeError);
    if (!sizeError && bytes > kMaxVocabFileBytes)
        throw Error(ErrorKind::InvalidArgument, path,
            "token file of " + std::to_string(bytes) + " bytes is larger than a vocabulary can be (limit "
                + std::to_string(kMaxVocabFileBytes >> 20) + " MiB)");
    std::vector<std::string> tokens;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back(); // written on Windows
        if (line.size() > kMaxVocabLineBytes)
            throw Error(ErrorKind::InvalidArgument, path,
                "line " + std::to_string(tokens.size() + 1) + " has " + std::to_string(line.size())
                    + " bytes: not a token (limit " + std::to_string(kMaxVocabLineBytes) + ")");
        if (tokens.size() == kMaxVocabLines)
            throw Error(ErrorKind::InvalidArgument, path,
                "has more than " + std::to_string(kMaxVocabLines) + " lines: not a vocabulary");
        tokens.push_back(line);
    }
    if (in.bad())
        throw Error(ErrorKind::Unreadable, path, "I/O error while reading the token file");
    return tokens;
}

} // namespace vq
