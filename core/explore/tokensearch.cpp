#include "explore/tokensearch.h"

#include <algorithm>
#include <cctype>

namespace vq {

namespace {

char lower(char c)
{
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

std::string lowered(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), lower);
    return s;
}

// The row number written in text (digits only, no sign), or -1.
int64_t rowNumber(const std::string& text)
{
    if (text.empty() || text.size() > 18
        || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return -1;
    return std::stoll(text);
}

} // namespace

int64_t findTokenRow(const std::vector<std::string>& tokens, int64_t rows, const std::string& text)
{
    const auto inRange = [rows](int64_t r) { return r >= 0 && r < rows ? r : -1; };
    if (!text.empty() && text.front() == '#')
        return inRange(rowNumber(text.substr(1)));
    if (text.empty())
        return -1;
    for (size_t i = 0; i < tokens.size(); ++i)
        if (tokens[i] == text)
            return inRange(static_cast<int64_t>(i));
    if (const int64_t r = inRange(rowNumber(text)); r >= 0)
        return r;
    const std::string needle = lowered(text);
    // One lowered copy per token at most, and only while no better match has been found.
    int64_t prefix = -1;
    int64_t contains = -1;
    for (size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i].size() < needle.size())
            continue;
        const std::string t = lowered(tokens[i]);
        if (t == needle)
            return inRange(static_cast<int64_t>(i));
        if (prefix < 0 && t.compare(0, needle.size(), needle) == 0)
            prefix = static_cast<int64_t>(i);
        else if (contains < 0 && t.find(needle) != std::string::npos)
            contains = static_cast<int64_t>(i);
    }
    return inRange(prefix >= 0 ? prefix : contains);
}

} // namespace vq
