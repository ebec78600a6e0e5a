#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vq {

// The table row a user means by `text`, for "show this token" searches: "#N" is row N; otherwise the
// first token equal to text, then (for digits only) row N, then the first token equal ignoring ASCII case,
// then the first token that starts with text, then the first that contains it (both ignoring ASCII case).
// -1 when nothing matches or the row is outside [0, rows). tokens: empty or one string per row.
int64_t findTokenRow(const std::vector<std::string>& tokens, int64_t rows, const std::string& text);

} // namespace vq
