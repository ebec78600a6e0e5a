#pragma once

#include "common/runcontrol.h"
#include "io/embeddingtable.h"
#include "io/tensorinfo.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vq {

class TensorReader;

// The tensors of a file that could be the embedding table, best first, and why.
struct EmbeddingCandidates {
    std::vector<std::string> names; // 2-D float tensors, best first
    std::string chosen; // names.front() unless overridden; empty when the file has no 2-D float tensor
    std::string reason; // why chosen was picked
    // A 2-D tensor with a known embedding name that cannot be read (an unreadable ggml type) when no
    // readable tensor has such a name: loadEmbedding refuses rather than fall back to another tensor.
    std::string unreadable;
};

// Ranks the 2-D loadable tensors: known embedding names first (model.embed_tokens.weight,
// token_embd.weight, transformer.wte.weight, *word_embeddings*, tok_embeddings.weight, *embed*),
// then the largest tensor with more rows than columns.
EmbeddingCandidates pickEmbedding(const std::vector<TensorInfo>& tensors);

struct LoadOptions {
    std::string tensor; // override the automatic pick; empty: automatic
    std::string vocabFile; // explicit token file (one per line); empty: look beside the file
};

// Opens path, picks (or uses options.tensor), reads it as float32, finds token strings (tokenizer.json
// beside a safetensors checkpoint, GGUF tokens, an HDF5 string dataset, a "<stem>.vocab.txt" sidecar),
// detects a tied output head, counts NaN/Inf (values are kept as they are: callers decide). Progress
// stages: "open", "read", "tokens", "checksum".
EmbeddingTable loadEmbedding(const std::string& path, const LoadOptions& options, RunControl& control);

// Token strings for a table of rowCount rows in reader's file, found as loadEmbedding finds them:
// options.vocabFile, else strings stored in the file, else tokenizer.json or "<stem>.vocab.txt" beside
// it. Cut or padded with "" to rowCount; *tokenSource says where they came from (and whether they were
// cut or padded). Empty, with an empty source, when there are none.
std::vector<std::string> findTokenStrings(
    const TensorReader& reader, const LoadOptions& options, int64_t rowCount, std::string* tokenSource);

// Token strings from a one-token-per-line file (".vocab.txt"); escapes none. Refuses (InvalidArgument)
// files over kMaxVocabFileBytes, lines over kMaxVocabLineBytes and more than kMaxVocabLines lines.
inline constexpr uintmax_t kMaxVocabFileBytes = uintmax_t(64) << 20;
inline constexpr size_t kMaxVocabLineBytes = 4096;
inline constexpr size_t kMaxVocabLines = size_t(1) << 21;
std::vector<std::string> readVocabFile(const std::string& path);
// Token strings from a Hugging Face tokenizer.json (model.vocab: token -> id; added_tokens), indexed by id;
// ids without a string get "".
std::vector<std::string> readTokenizerJson(const std::string& path);

} // namespace vq
