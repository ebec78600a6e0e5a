#pragma once

#include "common/matrix.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vq {

// Where a table came from: enough to reproduce the load and to check later that it is the same data.
struct TableSource {
    std::string file; // what the user opened
    std::string format; // reader's formatName()
    std::string tensor; // tensor / dataset name
    std::string dtype; // stored dtype name
    std::vector<int64_t> storedShape; // as listed by the reader
    std::string checksum; // "xxh64:<16 hex>" of the float32 values as loaded (see tableChecksum)
    std::string selectionReason; // why this tensor was picked ("name matches model.embed_tokens.weight", "--tensor")
};

// The embedding table being compressed: V rows (tokens) x n columns (hidden dims), float32.
struct EmbeddingTable {
    Matrix values;
    TableSource source;
    std::vector<std::string> tokens; // token strings, empty or one per row
    std::string tokenSource; // "tokenizer.json", "GGUF tokenizer.ggml.tokens", "/vocab", "x.vocab.txt", ""
    std::optional<bool> tiedHead; // input embedding reused as output head; nullopt when unknown
    std::string tiedReason; // "config.json tie_word_embeddings=true", "no lm_head/output tensor" ...
    int64_t nanCount = 0;
    int64_t infCount = 0;

    int64_t rows() const { return values.rows; }
    int64_t dim() const { return values.cols; }
};

// A checksum of the values (bitwise; order-sensitive), formatted "xxh64:%016x". Stable across platforms.
std::string tableChecksum(const Matrix& m);

} // namespace vq
