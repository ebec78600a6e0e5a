#include "io/embeddingtable.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstdio>
#include <xxhash.h>

namespace vq {

std::string storedTypeName(const TableSource& source)
{
    std::string name = source.dtype;
    if (source.format.rfind("GGUF", 0) == 0)
        std::transform(
            name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return name;
}

std::string storedAsText(const EmbeddingTable& table)
{
    const std::string name = storedTypeName(table.source);
    if (table.storedBitsPerValue <= 0)
        return name;
    char bits[32];
    std::snprintf(bits, sizeof bits, "%.4g", table.storedBitsPerValue);
    return name + ", " + bits + " bits/param as stored";
}

std::string tableChecksum(const Matrix& m)
{
    // The hash covers the little-endian bytes of the values, so it matches across hosts.
    static_assert(std::endian::native == std::endian::little, "tableChecksum assumes a little-endian host");
    const XXH64_hash_t h = XXH64(m.values.data(), m.values.size() * sizeof(float), 0);
    char text[32];
    std::snprintf(text, sizeof text, "xxh64:%016llx", static_cast<unsigned long long>(h));
    return text;
}

} // namespace vq
