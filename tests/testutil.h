#pragma once

// Paths shared by the tests. VQ_TEST_DATA_DIR holds the small format fixtures; the bundled sample
// (resources/sample: the real 20000 x 100 GloVe table as float16, and its vocabulary) is what quality
// tests measure on.
#include <string>

namespace vqtest {

inline std::string dataPath(const std::string& name)
{
    return std::string(VQ_TEST_DATA_DIR) + "/" + name;
}
inline std::string sourcePath(const std::string& name)
{
    return std::string(VQ_SOURCE_DIR) + "/" + name;
}
inline std::string samplePath(const std::string& name)
{
    return sourcePath("resources/sample/" + name);
}

} // namespace vqtest
