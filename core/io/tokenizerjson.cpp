// readTokenizerJson(), declared in io/embeddingloader.h.
#include "io/embeddingloader.h"

#include "common/error.h"
#include "io/mappedfile.h"

#include <nlohmann/json.hpp>

#include <cstring>

namespace vq {

namespace {

using Json = nlohmann::json;

// The largest vocabularies in use have a few hundred thousand entries; an id far beyond that is a
// corrupt file, and honouring it would allocate gigabytes of empty strings.
constexpr uint64_t kMaxTokenId = uint64_t(1) << 24;

// Ids that model.vocab gives to two different strings, "id 5: \"a\" and \"b\"", the first few of them.
struct Collisions {
    static constexpr size_t kListed = 3;
    size_t count = 0;
    std::string listed;
};

uint64_t checkedId(const Json& id, const std::string& path, const std::string& where)
{
    if (!id.is_number_unsigned())
        throw Error(ErrorKind::Malformed, path, where + ": token id is not a non-negative integer");
    const uint64_t i = id.get<uint64_t>();
    if (i >= kMaxTokenId)
        throw Error(ErrorKind::Malformed, path, where + ": token id " + std::to_string(i) + " is implausibly large");
    return i;
}

void place(std::vector<std::string>& tokens, const Json& id, std::string token, const std::string& path,
    const std::string& where)
{
    const uint64_t i = checkedId(id, path, where);
    if (i >= tokens.size())
        tokens.resize(static_cast<size_t>(i) + 1);
    tokens[static_cast<size_t>(i)] = std::move(token);
}

} // namespace

std::vector<std::string> readTokenizerJson(const std::string& path)
{
    Json doc;
    {
        const MappedFile file(path);
        const auto bytes = file.bytes(0, file.size(), "the tokenizer");
        if (std::memchr(bytes.data(), 0, bytes.size()) != nullptr)
            throw Error(ErrorKind::Malformed, path, "not valid JSON: it contains a NUL byte");
        try {
            doc = Json::parse(bytes.begin(), bytes.end());
        } catch (const Json::exception& e) {
            throw Error(ErrorKind::Malformed, path, std::string("not valid JSON: ") + e.what());
        }
    }
    if (!doc.is_object())
        throw Error(ErrorKind::Malformed, path, "not a JSON object");
    const auto model = doc.find("model");
    if (model == doc.end() || !model->is_object())
        throw Error(ErrorKind::Malformed, path, "has no \"model\" object");
    const auto vocab = model->find("vocab");
    if (vocab == model->end())
        throw Error(ErrorKind::Malformed, path, "has no \"model.vocab\"");

    std::vector<std::string> tokens;
    if (vocab->is_object()) {
        // WordLevel, WordPiece, BPE: {token: id}
        // Two strings on one id would make every token after the first a silent guess, so such a
        // vocabulary is refused, naming the first few collisions.
        std::vector<bool> taken;
        Collisions collisions;
        for (const auto& [token, id] : vocab->items()) {
            const std::string where = "model.vocab[\"" + token + "\"]";
            const uint64_t i = checkedId(id, path, where);
            if (i >= taken.size())
                taken.resize(static_cast<size_t>(i) + 1);
            if (taken[static_cast<size_t>(i)]) {
                if (++collisions.count <= Collisions::kListed)
                    collisions.listed += std::string(collisions.listed.empty() ? "" : "; ") + "id " + std::to_string(i)
                        + ": \"" + tokens[static_cast<size_t>(i)] + "\" and \"" + token + "\"";
                continue;
            }
            taken[static_cast<size_t>(i)] = true;
            place(tokens, id, token, path, where);
        }
        if (collisions.count > 0)
            throw Error(ErrorKind::Malformed, path,
                "model.vocab gives " + std::to_string(collisions.count) + " token" + (collisions.count == 1 ? "" : "s")
                    + " an id already taken (" + collisions.listed
                    + (collisions.count > Collisions::kListed ? "; ..." : "") + ")");
    } else if (vocab->is_array()) {
        // Unigram: [[token, score], ...], the id being the position
        tokens.reserve(vocab->size());
        for (size_t i = 0; i < vocab->size(); ++i) {
            const Json& pair = (*vocab)[i];
            if (!pair.is_array() || pair.empty() || !pair[0].is_string())
                throw Error(
                    ErrorKind::Malformed, path, "model.vocab[" + std::to_string(i) + "] is not a [token, score] pair");
            tokens.push_back(pair[0].get<std::string>());
        }
    } else {
        throw Error(ErrorKind::Malformed, path, "\"model.vocab\" is neither an object nor a list");
    }

    if (const auto added = doc.find("added_tokens"); added != doc.end() && !added->is_null()) {
        if (!added->is_array())
            throw Error(ErrorKind::Malformed, path, "\"added_tokens\" is not a list");
        for (size_t i = 0; i < added->size(); ++i) {
            const Json& t = (*added)[i];
            const std::string where = "added_tokens[" + std::to_string(i) + "]";
            if (!t.is_object() || !t.contains("id") || !t.contains("content") || !t["content"].is_string())
                throw Error(ErrorKind::Malformed, path, where + " needs an \"id\" and a string \"content\"");
            place(tokens, t["id"], t["content"].get<std::string>(), path, where);
        }
    }
    return tokens;
}

} // namespace vq
