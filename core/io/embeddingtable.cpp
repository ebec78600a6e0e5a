#include "io/embeddingtable.h"

#include <bit>
#include <cstdio>
#include <xxhash.h>

namespace vq {

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
