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
    // Bits per value as the file stores the tensor (Q4_K 4.5, Q8_0 8.5, BF16 16); 0 when unknown.
    double storedBitsPerValue = 0;

    int64_t rows() const { return values.rows; }
    int64_t dim() const { return values.cols; }
};

// The stored type as users know it: ggml types in upper case as llama.cpp prints them ("Q4_K", "BF16"),
// other formats' as the file spells them.
std::string storedTypeName(const TableSource& source);
// "Q4_0, 4.5 bits/param as stored"; just the type name when the bits are unknown (0).
std::string storedAsText(const EmbeddingTable& table);

// A checksum of the values (bitwise; order-sensitive), formatted "xxh64:%016x". Stable across platforms.
std::string tableChecksum(const Matrix& m);

} // namespace vq
