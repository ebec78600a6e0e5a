#pragma once

// The parsers the fuzz targets drive, shared by the libFuzzer targets (tests/fuzz) and the normal
// suite's replay of tests/data/regressions, so a saved input is replayed exactly as it was found.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vqfuzz {

// "npy", "safetensors", "sharded", "gguf", "tokenizer", "vocab", "artifact", "session", "spec", "grid".
const std::vector<std::string>& parserNames();

// Feeds bytes to the named parser the way the application meets such a file (written to a file of
// this process's own when the parser reads files). A vq::Error is a clean refusal (returns false); a
// crash, hang or unbounded allocation is what the fuzzer looks for. Unknown names return false.
bool parseBytes(const std::string& parser, const uint8_t* data, size_t size);

} // namespace vqfuzz
