#pragma once

#include "io/mappedfile.h"
#include "io/tensorreader.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace vq {

// A llama.cpp GGUF file (versions 2 and 3, little-endian), memory-mapped.
//
// Opening parses and validates the whole header: every key/value (all value types, nested arrays),
// every tensor info, the data alignment (general.alignment, default 32), each tensor's offset
// (aligned, inside the file) and size (block types need rows that are whole blocks). A corrupt count
// or length throws before anything that large is allocated.
//
// tensors() lists every tensor with its shape slowest-first (GGUF's dims reversed: token_embd.weight
// stored [n_embd, n_vocab] is {n_vocab, n_embd}) and ggml's type name as dtypeName ("f16", "q4_K",
// "iq2_xxs"). Every type ggml::dequantize reads (f32, f16, bf16, f64, q4_0, q4_1, q5_0, q5_1, q8_0,
// q2_K ... q6_K, iq4_nl, iq4_xs, tq1_0, tq2_0) is read as float32 exactly as ggml dequantizes it; other
// types are listed (integers as I8..I64, the rest as DType::Other) and refused by readMatrix as
// Unsupported, naming the type and the readable ones.
// metadata() renders every key/value as text; type is "u32", "str", "arr[str,512]" ...
class GgufReader : public TensorReader {
public:
    explicit GgufReader(std::string path);
    ~GgufReader() override;

    const std::string& path() const override { return m_path; }
    std::string formatName() const override; // "GGUF v3", "GGUF v2"
    const std::vector<TensorInfo>& tensors() const override { return m_tensors; }
    const std::vector<MetadataEntry>& metadata() const override { return m_metadata; }
    // Converts in row chunks on OpenMP threads (control.threads), reporting stage "read" and checking
    // cancel between chunks; pages of the file behind converted chunks are released.
    Matrix readMatrix(const std::string& name, RunControl& control) const override;
    // tokenizer.ggml.tokens (an array of strings); *source = "GGUF tokenizer.ggml.tokens".
    std::vector<std::string> embeddedTokens(std::string* source) const override;

    uint32_t version() const { return m_version; }
    uint64_t alignment() const { return m_alignment; }
    // Absolute file offset where the data section begins.
    uint64_t dataOffset() const { return m_dataOffset; }
    // The stored bytes of a tensor, a view into the mapped file valid while this reader lives.
    // Throws NotFound for an unknown name, Unsupported when the type's size is unknown.
    std::span<const uint8_t> tensorBytes(const std::string& name) const;
    // The ggml type id of a tensor (enum ggml_type). Throws NotFound for an unknown name.
    uint32_t ggmlTypeId(const std::string& name) const;

    // The value of metadata()[index] as stored: its GGUF value type and the bytes after the type field
    // (a view into the mapped file valid while this reader lives), for copying it unchanged.
    struct RawValue {
        uint32_t type = 0;
        std::span<const uint8_t> bytes;
    };
    RawValue rawValue(size_t index) const;

private:
    struct Stored {
        uint32_t ggmlType = 0;
        uint64_t offset = 0; // absolute
        bool sizeKnown = false;
    };

    void parse();
    const TensorInfo& lookup(const std::string& name, const Stored** stored) const;

    std::string m_path;
    std::unique_ptr<MappedFile> m_file;
    uint32_t m_version = 0;
    uint64_t m_alignment = 32;
    uint64_t m_dataOffset = 0;
    std::vector<TensorInfo> m_tensors;
    std::vector<Stored> m_stored; // parallel to m_tensors
    std::unordered_map<std::string, size_t> m_index;
    std::vector<MetadataEntry> m_metadata;
    struct ValueRange {
        uint32_t type = 0;
        uint64_t offset = 0; // absolute, after the type field
        uint64_t length = 0;
    };
    std::vector<ValueRange> m_valueRanges; // parallel to m_metadata
    uint64_t m_tokensPos = 0; // first item of tokenizer.ggml.tokens when it is an array of strings
    uint64_t m_tokensCount = 0;
    bool m_hasTokens = false;
};

} // namespace vq
