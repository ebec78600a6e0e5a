#pragma once

#include "explore/codebookalignment.h"
#include "explore/codewordmap.h"
#include "explore/tokenpath.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace vq {

// The codebook explorer's results as JSON for scripts (`vqscope-cli codebook --json`). tokens: the table's
// token strings (one per row) or empty; top tokens and neighbours then carry only their rows. Non-finite
// numbers (the mean error of a dead code) are written as jsonNumber() writes them ("nan", "inf").
nlohmann::json toJson(const CodewordMap& map, const std::vector<std::string>& tokens);
nlohmann::json toJson(const TokenPath& path, const std::vector<std::string>& tokens);
nlohmann::json toJson(const TokenNeighbours& neighbours, const std::vector<std::string>& tokens);
nlohmann::json toJson(const CodebookAlignment& alignment);

} // namespace vq
