#pragma once

// Paths shared by the tests. VQ_TEST_DATA_DIR holds the small fixtures copied into the repo;
// VQ_SHARED_DATA_DIR the real 20000-row GloVe table used by quality tests.
#include <string>

namespace vqtest {

inline std::string dataPath(const std::string& name) { return std::string(VQ_TEST_DATA_DIR) + "/" + name; }
inline std::string sharedPath(const std::string& name) { return std::string(VQ_SHARED_DATA_DIR) + "/" + name; }
inline std::string sourcePath(const std::string& name) { return std::string(VQ_SOURCE_DIR) + "/" + name; }

} // namespace vqtest
